// The events of a Session, with the feature that emits each. Kept apart from the facade so
// that session.ts stays a list of Electron's methods.
import type { ElectronEvent } from '../common/event.js'
import type { AuthInfo, LoginCallback, LoginDetails } from './auth.js'
import type { DownloadItem } from './downloads/download-item.js'
import type { HandlerErrorDetails } from './handler-errors.js'
import type { SessionRef } from './core/types.js'
import type { WebContents } from './web-contents.js'
import type { WebRequestErrorDetails } from './web-request-types.js'

export interface SessionEvents {
  /**
   * A server (401) or proxy (407) asks for credentials (auth.ts). Call `event.preventDefault()`
   * and then `callback(username, password)`, or `callback()` to cancel; without preventDefault
   * the challenge is cancelled (Electron's default). Emitted on the page first (if any).
   */
  login: [event: ElectronEvent<SessionRef>, webContents: WebContents | null, details: LoginDetails, authInfo: AuthInfo, callback: LoginCallback]
  /** (ours) A webRequest listener threw, did not call back in time, called back twice or late, or answered malformed; its request proceeded as with `{}` (or the first answer). */
  'web-request-error': [error: Error, details: WebRequestErrorDetails]
  /**
   * (ours) A protocol, login or permission handler threw, answered malformed, answered twice or
   * late, or did not answer within its bound; the request was settled by that handler's policy
   * (`details.outcome`), once, before this event.
   */
  'handler-error': [error: Error, details: HandlerErrorDetails]
  /** A preload file could not be read. */
  'preload-error': [event: ElectronEvent<SessionRef>, preloadPath: string, error: Error]
  /** (ours) The preload scripts were re-read and re-registered on every live page and frame. */
  'preloads-updated': [paths: string[]]
  /**
   * A download starts (downloads/): `event.preventDefault()` cancels it; `item.setSavePath()`
   * here picks its path. `webContents` is null for downloadURL and createInterruptedDownload.
   */
  'will-download': [event: ElectronEvent<SessionRef>, item: DownloadItem, webContents: WebContents | null]
  /** (ours) The session was closed. */
  closed: []
}
