// Cookie change tracking for `cookies.on('changed')` (issue #3). Skeleton: owned by the cookie-changes work.
import type { Cookie, CookieChangedCause } from './cookie-types.js'
import type { Session } from './session.js'

export type CookieChangeListener = (cookie: Cookie, cause: CookieChangedCause, removed: boolean) => void

/** Watches one session's cookie store while someone listens to `changed`. */
export class CookieChangeTracker {
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor
  constructor(_session: Session, _emit: CookieChangeListener) {}

  /** Starts watching (first listener added). */
  start(): void {}

  /** Stops watching (last listener removed); no cost afterwards. */
  stop(): void {}

  /** Re-reads the store now (called after changes made through the API). */
  poke(): void {}
}
