/**
 * Electron's `session` API for real Chrome/Chromium over the DevTools protocol: `launch()` or
 * `connect()` a browser, then `browser.session.fromPartition()` for a Session.
 * @module cdp-session
 */
export { launch, connect, webContents, Browser, SessionModule } from './electron/browser.js'
export type { LaunchOptions, ConnectOptions, PartitionOptions, BrowserEvents } from './electron/browser.js'
export { Session } from './electron/session.js'
export type { NetworkEmulationOptions, SessionEvents, Done } from './electron/session.js'
export { Cookies } from './electron/cookies.js'
export type { CookiesEvents, CookieDetails, CookieFilter } from './electron/cookies.js'
export type { Cookie, CookieChangedCause } from './electron/cookie-types.js'
export type { ClearStorageDataOptions, ClearDataOptions } from './electron/storage.js'
export { WebContents } from './electron/web-contents.js'
export { DownloadItem } from './electron/downloads/download-item.js'
export type { DownloadItemEvents, DownloadItemState } from './electron/downloads/download-item.js'
export type { CreateInterruptedDownloadOptions, DownloadURLOptions } from './electron/downloads/downloads.js'
export type { SessionFetchInit } from './electron/session-fetch.js'
export type { PreloadScript, PreloadScriptRegistration, PreloadScriptType } from './electron/preloads.js'
export { Protocol } from './electron/protocol.js'
export { NetLog } from './electron/net-log.js'
export type { NetLogOptions } from './electron/net-log.js'
export { ServiceWorkerMain, ServiceWorkers } from './electron/service-workers.js'
export type { ServiceWorkerConsoleMessage, ServiceWorkerInfo, ServiceWorkerRunningStatus, ServiceWorkersEvents } from './electron/service-workers.js'
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
export type { Certificate, CertificatePrincipal, CertificateVerifyProc, CertificateVerifyProcRequest } from './electron/certificates.js'
export type { HandlerErrorDetails, HandlerKind, HandlerFault } from './electron/handler-errors.js'
export type {
  PermissionName,
  MediaType,
  PermissionRequestHandler,
  PermissionCheckHandler,
  PermissionRequestDetails,
  PermissionCheckDetails,
  DisplayMediaRequest,
  DisplayMediaRequestHandler,
  DisplayMediaStreams,
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
  CookieRejectedError,
  HostNotFoundError,
} from './common/errors.js'
export type { CdpSessionErrorCode } from './common/errors.js'
export { findChrome } from './cdp/find-chrome.js'
export type { ChromiumLaunchOptions } from './cdp/launcher.js'
export type { GatewayOptions } from './electron/browser.js'
export type { FoundChrome } from './cdp/find-chrome.js'
export type { CookieSameSite } from './common/cookie-rules.js'
export type { ResolvedHost, ResolveHostOptions, ProxyConfig, ClearAuthCacheOptions } from './electron/network.js'
export type { ProxyConfigInput, ProxyMode } from './net/proxy-config.js'
export type { LookupFn } from './net/resolver.js'
export type { UploadData as WebRequestUploadData, BeforeRequestListener, BeforeSendHeadersListener, HeadersReceivedListener, Callback as WebRequestCallback } from './electron/web-request-types.js'
export type { Listener, EventMap, TypedEmitter } from './common/event.js'
