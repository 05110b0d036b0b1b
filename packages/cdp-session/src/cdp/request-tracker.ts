import type { Protocol } from 'devtools-protocol'

/** A request as the Network domain reported it (the part webRequest details need). */
export interface TrackedRequest {
  /** Our id, stable across the request's redirects and shared with its Fetch pauses. */
  id: number
  url: string
  method: string
  resourceType: Protocol.Network.ResourceType
  frameId: string | undefined
  referrer: string
  /** ms since the epoch. */
  timestamp: number
  headers: Protocol.Network.Headers
  postDataEntries: Protocol.Network.PostDataEntry[] | undefined
}

export interface TrackedResponse {
  statusCode: number
  /** `HTTP/1.1 200 OK`, as Electron reports it. */
  statusLine: string
  /** One array per header name; Chromium joins repeated headers with '\n'. */
  headers: Record<string, string[]>
  fromCache: boolean
  ip: string | undefined
}

export type TrackedEvent<C> =
  | { type: 'sendHeaders'; request: TrackedRequest; context: C }
  | { type: 'responseStarted'; request: TrackedRequest; response: TrackedResponse; context: C }
  | { type: 'beforeRedirect'; request: TrackedRequest; response: TrackedResponse; redirectURL: string; context: C }
  | { type: 'completed'; request: TrackedRequest; response: TrackedResponse; context: C }
  | { type: 'errorOccurred'; request: TrackedRequest; response: TrackedResponse | undefined; error: string; context: C }

interface State<C> {
  request: TrackedRequest
  /** The hop's URL as Fetch reports it (no fragment). */
  fetchUrl: string
  response: TrackedResponse | undefined
  fromMemoryCache: boolean
  started: boolean
  /** sendHeaders held until the deciding hooks let this hop go (see `decided`). */
  sendHeld: boolean
  /** A deciding hook cancelled it: its failure is net::ERR_BLOCKED_BY_CLIENT whatever the loader says. */
  blocked: boolean
  context: C
}

/** How the deciding hooks (Fetch request stage) let one hop of a request go. */
export type SendDecision = { sent: Protocol.Network.Headers } | { sent: false; blocked?: boolean }

/** A paused request as Fetch describes it, for a request Network has not reported yet. */
export interface PausedHop<C> {
  request: Omit<TrackedRequest, 'id'>
  context: C
}

export interface RequestTrackerOptions {
  /**
   * Whether a hop will pause at Fetch's request stage for the deciding hooks
   * (their patterns match it): its sendHeaders then waits for `decided`, so it
   * comes after onBeforeSendHeaders and shows the headers as sent.
   */
  awaitsDecision?(url: string, resourceType: Protocol.Network.ResourceType): boolean
}

/** How many ids / finished requests are remembered (oldest forgotten first). */
const ID_LIMIT = 20_000

/**
 * Pairs `Network.*` events of one session's targets into webRequest's
 * lifecycle: sendHeaders → (beforeRedirect → sendHeaders)* → responseStarted
 * → completed, or errorOccurred at any point. One request is reported once
 * even when two targets report it (a dedicated worker's requests can reach
 * both the worker's and the page's Network domain). Ids come from `idFor`,
 * keyed by Chromium's request id, which Fetch reports as `networkId` and
 * which stays the same across redirects — so Fetch-based hooks and these
 * events share one id per request.
 */
export class RequestTracker<C> {
  readonly #emit: (event: TrackedEvent<C>) => void
  readonly #ids = new Map<string, number>()
  #nextId = 1
  readonly #live = new Map<string, State<C>>()
  readonly #finished = new Set<string>()
  readonly #awaitsDecision: RequestTrackerOptions['awaitsDecision']
  /** Decisions that arrived before the Network event of their hop, by Chromium request id. */
  readonly #early = new Map<string, { url: string; decision: SendDecision }>()
  readonly #hopWaiters = new Map<string, Array<() => void>>()

  constructor(emit: (event: TrackedEvent<C>) => void, options: RequestTrackerOptions = {}) {
    this.#emit = emit
    this.#awaitsDecision = options.awaitsDecision
  }

  /**
   * The deciding hooks are done with the hop of `networkId` at `url`: it goes
   * out with `sent` headers, or not at all (`sent: false`: cancelled, or
   * answered with a redirect). Network reports a request before Fetch pauses
   * it, with the headers the page asked for; Electron's onSendHeaders comes
   * after onBeforeSendHeaders with the headers as sent, so the tracker holds
   * sendHeaders for hops that will pause (`awaitsDecision`) until this call —
   * or, should no decision come (a memory-cache hit never pauses), until the
   * hop's next event.
   */
  decided(networkId: string, url: string, decision: SendDecision, paused?: PausedHop<C>): void {
    if (this.#finished.has(networkId)) return
    let state = this.#live.get(networkId)
    if (!state && paused) {
      // Fetch paused (and the hooks decided) before Network reported the request — seen with
      // POST fetches, whose Network event can come even after the response. Electron's
      // onSendHeaders comes now, so the pause's own account starts the request; Network's
      // later report of it is then a duplicate.
      state = this.#start(networkId, { ...paused.request, id: this.idFor(networkId) }, url, paused.context)
      state.sendHeld = true
    }
    if (state?.fetchUrl === url) {
      if (state.sendHeld) this.#release(state, decision)
      else if (decision.sent === false && decision.blocked) state.blocked = true
      return
    }
    // Network has not reported this hop yet (a redirect's next hop): kept for its report.
    this.#early.set(networkId, { url, decision })
    if (this.#early.size > ID_LIMIT) this.#early.delete(this.#early.keys().next().value!)
  }

  /** A deciding hook cancelled the request at the response stage (its failure is the hook's). */
  blocked(networkId: string): void {
    const state = this.#live.get(networkId)
    if (state) state.blocked = true
  }

  /** Chromium's resource type for a request Network has reported (Fetch calls worker scripts 'Other'). */
  resourceTypeOf(networkId: string): Protocol.Network.ResourceType | undefined {
    return this.#live.get(networkId)?.request.resourceType
  }

  #start(requestId: string, request: TrackedRequest, fetchUrl: string, context: C): State<C> {
    const state: State<C> = { request, fetchUrl, response: undefined, fromMemoryCache: false, started: false, sendHeld: false, blocked: false, context }
    this.#live.set(requestId, state)
    // Requests Network never finishes for us (e.g. its target detached first) must not pile up.
    if (this.#live.size > ID_LIMIT) this.#live.delete(this.#live.keys().next().value!)
    return state
  }

  #release(state: State<C>, decision: SendDecision): void {
    state.sendHeld = false
    if (decision.sent === false) {
      if (decision.blocked) state.blocked = true
      return
    }
    state.request = { ...state.request, headers: decision.sent }
    this.#emit({ type: 'sendHeaders', request: state.request, context: state.context })
  }

  /** A held sendHeaders goes out before anything later about its hop. */
  #flush(state: State<C>): void {
    if (state.sendHeld) this.#release(state, { sent: state.request.headers })
  }

  /** Our id for Chromium's request id (created on first sight). */
  idFor(networkId: string): number {
    let id = this.#ids.get(networkId)
    if (id === undefined) {
      id = this.#nextId++
      this.#ids.set(networkId, id)
      if (this.#ids.size > ID_LIMIT) this.#ids.delete(this.#ids.keys().next().value!)
    }
    return id
  }

  requestWillBeSent(event: Protocol.Network.RequestWillBeSentEvent, context: C): void {
    const { requestId } = event
    if (this.#finished.has(requestId)) return
    const previous = this.#live.get(requestId)
    if (event.redirectResponse && previous) {
      this.#flush(previous)
      const response = toResponse(event.redirectResponse, false)
      this.#emit({ type: 'beforeRedirect', request: previous.request, response, redirectURL: event.request.url, context: previous.context })
    } else if (previous) {
      return // the same request reported by a second target
    }
    const request: TrackedRequest = {
      id: this.idFor(requestId),
      url: event.request.url + (event.request.urlFragment ?? ''),
      method: event.request.method,
      resourceType: event.type ?? 'Other',
      frameId: event.frameId,
      referrer: headerValue(event.request.headers, 'referer') ?? '',
      timestamp: event.wallTime * 1000,
      headers: event.request.headers,
      postDataEntries: event.request.postDataEntries,
    }
    this.#hop(requestId, request, event.request.url, previous?.context ?? context)
  }

  /** A new hop (first or after a redirect): sendHeaders now, or held for the deciding hooks. */
  #hop(requestId: string, request: TrackedRequest, fetchUrl: string, owner: C): void {
    const state = this.#start(requestId, request, fetchUrl, owner)
    const early = this.#early.get(requestId)
    if (early) this.#early.delete(requestId)
    if (early?.url === fetchUrl) this.#release(state, early.decision)
    else if (this.#awaitsDecision?.(fetchUrl, request.resourceType)) state.sendHeld = true
    else this.#emit({ type: 'sendHeaders', request, context: owner })
    this.#wake(requestId)
  }

  /**
   * Resolves once Network has reported the hop of `networkId` at `url` (a
   * redirect's next hop), or the request ended; undefined when there is
   * nothing to wait for. Fetch can pause a redirect's next hop before Network
   * reports the redirect; Electron's onBeforeRedirect comes first.
   */
  untilHop(networkId: string, url: string): Promise<void> | undefined {
    const state = this.#live.get(networkId)
    if (!state || state.fetchUrl === url) return undefined
    return new Promise((resolve) => {
      const list = this.#hopWaiters.get(networkId) ?? []
      list.push(resolve)
      this.#hopWaiters.set(networkId, list)
    })
  }

  #wake(requestId: string): void {
    const list = this.#hopWaiters.get(requestId)
    if (!list) return
    this.#hopWaiters.delete(requestId)
    for (const resolve of list) resolve()
  }

  /**
   * A deciding hook answered with a redirect that no Network domain will
   * report (a dedicated worker's script, see responseReceived): the redirect
   * and the next hop as Network would have told them.
   */
  redirectedByHook(networkId: string, from: string, to: string, response: TrackedResponse): void {
    const state = this.#live.get(networkId)
    if (!state || state.fetchUrl !== from) return
    this.#emit({ type: 'beforeRedirect', request: state.request, response, redirectURL: to, context: state.context })
    this.#hop(networkId, { ...state.request, url: to, timestamp: Date.now() }, to, state.context)
  }

  requestServedFromCache(event: Protocol.Network.RequestServedFromCacheEvent): void {
    const state = this.#live.get(event.requestId)
    if (state) state.fromMemoryCache = true
  }

  /** `from`: the target that reported it, if known (a dedicated worker reports its script's response). */
  responseReceived(event: Protocol.Network.ResponseReceivedEvent, from?: C): void {
    const state = this.#live.get(event.requestId)
    if (!state || state.started) return
    this.#flush(state)
    state.started = true
    state.response = toResponse(event.response, state.fromMemoryCache)
    // Redirects of a dedicated worker's script reach no Network domain we hear (the page reports
    // the request, the worker's target — attached only once the script arrived — its response):
    // that response still names the URL that answered.
    const answered = event.response.url
    if (from !== undefined && from !== state.context && answered && answered !== state.fetchUrl) {
      state.request = { ...state.request, url: answered }
      state.fetchUrl = answered
    }
    this.#emit({ type: 'responseStarted', request: state.request, response: state.response, context: state.context })
  }

  loadingFinished(event: Protocol.Network.LoadingFinishedEvent): void {
    const state = this.#finish(event.requestId)
    if (!state) return
    this.#flush(state)
    if (!state.response) return // finished without a response (e.g. a 204 beacon reported oddly): nothing to say
    this.#emit({ type: 'completed', request: state.request, response: state.response, context: state.context })
  }

  loadingFailed(event: Protocol.Network.LoadingFailedEvent): void {
    const state = this.#finish(event.requestId)
    if (!state) return
    this.#flush(state)
    // Requests failed through Fetch are reported as e.g. 'net::ERR_BLOCKED_BY_CLIENT.Inspector'.
    const text = event.errorText.replace(/\.Inspector$/, '')
    let error = event.canceled && !text.startsWith('net::') ? 'net::ERR_ABORTED' : text || 'net::ERR_FAILED'
    // A worker's script loader reports a request Fetch failed for a hook as aborted.
    if (state.blocked && (error === 'net::ERR_ABORTED' || error === 'net::ERR_FAILED')) error = 'net::ERR_BLOCKED_BY_CLIENT'
    this.#emit({ type: 'errorOccurred', request: state.request, response: state.response, error, context: state.context })
  }

  // WebSocket handshakes never pause in Fetch; Network reports them with events of their own
  // (no loadingFinished): created → willSendHandshakeRequest → handshakeResponseReceived.

  webSocketCreated(event: Protocol.Network.WebSocketCreatedEvent, context: C): void {
    if (this.#finished.has(event.requestId) || this.#live.has(event.requestId)) return
    const request: TrackedRequest = {
      id: this.idFor(event.requestId),
      url: event.url,
      method: 'GET',
      resourceType: 'WebSocket',
      frameId: undefined,
      referrer: '',
      timestamp: Date.now(),
      headers: {},
      postDataEntries: undefined,
    }
    this.#start(event.requestId, request, event.url, context)
  }

  webSocketWillSendHandshakeRequest(event: Protocol.Network.WebSocketWillSendHandshakeRequestEvent): void {
    const state = this.#live.get(event.requestId)
    if (!state || state.request.resourceType !== 'WebSocket') return
    state.request = { ...state.request, headers: event.request.headers, timestamp: event.wallTime * 1000 }
    this.#emit({ type: 'sendHeaders', request: state.request, context: state.context })
  }

  webSocketHandshakeResponseReceived(event: Protocol.Network.WebSocketHandshakeResponseReceivedEvent): void {
    const state = this.#live.get(event.requestId)
    if (!state || state.request.resourceType !== 'WebSocket' || state.started) return
    state.started = true
    const { response } = event
    const firstLine = response.headersText?.split('\r\n')[0]
    state.response = {
      statusCode: response.status,
      statusLine: firstLine?.startsWith('HTTP/') ? firstLine : statusLine('http/1.1', response.status, response.statusText),
      headers: headerLists(response.headers),
      fromCache: false,
      ip: undefined,
    }
    this.#emit({ type: 'responseStarted', request: state.request, response: state.response, context: state.context })
    this.#finish(event.requestId)
    this.#emit({ type: 'completed', request: state.request, response: state.response, context: state.context })
  }

  /** Requests being tracked now (for tests and leak checks). */
  get size(): number {
    return this.#live.size
  }

  #finish(requestId: string): State<C> | undefined {
    const state = this.#live.get(requestId)
    if (!state) return undefined
    this.#live.delete(requestId)
    this.#wake(requestId)
    this.#finished.add(requestId)
    if (this.#finished.size > ID_LIMIT) this.#finished.delete(this.#finished.values().next().value!)
    return state
  }
}

/** Electron's status line: `HTTP/1.1 200 OK`. */
export function statusLine(protocol: string | undefined, status: number, statusText: string | undefined): string {
  const version = protocol === 'http/1.0' ? 'HTTP/1.0' : protocol === 'h2' ? 'HTTP/2.0' : protocol === 'h3' || protocol?.startsWith('h3-') ? 'HTTP/3.0' : 'HTTP/1.1'
  return statusText ? `${version} ${status} ${statusText}` : `${version} ${status}`
}

/** Chromium's header object (repeats joined with '\n') as Electron's `Record<string, string[]>`. */
export function headerLists(headers: Protocol.Network.Headers | Protocol.Fetch.HeaderEntry[]): Record<string, string[]> {
  const result: Record<string, string[]> = {}
  const add = (name: string, value: string): void => {
    const list = (result[name] ??= [])
    list.push(...value.split('\n'))
  }
  if (Array.isArray(headers)) for (const { name, value } of headers) add(name, value)
  else for (const [name, value] of Object.entries(headers)) add(name, String(value))
  return result
}

export function headerValue(headers: Protocol.Network.Headers, name: string): string | undefined {
  const lower = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === lower) return String(value)
  return undefined
}

function toResponse(response: Protocol.Network.Response, fromMemoryCache: boolean): TrackedResponse {
  return {
    statusCode: response.status,
    statusLine: statusLine(response.protocol, response.status, response.statusText),
    headers: headerLists(response.headers),
    fromCache: fromMemoryCache || Boolean(response.fromDiskCache) || Boolean(response.fromPrefetchCache),
    ip: response.remoteIPAddress,
  }
}
