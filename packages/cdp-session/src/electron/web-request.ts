import type { Protocol } from 'devtools-protocol'
import { z } from 'zod'
import { parseMatchPattern, matchPatternProblem, type MatchPattern } from '../common/match-pattern.js'
import { debug, detach } from '../common/util.js'
import { validateArg } from '../common/validate.js'
import { fetchPatternMatches, type InterceptionHandler, type InterceptionRegistration, type RequestDecision, type ResponseDecision } from '../cdp/request-interceptor.js'
import { headerLists, headerValue, RequestTracker, type SendDecision, type TrackedEvent, type TrackedRequest, type TrackedResponse } from '../cdp/request-tracker.js'
import { FrameIndex } from '../cdp/frame-index.js'
import type { TargetManager } from '../cdp/target-manager.js'
import { netErrorForFailure } from '../net/session-proxy.js'
import type { TargetSession } from '../cdp/target-session.js'
import type { Session, SessionBinding } from './session.js'
import type {
  WebRequestResourceType,
  WebRequestFilter,
  WebRequestDetails,
  BeforeSendHeadersDetails,
  SendHeadersDetails,
  HeadersReceivedDetails,
  ResponseStartedDetails,
  CompletedDetails,
  BeforeRedirectDetails,
  ErrorOccurredDetails,
  BeforeRequestListener,
  BeforeSendHeadersListener,
  HeadersReceivedListener,
} from './web-request-types.js'

export type {
  WebRequestResourceType,
  WebRequestFilter,
  UploadData,
  WebRequestDetails,
  BeforeSendHeadersDetails,
  SendHeadersDetails,
  HeadersReceivedDetails,
  ResponseStartedDetails,
  CompletedDetails,
  BeforeRedirectDetails,
  ErrorOccurredDetails,
  BeforeRequestResponse,
  BeforeSendHeadersResponse,
  HeadersReceivedResponse,
  BeforeRequestListener,
  BeforeSendHeadersListener,
  HeadersReceivedListener,
  WebRequestErrorDetails,
} from './web-request-types.js'

type Hook =
  | 'onBeforeRequest' | 'onBeforeSendHeaders' | 'onSendHeaders' | 'onHeadersReceived'
  | 'onResponseStarted' | 'onBeforeRedirect' | 'onCompleted' | 'onErrorOccurred'

interface Registered {
  filter: CompiledFilter
  listener: (...args: never[]) => void
}

interface CompiledFilter {
  urls: MatchPattern[]
  excludeUrls: MatchPattern[]
  types: Set<WebRequestResourceType> | undefined
}

const RESOURCE_TYPES = ['mainFrame', 'subFrame', 'stylesheet', 'script', 'image', 'font', 'object', 'xhr', 'ping', 'cspReport', 'media', 'webSocket', 'other'] as const
const patternSchema = z.string().superRefine((value, ctx) => {
  const problem = matchPatternProblem(value)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})
const filterSchema = z.strictObject({
  urls: z.array(patternSchema).optional(),
  types: z.array(z.enum(RESOURCE_TYPES)).optional(),
  excludeUrls: z.array(patternSchema).optional(),
})
const FILTER_EXPECTED = "{ urls?: match patterns such as '*://*.example.com/*' or '<all_urls>', types?: resource types, excludeUrls?: match patterns }"
const headerRecord = z.record(z.string(), z.union([z.string(), z.array(z.string())]))
const beforeRequestSchema = z.strictObject({ cancel: z.boolean().optional(), redirectURL: z.string().refine((v) => URL.canParse(v), 'not an absolute URL').optional() })
const beforeSendHeadersSchema = z.strictObject({ cancel: z.boolean().optional(), requestHeaders: headerRecord.optional() })
const headersReceivedSchema = z.strictObject({
  cancel: z.boolean().optional(),
  responseHeaders: headerRecord.optional(),
  statusLine: z.string().regex(/^\S+ \d{3}( .*)?$/, 'not a status line such as "HTTP/1.1 404 Not Found"').optional(),
})
const timeoutSchema = z.number().int().positive().max(600_000)

/** Electron's default: listeners are waited for; ours bounds the wait (setListenerTimeout). */
const DEFAULT_LISTENER_TIMEOUT_MS = 10_000
const GATEWAY_FAILURES_KEPT = 200
const OBSERVING: readonly Hook[] = ['onSendHeaders', 'onResponseStarted', 'onBeforeRedirect', 'onCompleted', 'onErrorOccurred']

/**
 * Electron's `ses.webRequest`. The three hooks that decide (onBeforeRequest,
 * onBeforeSendHeaders, onHeadersReceived) run on browser-level Fetch pauses
 * (request and response stage), with Fetch patterns narrowed to their
 * filters; the five that only observe run on the Network domain of every
 * target of the session (pages, frames, workers, service workers), enabled
 * only once one of them is set. Nothing is paused while no deciding hook is
 * set. Requests of other sessions are never seen: a pause is ours only when
 * its frame belongs to one of this session's targets.
 *
 * A listener that throws, or does not call back within the listener timeout
 * (10 s, `setListenerTimeout`), lets the request proceed unchanged and the
 * session emits `'web-request-error'`.
 */
export class WebRequest {
  readonly #session: Session
  readonly #hooks = new Map<Hook, Registered>()
  #timeoutMs = DEFAULT_LISTENER_TIMEOUT_MS
  #registration: InterceptionRegistration | undefined
  #synced: Promise<void> = Promise.resolve()
  #manager: TargetManager | undefined
  #binding: SessionBinding | undefined
  #targetHook: Promise<void> | undefined
  /** Same-site frames (no target of their own) → the page or OOPIF target holding them. */
  readonly #frames = new FrameIndex()
  readonly #tracker: RequestTracker<TargetSession>
  /** Connections the session gateway could not make, by URL (see #errorName). */
  readonly #gatewayFailures = new Map<string, string>()
  /** The request-stage Fetch patterns of the deciding hooks now set. */
  #requestPatterns: Protocol.Fetch.RequestPattern[] = []

  /** @internal */
  constructor(session: Session) {
    this.#session = session
    this.#tracker = new RequestTracker(
      (event) => {
        this.#onTracked(event)
      },
      { awaitsDecision: (url, type) => this.#requestPatterns.some((p) => fetchPatternMatches(p, url, type, 'Request')) },
    )
    // Known as soon as the session's context exists, so a hook set later applies synchronously.
    detach(
      session.bindingFor('webRequest').then((binding) => {
        this.#binding ??= binding
        if (typeof binding.proxy !== 'string') {
          binding.proxy.onEvent((event) => {
            if (event.type === 'failed') this.#rememberGatewayFailure(event.url, netErrorForFailure(event.code, event.viaProxy))
          })
        }
      }),
      'webRequest binding',
    )
    // The interceptor is the browser process's: a closed session must leave no patterns behind.
    session.once('closed', () => {
      this.#hooks.clear()
      this.#registration?.remove()
      this.#registration = undefined
    })
  }

  onBeforeRequest(filter: WebRequestFilter | BeforeRequestListener | null, listener?: BeforeRequestListener | null): void {
    this.#set('onBeforeRequest', filter, listener)
  }
  onBeforeSendHeaders(filter: WebRequestFilter | BeforeSendHeadersListener | null, listener?: BeforeSendHeadersListener | null): void {
    this.#set('onBeforeSendHeaders', filter, listener)
  }
  onSendHeaders(filter: WebRequestFilter | ((details: SendHeadersDetails) => void) | null, listener?: ((details: SendHeadersDetails) => void) | null): void {
    this.#set('onSendHeaders', filter, listener)
  }
  onHeadersReceived(filter: WebRequestFilter | HeadersReceivedListener | null, listener?: HeadersReceivedListener | null): void {
    this.#set('onHeadersReceived', filter, listener)
  }
  onResponseStarted(filter: WebRequestFilter | ((details: ResponseStartedDetails) => void) | null, listener?: ((details: ResponseStartedDetails) => void) | null): void {
    this.#set('onResponseStarted', filter, listener)
  }
  onBeforeRedirect(filter: WebRequestFilter | ((details: BeforeRedirectDetails) => void) | null, listener?: ((details: BeforeRedirectDetails) => void) | null): void {
    this.#set('onBeforeRedirect', filter, listener)
  }
  onCompleted(filter: WebRequestFilter | ((details: CompletedDetails) => void) | null, listener?: ((details: CompletedDetails) => void) | null): void {
    this.#set('onCompleted', filter, listener)
  }
  onErrorOccurred(filter: WebRequestFilter | ((details: ErrorOccurredDetails) => void) | null, listener?: ((details: ErrorOccurredDetails) => void) | null): void {
    this.#set('onErrorOccurred', filter, listener)
  }

  /**
   * (ours) How long a deciding listener may take to call back before its
   * request proceeds unchanged (ms, default 10 000).
   */
  setListenerTimeout(ms: number): void {
    this.#timeoutMs = validateArg('webRequest.setListenerTimeout', 'ms', timeoutSchema, ms, 'a whole number of ms between 1 and 600000')
  }

  /** @internal Resolves once Chromium pauses what the hooks set so far need (createWebContents waits for it). */
  async ready(): Promise<void> {
    await this.#synced
  }

  #set(hook: Hook, filterOrListener: unknown, maybeListener: unknown): void {
    const api = `webRequest.${hook}`
    let filter: unknown
    let listener: unknown
    if (typeof filterOrListener === 'function' || filterOrListener === null) {
      if (maybeListener !== undefined) validateArg(api, 'filter', filterSchema, filterOrListener, FILTER_EXPECTED)
      listener = filterOrListener
    } else {
      filter = filterOrListener
      listener = maybeListener
    }
    const parsed = filter === undefined ? {} : validateArg(api, 'filter', filterSchema, filter, FILTER_EXPECTED)
    validateArg(api, 'listener', z.union([z.function(), z.null()]), listener, 'a function, or null to remove the listener')
    if (listener === null) this.#hooks.delete(hook)
    else {
      this.#hooks.set(hook, {
        listener: listener as Registered['listener'],
        filter: {
          urls: (parsed.urls ?? []).map((p) => parseMatchPattern(p)),
          excludeUrls: (parsed.excludeUrls ?? []).map((p) => parseMatchPattern(p)),
          types: parsed.types ? new Set(parsed.types) : undefined,
        },
      })
    }
    // Once the session is bound, the Fetch and Network commands go out before this call returns,
    // so they reach Chromium ahead of anything the caller sends next (executeJavaScript, a
    // navigation): Electron's hooks apply to the next request.
    const synced = this.#binding ? this.#sync(this.#binding) : this.#synced.then(() => this.#bindAndSync())
    const previous = this.#synced
    this.#synced = Promise.all([previous, synced]).then(
      () => undefined,
      (error: unknown) => debug('%s: enabling interception failed: %s', api, String(error)),
    )
  }

  async #bindAndSync(): Promise<void> {
    if (this.#session.closed) return
    this.#binding ??= await this.#session.bindingFor('webRequest')
    await this.#sync(this.#binding)
  }

  /** Brings Fetch patterns and per-target tracking in line with the hooks set now; sends at once. */
  #sync(binding: SessionBinding): Promise<unknown> {
    if (this.#session.closed) return Promise.resolve()
    this.#manager = binding.manager
    const requestPatterns = [...fetchPatterns(this.#hooks.get('onBeforeRequest')?.filter, 'Request'), ...fetchPatterns(this.#hooks.get('onBeforeSendHeaders')?.filter, 'Request')]
    this.#requestPatterns = requestPatterns
    const responsePatterns = fetchPatterns(this.#hooks.get('onHeadersReceived')?.filter, 'Response')
    const patterns = [...requestPatterns, ...responsePatterns]
    const steps: Array<Promise<unknown>> = []
    if (patterns.length > 0 || this.#hooks.size > 0) steps.push(this.#trackTargets(binding.manager))
    if (patterns.length === 0) {
      this.#registration?.remove()
      this.#registration = undefined
    } else if (this.#registration) {
      steps.push(this.#registration.update(patterns))
    } else {
      this.#registration = binding.interceptor.add(this.#handler(patterns))
      steps.push(this.#registration.ready)
    }
    return Promise.all(steps)
  }

  #handler(patterns: Protocol.Fetch.RequestPattern[]): InterceptionHandler {
    const listenerTimeout = (): number => this.#timeoutMs
    return {
      priority: 0,
      patterns,
      // Two listeners may each take the whole listener timeout; the interceptor's bound is a backstop.
      get timeoutMs() {
        return 2 * listenerTimeout() + 5_000
      },
      onRequest: (event, target) => this.#onRequest(event, target),
      onResponse: (event, target) => this.#onResponse(event, target),
    }
  }

  // ---- per-target tracking --------------------------------------------------

  #trackTargets(manager: TargetManager): Promise<unknown> {
    this.#targetHook ??= this.#session.addTargetHook({ apply: (target) => this.#applyTracking(target) }).ready
    const observing = OBSERVING.some((hook) => this.#hooks.has(hook))
    if (!observing) return this.#targetHook
    // Targets that already run (the hook covers new ones): Network.enable is sent now.
    const live = manager.targetsOf(this.#session).map((t) => Promise.all(this.#applyTracking(t)).catch((error: unknown) => debug('webRequest tracking: %s', String(error))))
    return Promise.all([this.#targetHook, ...live])
  }

  #applyTracking(target: TargetSession): Array<Promise<unknown>> {
    const steps: Array<Promise<unknown>> = []
    const { client } = target
    steps.push(...this.#frames.track(target))
    if (OBSERVING.some((hook) => this.#hooks.has(hook)) && !target.applied.has('webRequest:network')) {
      target.applied.set('webRequest:network', true)
      const tracker = this.#tracker
      client.on('Network.requestWillBeSent', (e) => {
        tracker.requestWillBeSent(e, target)
      })
      client.on('Network.requestServedFromCache', (e) => {
        tracker.requestServedFromCache(e)
      })
      client.on('Network.responseReceived', (e) => {
        tracker.responseReceived(e)
      })
      client.on('Network.loadingFinished', (e) => {
        tracker.loadingFinished(e)
      })
      client.on('Network.loadingFailed', (e) => {
        tracker.loadingFailed(e)
      })
      client.on('Network.webSocketCreated', (e) => {
        tracker.webSocketCreated(e, target)
      })
      client.on('Network.webSocketWillSendHandshakeRequest', (e) => {
        tracker.webSocketWillSendHandshakeRequest(e)
      })
      client.on('Network.webSocketHandshakeResponseReceived', (e) => {
        tracker.webSocketHandshakeResponseReceived(e)
      })
      steps.push(target.enable('Network'))
    }
    return steps
  }

  /** The target a paused request belongs to, if it is one of this session's. */
  #owned(frameId: string, target: TargetSession | undefined): TargetSession | undefined {
    const found = this.#frames.targetOf(frameId, target)
    return found && this.#manager?.ownerOf(found) === this.#session ? found : undefined
  }

  // ---- deciding hooks (Fetch) -----------------------------------------------

  async #onRequest(event: Protocol.Fetch.RequestPausedEvent, pausedTarget: TargetSession | undefined): Promise<RequestDecision | undefined> {
    const target = this.#owned(event.frameId, pausedTarget)
    if (!target) return undefined
    const decision = await this.#decideRequest(event, target)
    // onSendHeaders (Network) waits for this: it shows the headers as sent, and nothing for a request that is not sent.
    let sent: SendDecision = { sent: event.request.headers }
    if (decision?.kind === 'continue' && decision.headers) sent = { sent: headerObject(decision.headers) }
    else if (decision && decision.kind !== 'continue') sent = { sent: false }
    this.#tracker.decided(event.networkId ?? event.requestId, event.request.url, sent)
    return decision
  }

  async #decideRequest(event: Protocol.Fetch.RequestPausedEvent, target: TargetSession): Promise<RequestDecision | undefined> {
    const id = this.#tracker.idFor(event.networkId ?? event.requestId)
    const base = this.#details(id, event.request.url, event.request.method, event.resourceType, event.frameId, target, {
      referrer: headerValue(event.request.headers, 'referer') ?? '',
      timestamp: Date.now(),
      postDataEntries: event.request.postDataEntries,
    })
    const before = this.#hooks.get('onBeforeRequest')
    if (before && this.#filtered(before.filter, base)) {
      const response = await this.#ask('onBeforeRequest', before, base, beforeRequestSchema, '{ cancel?: boolean, redirectURL?: string }')
      if (response?.cancel) return { kind: 'fail', errorReason: 'BlockedByClient' }
      if (response?.redirectURL) return redirectTo(response.redirectURL, event.request.headers)
    }
    const headersHook = this.#hooks.get('onBeforeSendHeaders')
    if (headersHook && this.#filtered(headersHook.filter, base)) {
      const details: BeforeSendHeadersDetails = { ...base, requestHeaders: { ...event.request.headers } }
      const response = await this.#ask('onBeforeSendHeaders', headersHook, details, beforeSendHeadersSchema, '{ cancel?: boolean, requestHeaders?: object }')
      if (response?.cancel) return { kind: 'fail', errorReason: 'BlockedByClient' }
      if (response?.requestHeaders) return { kind: 'continue', headers: headerEntries(response.requestHeaders, true) }
    }
    return undefined
  }

  async #onResponse(event: Protocol.Fetch.RequestPausedEvent, pausedTarget: TargetSession | undefined): Promise<ResponseDecision | undefined> {
    const hook = this.#hooks.get('onHeadersReceived')
    if (!hook || event.responseErrorReason !== undefined || event.responseStatusCode === undefined) return undefined
    const target = this.#owned(event.frameId, pausedTarget)
    if (!target) return undefined
    const id = this.#tracker.idFor(event.networkId ?? event.requestId)
    const base = this.#details(id, event.request.url, event.request.method, event.resourceType, event.frameId, target, {
      referrer: headerValue(event.request.headers, 'referer') ?? '',
      timestamp: Date.now(),
      postDataEntries: event.request.postDataEntries,
    })
    if (!this.#filtered(hook.filter, base)) return undefined
    const code = event.responseStatusCode
    const details: HeadersReceivedDetails = {
      ...base,
      statusCode: code,
      statusLine: `HTTP/1.1 ${code}${event.responseStatusText ? ` ${event.responseStatusText}` : ''}`,
      responseHeaders: headerLists(event.responseHeaders ?? []),
    }
    const response = await this.#ask('onHeadersReceived', hook, details, headersReceivedSchema, '{ cancel?: boolean, responseHeaders?: object, statusLine?: string }')
    if (!response) return undefined
    if (response.cancel) return { kind: 'fail', errorReason: 'BlockedByClient' }
    const decision: ResponseDecision & { kind: 'continue' } = { kind: 'continue' }
    if (response.responseHeaders) decision.responseHeaders = headerEntries(response.responseHeaders)
    if (response.statusLine) {
      const [, status, phrase] = /^\S+ (\d{3})(?: (.*))?$/.exec(response.statusLine)!
      decision.responseCode = Number(status)
      decision.responsePhrase = phrase ?? ''
    }
    return decision.responseHeaders || decision.responseCode !== undefined ? decision : undefined
  }

  /** Calls a deciding listener, bounded by the listener timeout; undefined = proceed unchanged. */
  #ask<S extends z.ZodType>(hook: Hook, registered: Registered, details: WebRequestDetails, schema: S, expected: string): Promise<z.output<S> | undefined> {
    const api = `webRequest.${hook}`
    return new Promise((resolve) => {
      let done = false
      const finish = (value: z.output<S> | undefined): void => {
        done = true
        clearTimeout(timer)
        resolve(value)
      }
      const timer = setTimeout(() => {
        if (done) return
        finish(undefined)
        this.#report(hook, details, new Error(`${api}: the listener did not call back within ${this.#timeoutMs} ms for ${details.url}; the request proceeds unchanged.`))
      }, this.#timeoutMs)
      timer.unref()
      let answers = 0
      const callback = (response?: unknown): void => {
        answers++
        if (done) {
          // The request was settled already (first answer, a throw, or the timeout): this one changes nothing.
          const why = answers > 1 ? 'called back more than once' : 'called back after the request had proceeded'
          this.#report(hook, details, new Error(`${api}: the listener ${why} for ${details.url}; only the first answer counts.`))
          return
        }
        let parsed: z.output<S>
        try {
          parsed = validateArg(api, 'response', schema, response ?? {}, expected)
        } catch (error) {
          // Malformed: the request proceeds unchanged; the listener gets Electron's throw, the session a report.
          finish(undefined)
          this.#report(hook, details, error as Error)
          throw error
        }
        finish(parsed)
      }
      try {
        ;(registered.listener as (details: unknown, callback: (response?: unknown) => void) => void)(details, callback)
      } catch (error) {
        if (!done) finish(undefined)
        this.#report(hook, details, error instanceof Error ? error : new Error(String(error)))
      }
    })
  }

  #report(hook: Hook, details: WebRequestDetails, error: Error): void {
    debug('webRequest.%s for %s: %s', hook, details.url, error.message)
    this.#session.emit('web-request-error', error, { hook, id: details.id, url: details.url })
  }

  // ---- observing hooks (Network) --------------------------------------------

  #onTracked(event: TrackedEvent<TargetSession>): void {
    const hook = TRACKED_HOOK[event.type]
    const registered = this.#hooks.get(hook)
    if (!registered) return
    const { request, context } = event
    const base = this.#details(request.id, request.url, request.method, request.resourceType, request.frameId, context, request)
    if (!this.#filtered(registered.filter, base)) return
    const details = trackedDetails(event, base)
    if (event.type === 'errorOccurred') (details as ErrorOccurredDetails).error = this.#errorName(request.url, event.error)
    try {
      ;(registered.listener as (details: unknown) => void)(details)
    } catch (error) {
      this.#report(hook, details, error instanceof Error ? error : new Error(String(error)))
    }
  }

  #rememberGatewayFailure(url: string, error: string): void {
    this.#gatewayFailures.delete(url)
    this.#gatewayFailures.set(url, `net::${error}`)
    if (this.#gatewayFailures.size > GATEWAY_FAILURES_KEPT) this.#gatewayFailures.delete(this.#gatewayFailures.keys().next().value!)
  }

  /**
   * Behind the session gateway Chromium sees a failed connection as the proxy
   * closing on it and reports 'net::ERR_FAILED'; the gateway knows the real
   * cause (refused, reset, name not resolved), as Electron would report it.
   * An https request's failure is its tunnel's (`https://host:port/`).
   */
  #errorName(url: string, error: string): string {
    if (error !== 'net::ERR_FAILED' || !URL.canParse(url)) return error
    const parsed = new URL(url)
    const keys = parsed.protocol === 'https:' || parsed.protocol === 'wss:' ? [parsed.href, `https://${parsed.host}/`] : [parsed.href]
    for (const key of keys) {
      const found = this.#gatewayFailures.get(key)
      if (found) return found
    }
    return error
  }

  // ---- details ---------------------------------------------------------------

  /**
   * CDP reports every worker's main script as 'Other'. A service worker's own script names the
   * worker's target. A shared worker's script names the page's frame, but the worker's target is
   * already attached (paused) with the script's URL when the script is fetched. A dedicated
   * worker's target attaches only after its script arrived (measured), so that one stays 'other'.
   */
  #isWorkerScript(url: string, target: TargetSession): boolean {
    if (target.kind === 'service_worker') return url === target.initialUrl
    return this.#manager?.targetsOf(this.#session).some((t) => t.kind === 'shared_worker' && t.initialUrl === url) ?? false
  }

  #details(
    id: number,
    url: string,
    method: string,
    cdpType: Protocol.Network.ResourceType,
    frameId: string | undefined,
    target: TargetSession,
    extra: Pick<TrackedRequest, 'referrer' | 'timestamp' | 'postDataEntries'>,
  ): WebRequestDetails {
    const page = target.topPage
    const webContents = page ? this.#session.webContentsForTarget(page.targetId) : undefined
    const mainFrame = page !== undefined && (frameId ?? target.targetId) === page.targetId
    const details: WebRequestDetails = {
      id,
      url,
      method,
      resourceType: cdpType === 'Other' && this.#isWorkerScript(url, target) ? 'script' : electronResourceType(cdpType, mainFrame),
      referrer: extra.referrer,
      timestamp: extra.timestamp,
    }
    if (webContents) {
      details.webContentsId = webContents.id
      details.webContents = webContents
    }
    if (extra.postDataEntries?.length) {
      details.uploadData = extra.postDataEntries.map((entry) => ({ bytes: Buffer.from(entry.bytes ?? '', 'base64') }))
    }
    return details
  }

  #filtered(filter: CompiledFilter, details: WebRequestDetails): boolean {
    if (filter.types && !filter.types.has(details.resourceType)) return false
    if (filter.urls.length > 0 && !filter.urls.some((p) => p.matches(details.url))) return false
    return !filter.excludeUrls.some((p) => p.matches(details.url))
  }
}

function trackedDetails(event: TrackedEvent<TargetSession>, base: WebRequestDetails): WebRequestDetails {
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

const TRACKED_HOOK: Record<TrackedEvent<unknown>['type'], Hook> = {
  sendHeaders: 'onSendHeaders',
  responseStarted: 'onResponseStarted',
  beforeRedirect: 'onBeforeRedirect',
  completed: 'onCompleted',
  errorOccurred: 'onErrorOccurred',
}

function responseDetails(response: TrackedResponse): Omit<ResponseStartedDetails, keyof WebRequestDetails> {
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
 * Chromium's resource type as Electron names it (fetch() is 'xhr'). CDP
 * reports worker scripts as 'Other' and their paused request carries nothing
 * that tells them apart (no Sec-Fetch-Dest yet), so they stay 'other' where
 * Electron says 'script'.
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
  script: ['Script'],
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
function headerEntries(headers: Record<string, string | string[]>, join = false): Protocol.Fetch.HeaderEntry[] {
  const entries: Protocol.Fetch.HeaderEntry[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (join && Array.isArray(value)) entries.push({ name, value: value.join(', ') })
    else for (const v of Array.isArray(value) ? value : [value]) entries.push({ name, value: v })
  }
  return entries
}

function headerObject(entries: Protocol.Fetch.HeaderEntry[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const { name, value } of entries) headers[name] = name in headers ? `${headers[name]}, ${value}` : value
  return headers
}

/**
 * A redirect the page sees as one (Electron's redirectURL): a 307 answered
 * by us keeps method and body. Cross-origin fetches need the redirect to pass
 * CORS, so it allows the request's own origin.
 */
function redirectTo(url: string, requestHeaders: Protocol.Network.Headers): RequestDecision {
  const responseHeaders: Protocol.Fetch.HeaderEntry[] = [{ name: 'Location', value: url }]
  const origin = headerValue(requestHeaders, 'origin')
  if (origin) {
    responseHeaders.push({ name: 'Access-Control-Allow-Origin', value: origin }, { name: 'Access-Control-Allow-Credentials', value: 'true' })
  }
  return { kind: 'fulfill', responseCode: 307, responsePhrase: 'Internal Redirect', responseHeaders, body: '' }
}
