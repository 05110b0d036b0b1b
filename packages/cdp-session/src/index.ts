export { launch, connect, webContents, Browser, SessionModule } from './electron/browser.js'
export type { LaunchOptions, ConnectOptions, PartitionOptions, BrowserEvents } from './electron/browser.js'
export { Session } from './electron/session.js'
export type { NetworkEmulationOptions, SessionEvents } from './electron/session.js'
export { Cookies } from './electron/cookies.js'
export type { CookiesEvents, CookieDetails, CookieFilter } from './electron/cookies.js'
export type { Cookie, CookieChangedCause } from './electron/cookie-types.js'
export type { ClearStorageDataOptions, ClearDataOptions } from './electron/storage.js'
export { WebContents } from './electron/web-contents.js'
export { Protocol } from './electron/protocol.js'
export type { ProtocolHandler, FetchHandler, Completion, ProtocolRequest, UploadData } from './electron/protocol.js'
export type { WebContentsEvents, RenderProcessGoneDetails } from './electron/web-contents.js'
export { WebRequest } from './electron/web-request.js'
export type {
  WebRequestFilter,
  WebRequestDetails,
  WebRequestResourceType,
  WebRequestErrorDetails,
  BeforeSendHeadersDetails,
  SendHeadersDetails,
  HeadersReceivedDetails,
  ResponseStartedDetails,
  BeforeRedirectDetails,
  CompletedDetails,
  ErrorOccurredDetails,
  BeforeRequestResponse,
  BeforeSendHeadersResponse,
  HeadersReceivedResponse,
} from './electron/web-request.js'
export type { LoginDetails, AuthInfo, LoginCallback } from './electron/auth.js'
export type {
  PermissionName,
  MediaType,
  PermissionRequestHandler,
  PermissionCheckHandler,
  PermissionRequestDetails,
  PermissionCheckDetails,
} from './electron/permissions/index.js'
export { ElectronEvent } from './common/event.js'
export {
  CdpSessionError,
  ValidationError,
  NotSupportedError,
  ProtocolError,
  TargetClosedError,
  SessionClosedError,
  BrowserClosedError,
  BrowserNotFoundError,
  LaunchError,
  NavigationError,
} from './common/errors.js'
export type { CdpSessionErrorCode } from './common/errors.js'
export { findChrome } from './cdp/find-chrome.js'
