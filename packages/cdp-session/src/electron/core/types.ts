// The shapes every session feature shares: where a session lives (its binding), how a feature
// takes part in configuring targets, and the public types that lower modules must be able to
// name without importing the classes that define them.
import type { CdpClient } from '../../cdp/client.js'
import type { RequestInterceptor } from '../../cdp/request-interceptor.js'
import type { TargetManager } from '../../cdp/target-manager.js'
import type { TargetSession } from '../../cdp/target-session.js'
import type { SessionProxy } from '../../net/session-proxy.js'

/** Where a Session lives: a browser context of one browser process. */
export interface SessionBinding {
  readonly manager: TargetManager
  readonly interceptor: RequestInterceptor
  /** undefined: the process's default context. */
  readonly browserContextId: string | undefined
  /** The context's real id, also for a default context (for browser-level Storage.* and Browser.* commands). */
  readonly contextId: string | undefined
  /** The browser-level CDP session of the process this session lives in. */
  readonly browser: CdpClient
  /** The session's gateway, or why it has none. */
  readonly proxy: SessionProxy | string
  /** Disposes the context (in-memory) or stops the partition's browser (persistent). */
  dispose(): Promise<void>
}

export interface SessionInit {
  partition: string
  persistent: boolean
  storagePath: string | null
  cache: boolean
  defaultUserAgent: string
  /** false for the default session: it lives as long as the browser. */
  closable: boolean
  /** The context's traffic goes through a gateway of its own (whose credentials pages must learn). */
  gateway: boolean
}

/**
 * A feature's part in configuring targets: `apply` runs on every target of the session while
 * it is paused at attach, and once on every live target when the hook is added. Send, don't
 * await in between: the returned promises are awaited together with the target's resume.
 */
export interface TargetHook {
  apply(target: TargetSession): Array<Promise<unknown>>
  /**
   * A stopped service worker started again (same target, a fresh global, paused before its
   * script): redo what lived in its old global, e.g. evaluated shims. Optional: most settings
   * (Network, Fetch, bindings, overrides) are kept by Chromium across the restart.
   */
  restart?(target: TargetSession): Array<Promise<unknown>>
}

/**
 * The public Session class, registered by session.ts (declaration merging), so that modules
 * below it (web-contents.ts, the features) can name its type without importing it: the public
 * classes name each other as in Electron, while imports only go down.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by session.ts
export interface PublicTypes {}

/** The public Session type (`webContents.session`, the sender of session events). */
export type SessionRef = PublicTypes extends { Session: infer S } ? S : never
