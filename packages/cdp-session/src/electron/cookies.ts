import { EventEmitter } from 'node:events'
import { NotSupportedError } from '../common/errors.js'
import { ElectronEvent } from '../common/event.js'
import { CookieChangeTracker } from './cookie-changes.js'
import type { Cookie, CookieChangedCause } from './cookie-types.js'
import type { Session } from './session.js'

export interface CookiesEvents {
  changed: [event: ElectronEvent<Cookies>, cookie: Cookie, cause: CookieChangedCause, removed: boolean]
}

/** Electron's `ses.cookies`: the cookie store of one session (browser context). */
export class Cookies extends EventEmitter<CookiesEvents> {
  readonly #session: Session
  readonly #tracker: CookieChangeTracker

  /** @internal */
  constructor(session: Session) {
    super()
    this.#session = session
    this.#tracker = new CookieChangeTracker(session, (cookie, cause, removed) => {
      this.emit('changed', new ElectronEvent(this), cookie, cause, removed)
    })
    // Changes are tracked only while someone listens: no cost otherwise.
    const untyped = this as EventEmitter
    untyped.on('newListener', (event: string | symbol) => {
      if (event === 'changed' && this.listenerCount('changed') === 0) this.#tracker.start()
    })
    untyped.on('removeListener', (event: string | symbol) => {
      if (event === 'changed' && this.listenerCount('changed') === 0) this.#tracker.stop()
    })
  }

  /** @internal Re-read the store for change events after a change made through this API. */
  protected noteApiChange(): void {
    this.#tracker.poke()
  }

  /** @internal The session this store belongs to. */
  get session(): Session {
    return this.#session
  }

  get(_filter: unknown): Promise<Cookie[]> {
    return Promise.reject(new NotSupportedError('cookies.get: not built yet'))
  }
}
