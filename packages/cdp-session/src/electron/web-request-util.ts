// ses.webRequest's pure helpers: Electron's details from tracked events, resource types, Fetch
// patterns for filters, header shapes, and the redirect a hook's redirectURL becomes.
import type { Protocol } from 'devtools-protocol'
import type { RequestDecision } from '../cdp/request-interceptor.js'
import { headerValue, type TrackedEvent, type TrackedResponse } from '../cdp/request-tracker.js'
import type { MatchPattern } from '../common/match-pattern.js'
import type { TargetSession } from '../cdp/target-session.js'
import type {
  WebRequestResourceType,
  WebRequestDetails,
  SendHeadersDetails,
  ResponseStartedDetails,
  CompletedDetails,
  BeforeRedirectDetails,
  ErrorOccurredDetails,
} from './web-request-types.js'

export type Hook =
  | 'onBeforeRequest' | 'onBeforeSendHeaders' | 'onSendHeaders' | 'onHeadersReceived'
  | 'onResponseStarted' | 'onBeforeRedirect' | 'onCompleted' | 'onErrorOccurred'

export interface CompiledFilter {
  urls: MatchPattern[]
  excludeUrls: MatchPattern[]
  types: Set<WebRequestResourceType> | undefined
}

export function trackedDetails(event: TrackedEvent<TargetSession>, base: WebRequestDetails): WebRequestDetails {
  switch (event.type) {
    case 'sendHeaders': {
      const details: SendHeadersDetails = { ...base, requestHeaders: { ...event.request.headers } }
      return details
    }
    case 'responseStarted': {
      const details: ResponseStartedDetails = { ...base, ...responseDetails(event.response) }
      return details
    }
    case 'completed': {
      const details: CompletedDetails = { ...base, ...responseDetails(event.response), error: 'net::OK' }
      return details
    }
    case 'beforeRedirect': {
      const details: BeforeRedirectDetails = { ...base, ...responseDetails(event.response), redirectURL: event.redirectURL }
      return details
    }
    case 'errorOccurred': {
      const details: ErrorOccurredDetails = { ...base, fromCache: event.response?.fromCache ?? false, error: event.error }
      return details
    }
  }
}

export const TRACKED_HOOK: Record<TrackedEvent<unknown>['type'], Hook> = {
  sendHeaders: 'onSendHeaders',
  responseStarted: 'onResponseStarted',
  beforeRedirect: 'onBeforeRedirect',
  completed: 'onCompleted',
  errorOccurred: 'onErrorOccurred',
}

export function responseDetails(response: TrackedResponse): Omit<ResponseStartedDetails, keyof WebRequestDetails> {
  const details: Omit<ResponseStartedDetails, keyof WebRequestDetails> = {
    responseHeaders: response.headers,
    fromCache: response.fromCache,
    statusCode: response.statusCode,
    statusLine: response.statusLine,
  }
  if (response.ip !== undefined) details.ip = response.ip.replace(/^\[|\]$/g, '')
  return details
}

/**
 * Chromium's resource type as Electron names it (fetch() is 'xhr'). Fetch
 * reports worker scripts as 'Other'; WebRequest tells them apart by their
 * targets or the page's Network report before mapping.
 */
export function electronResourceType(type: Protocol.Network.ResourceType, mainFrame: boolean): WebRequestResourceType {
  switch (type) {
    case 'Document':
      return mainFrame ? 'mainFrame' : 'subFrame'
    case 'Stylesheet':
      return 'stylesheet'
    case 'Script':
      return 'script'
    case 'Image':
      return 'image'
    case 'Font':
      return 'font'
    case 'XHR':
    case 'Fetch':
    case 'EventSource':
      return 'xhr'
    case 'Ping':
      return 'ping'
    case 'CSPViolationReport':
      return 'cspReport'
    case 'Media':
    case 'TextTrack':
      return 'media'
    case 'WebSocket':
      return 'webSocket'
    default:
      return 'other'
  }
}

const CDP_TYPES: Partial<Record<WebRequestResourceType, Protocol.Network.ResourceType[]>> = {
  mainFrame: ['Document'],
  subFrame: ['Document'],
  stylesheet: ['Stylesheet'],
  // Fetch reports every worker's main script as 'Other'; we call it 'script' (web-request.ts).
  script: ['Script', 'Other'],
  image: ['Image'],
  font: ['Font'],
  xhr: ['XHR', 'Fetch', 'EventSource'],
  ping: ['Ping'],
  cspReport: ['CSPViolationReport'],
  media: ['Media', 'TextTrack'],
  webSocket: ['WebSocket'],
}

/** Fetch patterns covering (at least) what a filter lets through; exact matching happens in JS. */
export function fetchPatterns(filter: CompiledFilter | undefined, stage: Protocol.Fetch.RequestStage): Protocol.Fetch.RequestPattern[] {
  if (!filter) return []
  const globs = filter.urls.length === 0 ? ['*'] : [...new Set(filter.urls.map((p) => p.fetchGlob))]
  let types: Array<Protocol.Network.ResourceType | undefined> = [undefined]
  if (filter.types) {
    const mapped = [...filter.types].map((t) => CDP_TYPES[t])
    if (mapped.every((m) => m !== undefined)) types = [...new Set(mapped.flat())]
  }
  const patterns: Protocol.Fetch.RequestPattern[] = []
  for (const urlPattern of globs) {
    for (const resourceType of types) patterns.push(resourceType ? { urlPattern, resourceType, requestStage: stage } : { urlPattern, requestStage: stage })
  }
  return patterns
}

/** Request headers are joined (Chromium keeps only the last of repeated request headers); response headers repeat (Set-Cookie). */
export function headerEntries(headers: Record<string, string | string[]>, join = false): Protocol.Fetch.HeaderEntry[] {
  const entries: Protocol.Fetch.HeaderEntry[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (join && Array.isArray(value)) entries.push({ name, value: value.join(', ') })
    else for (const v of Array.isArray(value) ? value : [value]) entries.push({ name, value: v })
  }
  return entries
}

export function headerObject(entries: Protocol.Fetch.HeaderEntry[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const { name, value } of entries) headers[name] = name in headers ? `${headers[name]}, ${value}` : value
  return headers
}

/**
 * A redirect the page sees as one (Electron's redirectURL): a 307 answered
 * by us keeps method and body. Cross-origin fetches need the redirect to pass
 * CORS, so it allows the request's own origin.
 */
export function redirectTo(url: string, requestHeaders: Protocol.Network.Headers): RequestDecision {
  const responseHeaders: Protocol.Fetch.HeaderEntry[] = [{ name: 'Location', value: url }]
  const origin = headerValue(requestHeaders, 'origin')
  if (origin) {
    responseHeaders.push({ name: 'Access-Control-Allow-Origin', value: origin }, { name: 'Access-Control-Allow-Credentials', value: 'true' })
  }
  return { kind: 'fulfill', responseCode: 307, responsePhrase: 'Internal Redirect', responseHeaders, body: '' }
}
