// The public shapes of ses.webRequest, as Electron's: filters, details per event, callback responses.
import type { WebContents } from './web-contents.js'

export type WebRequestResourceType =
  | 'mainFrame' | 'subFrame' | 'stylesheet' | 'script' | 'image' | 'font' | 'object' | 'xhr' | 'ping' | 'cspReport' | 'media' | 'webSocket' | 'other'

export interface WebRequestFilter {
  /** Match patterns ('<all_urls>', '*://*.example.com/*'); empty or absent: every URL. */
  urls?: string[]
  /** Only these resource types; absent: every type. */
  types?: WebRequestResourceType[]
  /** Match patterns of URLs to leave out. */
  excludeUrls?: string[]
}

export interface UploadData {
  bytes: Buffer
  file?: string
  blobUUID?: string
}

export interface WebRequestDetails {
  /** Stable across one request's events, redirects included. */
  id: number
  url: string
  method: string
  /** The page the request belongs to (absent for service and shared workers). */
  webContentsId?: number
  webContents?: WebContents
  resourceType: WebRequestResourceType
  referrer: string
  /** ms since the epoch. */
  timestamp: number
  uploadData?: UploadData[]
}
export interface BeforeSendHeadersDetails extends WebRequestDetails {
  requestHeaders: Record<string, string>
}
export type SendHeadersDetails = BeforeSendHeadersDetails
export interface HeadersReceivedDetails extends WebRequestDetails {
  statusLine: string
  statusCode: number
  responseHeaders?: Record<string, string[]>
}
export interface ResponseStartedDetails extends WebRequestDetails {
  responseHeaders?: Record<string, string[]>
  fromCache: boolean
  statusCode: number
  statusLine: string
  ip?: string
}
export type CompletedDetails = ResponseStartedDetails & { error: string }
export interface BeforeRedirectDetails extends ResponseStartedDetails {
  redirectURL: string
}
export interface ErrorOccurredDetails extends WebRequestDetails {
  fromCache: boolean
  /** Chromium's error name, e.g. 'net::ERR_BLOCKED_BY_CLIENT'. */
  error: string
}

export interface BeforeRequestResponse {
  cancel?: boolean
  redirectURL?: string
}
export interface BeforeSendHeadersResponse {
  cancel?: boolean
  requestHeaders?: Record<string, string | string[]>
}
export interface HeadersReceivedResponse {
  cancel?: boolean
  responseHeaders?: Record<string, string | string[]>
  statusLine?: string
}

export type Callback<R> = (response?: R) => void
export type BeforeRequestListener = (details: WebRequestDetails, callback: Callback<BeforeRequestResponse>) => void
export type BeforeSendHeadersListener = (details: BeforeSendHeadersDetails, callback: Callback<BeforeSendHeadersResponse>) => void
export type HeadersReceivedListener = (details: HeadersReceivedDetails, callback: Callback<HeadersReceivedResponse>) => void

/** (ours) What a session reports when a webRequest listener misbehaves (see the 'web-request-error' event). */
export interface WebRequestErrorDetails {
  hook: string
  id: number
  url: string
}
