import type { Protocol } from 'devtools-protocol'
import { z } from 'zod'
import { parseMatchPattern, matchPatternProblem } from '../common/match-pattern.js'
import { debug, detach, within } from '../common/util.js'
import { validateArg } from '../common/validate.js'
import { fetchPatternMatches, type InterceptionHandler, type InterceptionRegistration, type RequestDecision, type ResponseDecision } from '../cdp/request-interceptor.js'
import { headerLists, headerValue, RequestTracker, type SendDecision, type TrackedEvent, type TrackedRequest } from '../cdp/request-tracker.js'
import type { TargetManager } from '../cdp/target-manager.js'
import type { TargetSession } from '../cdp/target-session.js'
import { GATEWAY_MASKED_ERRORS } from '../net/session-proxy.js'
import type { SessionContext } from './context.js'
import type { SessionBinding } from './core/types.js'
import { electronResourceType, fetchPatterns, headerEntries, headerObject, redirectTo, TRACKED_HOOK, trackedDetails, type CompiledFilter, type Hook } from './web-request-util.js'
import type {
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
export { electronResourceType, fetchPatterns } from './web-request-util.js'

interface Registered {
  filter: CompiledFilter
  listener: (...args: never[]) => void
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
/** How long a redirect's next hop waits for Network's report of the redirect (measured: a few ms). */
const HOP_REPORT_WAIT_MS = 2_000

/**
 * Electron's `ses.webRequest`. The three hooks that decide (onBeforeRequest,
 * onBeforeSendHeaders, onHeadersReceived) run on browser-level Fetch pauses
 * (request and response stage), with Fetch patterns narrowed to their
 * filters; the five that only observe run on the Network domain of every
 * target of the session (pages, frames, workers, service workers), enabled
 * once one of them is set (the deciding hooks alone cost Chromium no Network
 * events). Nothing is paused while no deciding hook is set.
 * Network reports a request on its own channel, before or after its Fetch
 * pause: the tracker orders the two into Electron's sequence (onSendHeaders
 * after onBeforeSendHeaders, onBeforeRedirect before the next hop's
 * onBeforeRequest). Requests of other sessions are never seen: a pause is ours only when
 * its frame belongs to one of this session's targets.
 *
 * No request waits on a listener for good: one that throws, does not call
 * back within the listener timeout (10 s, `setListenerTimeout`), answers
 * twice or answers with a malformed object lets the request proceed as with
 * `{}` (the first well-formed answer in time counts) and the session emits
 * `'web-request-error'` for each misbehaviour (docs/decisions.md, issue #13).
 */
export class WebRequest {
  readonly #session: SessionContext
  readonly #hooks = new Map<Hook, Registered>()
  #timeoutMs = DEFAULT_LISTENER_TIMEOUT_MS
  #registration: InterceptionRegistration | undefined
  #synced: Promise<void> = Promise.resolve()
  #manager: TargetManager | undefined
  #binding: SessionBinding | undefined
  #targetHook: Promise<void> | undefined
  readonly #tracker: RequestTracker<TargetSession>
  /** Listener calls waiting for their callback (settled at once when the session closes). */
  readonly #asking = new Set<() => void>()
  /** The request-stage Fetch patterns of the deciding hooks now set. */
  #requestPatterns: Protocol.Fetch.RequestPattern[] = []

  /** @internal */
  constructor(session: SessionContext) {
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
      }),
      'webRequest binding',
    )
    session.addReadiness(() => this.ready())
    // The interceptor is the browser process's: a closed session must leave no patterns behind.
    session.onClose(() => {
      this.#hooks.clear()
      this.#registration?.remove()
      this.#registration = undefined
      // Their targets are gone: nothing is left to wait for.
      for (const settle of [...this.#asking]) settle()
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
    if (patterns.length > 0 || this.#observing()) steps.push(this.#trackTargets(binding.manager))
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
    this.#targetHook ??= Promise.all([this.#session.trackFrames(), this.#session.addTargetHook({ apply: (target) => this.#applyTracking(target) }).ready]).then(() => undefined)
    if (!this.#observing()) return this.#targetHook
    // Targets that already run (the hook covers new ones): Network.enable is sent now.
    const live = manager.targetsOf(this.#session).map((t) => Promise.all(this.#applyTracking(t)).catch((error: unknown) => debug('webRequest tracking: %s', String(error))))
    return Promise.all([this.#targetHook, ...live])
  }

  #applyTracking(target: TargetSession): Array<Promise<unknown>> {
    const steps: Array<Promise<unknown>> = []
    const { client } = target
    // Network only for the observing hooks (it costs Chromium about 10 events per request): the
    // deciding hooks alone get their ids and types from Fetch (requestKey, #resourceType).
    if (this.#observing() && !target.applied.has('webRequest:network')) {
      target.applied.set('webRequest:network', true)
      const tracker = this.#tracker
      client.on('Network.requestWillBeSent', (e) => {
        tracker.requestWillBeSent(e, target)
      })
      client.on('Network.requestServedFromCache', (e) => {
        tracker.requestServedFromCache(e)
      })
      client.on('Network.responseReceived', (e) => {
        tracker.responseReceived(e, target)
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

  /** Whether a hook that Network reports (onSendHeaders … onErrorOccurred) is set. */
  #observing(): boolean {
    for (const hook of this.#hooks.keys()) if (OBSERVING_HOOKS.has(hook)) return true
    return false
  }

  /** The target a paused request belongs to, if it is one of this session's. */
  #owned(frameId: string, target: TargetSession | undefined): TargetSession | undefined {
    return this.#binding ? this.#session.targetOfFrame(frameId, target, this.#binding) : undefined
  }

  // ---- deciding hooks (Fetch) -----------------------------------------------

  async #onRequest(event: Protocol.Fetch.RequestPausedEvent, pausedTarget: TargetSession | undefined): Promise<RequestDecision | undefined> {
    const target = this.#owned(event.frameId, pausedTarget)
    if (!target) return undefined
    const networkId = requestKey(event)
    const type = this.#resourceType(event)
    // A dedicated worker's script: no Network domain reports its redirects (RequestTracker.responseReceived).
    const workerScript = event.resourceType === 'Other' && type === 'Script'
    if (!workerScript) await this.#hopReported(networkId, event.request.url)
    const { decision, redirectURL } = await this.#decideRequest(event, type, target)
    // onSendHeaders (Network) waits for this: it shows the headers as sent, and nothing for a request that is not sent.
    let sent: SendDecision = { sent: event.request.headers }
    if (decision?.kind === 'continue' && decision.headers) sent = { sent: headerObject(decision.headers) }
    else if (decision?.kind === 'fail') sent = { sent: false, blocked: true }
    else if (decision && decision.kind !== 'continue') sent = { sent: false }
    const paused = target.applied.has('webRequest:network')
      ? {
          request: {
            url: event.request.url,
            method: event.request.method,
            resourceType: type,
            frameId: event.frameId,
            referrer: headerValue(event.request.headers, 'referer') ?? '',
            timestamp: Date.now(),
            headers: event.request.headers,
            postDataEntries: event.request.postDataEntries,
          },
          context: target,
        }
      : undefined
    // Without Network on the target nothing reports the request's later events: nothing to keep.
    if (paused) this.#tracker.decided(networkId, event.request.url, sent, paused)
    if (paused && workerScript && redirectURL) {
      this.#tracker.redirectedByHook(networkId, event.request.url, redirectURL, {
        statusCode: 307,
        statusLine: 'HTTP/1.1 307 Internal Redirect',
        headers: { Location: [redirectURL] },
        fromCache: false,
        ip: undefined,
      })
    }
    return decision
  }

  /**
   * A redirect's next hop can pause before Network has reported the redirect
   * (the page's Network events travel on their own channel). Electron calls
   * onBeforeRedirect before onBeforeRequest of the next hop, so the hooks wait
   * for that report — bounded, so a report that never comes delays, never stalls.
   */
  async #hopReported(networkId: string, url: string): Promise<void> {
    const reported = this.#tracker.untilHop(networkId, url)
    if (!reported) return
    if ((await within(reported.then(() => true), HOP_REPORT_WAIT_MS)) === undefined) {
      debug('webRequest: no Network report of the redirect to %s within %d ms; its hooks go on', url, HOP_REPORT_WAIT_MS)
    }
  }

  /** Fetch calls every worker's script 'Other'; the page's Network report, when it came first, says 'Script'. */
  #resourceType(event: Protocol.Fetch.RequestPausedEvent): Protocol.Network.ResourceType {
    if (event.resourceType !== 'Other') return event.resourceType
    const reported = this.#tracker.resourceTypeOf(requestKey(event))
    if (reported !== undefined) return reported
    // No Network report (none on this target, one not here yet, or Network on for another feature only).
    return looksLikeWorkerScript(event) ? 'Script' : 'Other'
  }

  async #decideRequest(
    event: Protocol.Fetch.RequestPausedEvent,
    type: Protocol.Network.ResourceType,
    target: TargetSession,
  ): Promise<{ decision: RequestDecision | undefined; redirectURL?: string }> {
    const id = this.#tracker.idFor(requestKey(event))
    const base = this.#details(id, event.request.url, event.request.method, type, event.frameId, target, {
      referrer: headerValue(event.request.headers, 'referer') ?? '',
      timestamp: Date.now(),
      postDataEntries: event.request.postDataEntries,
    })
    const before = this.#hooks.get('onBeforeRequest')
    if (before && this.#filtered(before.filter, base)) {
      const response = await this.#ask('onBeforeRequest', before, base, beforeRequestSchema, '{ cancel?: boolean, redirectURL?: string }')
      if (response?.cancel) return { decision: { kind: 'fail', errorReason: 'BlockedByClient' } }
      if (response?.redirectURL) return { decision: redirectTo(response.redirectURL, event.request.headers), redirectURL: response.redirectURL }
    }
    const headersHook = this.#hooks.get('onBeforeSendHeaders')
    if (headersHook && this.#filtered(headersHook.filter, base)) {
      const details: BeforeSendHeadersDetails = { ...base, requestHeaders: { ...event.request.headers } }
      const response = await this.#ask('onBeforeSendHeaders', headersHook, details, beforeSendHeadersSchema, '{ cancel?: boolean, requestHeaders?: object }')
      if (response?.cancel) return { decision: { kind: 'fail', errorReason: 'BlockedByClient' } }
      if (response?.requestHeaders) return { decision: { kind: 'continue', headers: headerEntries(response.requestHeaders, true) } }
    }
    return { decision: undefined }
  }

  async #onResponse(event: Protocol.Fetch.RequestPausedEvent, pausedTarget: TargetSession | undefined): Promise<ResponseDecision | undefined> {
    const hook = this.#hooks.get('onHeadersReceived')
    if (!hook || event.responseErrorReason !== undefined || event.responseStatusCode === undefined) return undefined
    const target = this.#owned(event.frameId, pausedTarget)
    if (!target) return undefined
    const id = this.#tracker.idFor(requestKey(event))
    const base = this.#details(id, event.request.url, event.request.method, this.#resourceType(event), event.frameId, target, {
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
    if (response.cancel) {
      this.#tracker.blocked(requestKey(event))
      return { kind: 'fail', errorReason: 'BlockedByClient' }
    }
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
        this.#asking.delete(abandon)
        resolve(value)
      }
      const abandon = (): void => {
        if (!done) finish(undefined)
      }
      this.#asking.add(abandon)
      const timer = setTimeout(() => {
        if (done) return
        finish(undefined)
        this.#report(hook, details, new Error(`${api}: the listener did not call back within ${this.#timeoutMs} ms for ${details.url}; the request proceeds unchanged.`))
      }, this.#timeoutMs)
      timer.unref()
      let answers = 0
      let reported: unknown
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
          reported = error
          this.#report(hook, details, error as Error)
          throw error
        }
        finish(parsed)
      }
      try {
        ;(registered.listener as (details: unknown, callback: (response?: unknown) => void) => void)(details, callback)
      } catch (error) {
        if (!done) finish(undefined)
        // A malformed answer's ValidationError that the listener let through is reported once.
        if (error !== reported) this.#report(hook, details, error instanceof Error ? error : new Error(String(error)))
      }
    })
  }

  #report(hook: Hook, details: WebRequestDetails, error: Error): void {
    debug('webRequest.%s for %s: %s', hook, details.url, error.message)
    this.#session.facade.emit('web-request-error', error, { hook, id: details.id, url: details.url })
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

  /**
   * Behind the session gateway Chromium sees a failed connection as the proxy
   * closing on it and reports 'net::ERR_FAILED'; the gateway knows the real
   * cause (refused, reset, name not resolved), as Electron would report it.
   * An https request's failure is its tunnel's (`https://host:port/`).
   */
  #errorName(url: string, error: string): string {
    if (!GATEWAY_MASKED_ERRORS.has(error.replace(/^net::/, ''))) return error
    const found = this.#session.gatewayFailure(url)
    return found === undefined ? error : `net::${found}`
  }

  // ---- details ---------------------------------------------------------------

  /**
   * CDP reports every worker's main script as 'Other'. A service worker's own script names the
   * worker's target. A shared worker's script names the page's frame, but the worker's target is
   * already attached (paused) with the script's URL when the script is fetched. A dedicated
   * worker's target attaches only after its script arrived (measured); its script is known by the
   * page's Network report ('Script', #resourceType).
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

/** The hooks whose events come from Network (the others decide at a Fetch pause). */
const OBSERVING_HOOKS: ReadonlySet<Hook> = new Set(Object.values(TRACKED_HOOK))

/**
 * Chromium's id of the request a pause belongs to, the same for each of its redirect hops:
 * Network's request id while Network is enabled on the target; else the Fetch job's, whose hops
 * are numbered `interception-job-N.0`, `.1`, … (measured on Chromium 156; each hop's
 * `redirectedRequestId` names the one before).
 */
function requestKey(event: Pick<Protocol.Fetch.RequestPausedEvent, 'networkId' | 'requestId'>): string {
  return event.networkId ?? event.requestId.replace(/\.\d+$/, '')
}

/**
 * A dedicated or shared worker's script, as Fetch shows it with no Network report to name it:
 * Fetch calls it 'Other', and the browser process fetches it with `Accept: *\/*`, a Referer and no
 * client hints (a User-Agent only under a session's override). Measured on Chromium 156 for
 * classic and module workers, with and without `setUserAgent`; the renderer's own 'Other'
 * requests (favicons) ask for images, and beacons, prefetches and EventSource have types of their
 * own. Limit: another 'Other' GET that accepts `*\/*` without client hints (an insecure origin
 * sends none) is taken for a script while no observing hook is set.
 */
function looksLikeWorkerScript(event: Pick<Protocol.Fetch.RequestPausedEvent, 'request'>): boolean {
  const headers = event.request.headers
  return event.request.method === 'GET' && headerValue(headers, 'accept') === '*/*' && headerValue(headers, 'sec-ch-ua') === undefined
}
