import type { Protocol } from 'devtools-protocol'
import { debug, detach, within } from '../common/util.js'
import type { CdpClient, CommandParams } from './client.js'
import type { TargetManager } from './target-manager.js'
import type { TargetSession } from './target-session.js'

type HeaderEntry = Protocol.Fetch.HeaderEntry
type AnswerCommand = 'Fetch.continueRequest' | 'Fetch.failRequest' | 'Fetch.fulfillRequest' | 'Fetch.continueResponse' | 'Fetch.continueWithAuth'

/**
 * What to do with a request paused at the request stage.
 * - `continue`: let it go, optionally changed. `url` is a transparent rewrite
 *   (the page never sees it; use a 307 `fulfill` for a visible redirect).
 *   `postData` is base64. `headers` replace the request's headers entirely.
 *   `interceptResponse: true` pauses this request again at the response stage
 *   (the handler's `onResponse` is then called for it even if its patterns
 *   name no response stage).
 * - `fail`: ends the request with a network error (`BlockedByClient` →
 *   `net::ERR_BLOCKED_BY_CLIENT` in the page).
 * - `fulfill`: answers it without the network; `body` is base64.
 * - `handled`: the handler has already answered the paused request itself
 *   (it owns `Fetch.*` for this request id and must answer exactly once).
 */
export type RequestDecision =
  | { kind: 'continue'; url?: string; method?: string; postData?: string; headers?: HeaderEntry[]; interceptResponse?: boolean }
  | { kind: 'fail'; errorReason: Protocol.Network.ErrorReason }
  | { kind: 'fulfill'; responseCode: number; responsePhrase?: string; responseHeaders?: HeaderEntry[]; body?: string }
  | { kind: 'handled' }

/**
 * What to do with a request paused at the response stage (headers arrived,
 * body not read yet; also redirects, and network errors with
 * `responseErrorReason` set).
 * - `continue`: let the response through, optionally with another status
 *   code, phrase or header list (all headers replaced).
 * - `fail` / `fulfill`: as at the request stage (fulfill replaces the response).
 * - `handled`: the handler answered the request itself, e.g. it read the body
 *   with `Fetch.takeResponseBodyAsStream` and then fulfilled or failed it.
 *   Chromium wedges a request taken as a stream and then left: finish it.
 */
export type ResponseDecision =
  | { kind: 'continue'; responseCode?: number; responsePhrase?: string; responseHeaders?: HeaderEntry[] }
  | { kind: 'fail'; errorReason: Protocol.Network.ErrorReason }
  | { kind: 'fulfill'; responseCode: number; responsePhrase?: string; responseHeaders?: HeaderEntry[]; body?: string }
  | { kind: 'handled' }

type Maybe<T> = T | undefined | Promise<T | undefined>

/**
 * One participant in browser-level interception. Handlers run in priority
 * order (lower first; equal priorities in the order they were added). A
 * handler is only called for paused requests that one of its own `patterns`
 * matches (URL glob, resource type, stage), or, at the response stage, that
 * it asked to see with `interceptResponse`.
 *
 * Whatever a handler does — returns, throws, rejects, never settles, its
 * target closes — the paused request is answered exactly once: a throw or a
 * rejection counts as "no opinion" (logged under NODE_DEBUG=cdp-session), and
 * so does a handler still pending after `timeoutMs`. Handlers that want a
 * shorter bound or to report the failure (ses.webRequest does) apply their
 * own timeout inside.
 */
export interface InterceptionHandler {
  /** Lower runs first: webRequest 0, protocol 10, internal header fixes 20. */
  priority: number
  /**
   * Patterns this handler needs; the interceptor enables the union of every
   * handler's patterns (re-sending Fetch.enable when it changes). Fetch's
   * syntax: `urlPattern` is a glob (`*` any run, `?` one char, `\` escapes),
   * `requestStage` defaults to 'Request'.
   */
  patterns: Protocol.Fetch.RequestPattern[]
  /**
   * Wants `Fetch.authRequired`. Challenges only arrive for requests some
   * handler's pattern pauses; a handler with `handleAuth` and no patterns
   * answers the challenges of requests other handlers pause and does not,
   * by itself, turn Fetch on.
   */
  handleAuth?: boolean
  /** How long one call may stay pending before it counts as "no opinion" (ms, default 30 000). */
  timeoutMs?: number
  /**
   * Request stage. undefined = no opinion. 'continue' overrides accumulate
   * down the chain (later handlers see the modified request: url, method,
   * headers, postData); the first 'fail' / 'fulfill' / 'handled' ends the
   * chain. `target` is the page, frame or worker target the request belongs
   * to (undefined when the frameId names no target, e.g. a same-site iframe's
   * frame: map it yourself).
   */
  onRequest?(event: Protocol.Fetch.RequestPausedEvent, target: TargetSession | undefined): Maybe<RequestDecision>
  /**
   * Response stage. Same chain rules: 'continue' overrides accumulate (later
   * handlers see the changed status and headers); the first 'fail' /
   * 'fulfill' / 'handled' ends the chain.
   */
  onResponse?(event: Protocol.Fetch.RequestPausedEvent, target: TargetSession | undefined): Maybe<ResponseDecision>
  /**
   * Fetch.authRequired, offered to every handler with `handleAuth` in
   * priority order: return a response, or undefined to pass it to the next
   * handler. When nobody answers: `{ response: 'CancelAuth' }` (Electron's
   * default for a challenge no 'login' listener takes: the page shows the 401/407 answer).
   */
  onAuth?(event: Protocol.Fetch.AuthRequiredEvent, target: TargetSession | undefined): Maybe<Protocol.Fetch.AuthChallengeResponse>
}

/** @deprecated Header replacement only; use InterceptionHandler. */
export type PausedRequestHandler = (event: Protocol.Fetch.RequestPausedEvent, target: TargetSession | undefined) => HeaderEntry[] | undefined

export interface InterceptionRegistration {
  /** Resolves once Chromium pauses the handler's patterns (its Fetch.enable was acknowledged). */
  ready: Promise<unknown>
  /** Replaces the handler's patterns; resolves once Chromium has them. */
  update(patterns: Protocol.Fetch.RequestPattern[]): Promise<unknown>
  /** Removes the handler (idempotent); requests it is deciding now are still answered. */
  remove(): void
}

const DEFAULT_TIMEOUT_MS = 30_000
const MAX_RESPONSE_WANTED = 10_000
/** How long a loader rebuild waits for one target's answer (a worker shutting down may give none). */
const REBUILD_TIMEOUT_MS = 5_000
/** Matches no URL Chromium loads (no such scheme): the page-level Fetch.enable that only rebuilds a target's loaders. */
const REBUILD_ONLY: Protocol.Fetch.EnableRequest = { patterns: [{ urlPattern: 'x-cdp-session-rebuild:*' }] }
/** A shared worker's own Fetch while no handler has a pattern: installed, pausing nothing. */
const WORKER_IDLE: Protocol.Fetch.EnableRequest = { patterns: [{ urlPattern: 'x-cdp-session-idle:*' }] }
/** How long the gateway holds a shared worker's script for the worker's Fetch.enable (see sharedWorkersSettled). */
const WORKER_SETTLE_TIMEOUT_MS = 2_000

interface Entry {
  handler: InterceptionHandler
  patterns: Protocol.Fetch.RequestPattern[]
  order: number
}

/**
 * Browser-level `Fetch` interception shared by every session of one browser
 * process. Browser-level Fetch sees every request of every context — also
 * the ones no target session can touch, such as a service worker's own
 * script, which the browser fetches for the registration. Events carry no
 * session id, only a `frameId` (the page, OOPIF or service worker target id;
 * a dedicated worker's requests carry its page's), mapped back to our
 * TargetSession.
 *
 * Fetch is off while no handler has a pattern: an idle browser pays nothing
 * per request. Chromium puts browser-level interception into a frame's or
 * worker's loaders when it builds them (at each navigation's commit), so a
 * browser-level Fetch enabled after a page loaded would miss that page's later
 * subresource, iframe and worker requests until it navigates. A page-level
 * `Fetch.enable` (and `Fetch.disable`) makes Chromium rebuild the target's
 * loaders at once, and the rebuilt ones include the browser-level
 * interception. So whenever browser-level Fetch goes on (or off), every live
 * target gets a page-level enable/disable pair (or its own page-level Fetch
 * re-sent, `TargetSession.pageFetch`) before `ready` resolves (measured on
 * 156: main frame, same-site iframe, dedicated worker and image requests of a
 * loaded page are paused after it, none before). Pattern changes while Fetch
 * is on need no rebuild: Chromium updates the installed interception.
 *
 * Shared workers are the exception: Chromium never rebuilds a shared worker's loaders
 * (crbug.com/40154954), so one started while Fetch was off would stay outside every hook set
 * later, and one started under browser-level Fetch would fall out of it when Fetch goes off.
 * So each shared worker gets its own (target-level) Fetch at attach, before it runs, and keeps
 * it for its life: the union of the handlers' patterns, or a pattern that pauses nothing while
 * there are none (a pattern change applies to the installed interception; a Fetch.disable would
 * remove it for good, so none is ever sent). Its requests are paused on its own session and
 * go through the same handlers. Its loaders are built when its script has arrived, so the
 * target-level Fetch must be on by then: the session gateway holds a shared worker's script
 * request until sharedWorkersSettled() (measured in a raw CDP probe: with the script answered
 * at once, an enable sent at attach came too late every time; through this library the enable,
 * sent first at attach, was in time 10 of 10 with and without a gateway). When browser-level Fetch
 * was on as well at the worker's start, the worker's requests are paused at both levels: the
 * worker's level pauses first (nearer the renderer) and decides; the browser level only passes
 * them on.
 */
export class RequestInterceptor {
  readonly #browser: CdpClient
  readonly #targets: TargetManager
  readonly #entries: Entry[] = []
  #order = 0
  /** The browser-level Fetch.enable in force; undefined while Fetch is off. */
  #params: Protocol.Fetch.EnableRequest | undefined
  /** The last Fetch.enable sent (serialised: Chromium keeps the last one). */
  #enabling: Promise<unknown> = Promise.resolve()
  #sentKey = 'off'
  /** Whether the last command sent was Fetch.enable (false: disabled, or never enabled). */
  #on = false
  /** Handlers that asked, at the request stage, to see a request's response too (by pausedKey). */
  readonly #responseWanted = new Map<string, Set<InterceptionHandler>>()
  /** Shared workers with their own Fetch (see the class comment), with its first answer. */
  readonly #workers = new Map<TargetSession, Promise<unknown>>()
  /** Shared workers whose Fetch also pauses every request and its auth challenges (armWorker). */
  readonly #armedWorkers = new Set<TargetSession>()

  constructor(browser: CdpClient, targets: TargetManager) {
    this.#browser = browser
    this.#targets = targets
    browser.on('Fetch.requestPaused', (event) => {
      detach(this.#onPaused(event, browser, undefined), 'Fetch.requestPaused')
    })
    browser.on('Fetch.authRequired', (event) => {
      detach(this.#onAuth(event, browser, this.#targets.target(event.frameId)), 'Fetch.authRequired')
    })
    targets.addAttachStep((target) => (target.kind === 'shared_worker' ? this.#adoptWorker(target) : undefined))
  }

  /**
   * Resolves once every shared worker of the context that has attached has its own Fetch on
   * (bounded): the gateway holds a shared worker's script request until then.
   */
  sharedWorkersSettled(browserContextId: string | undefined): Promise<void> | undefined {
    const waiting: Array<Promise<unknown>> = []
    for (const [target, enabled] of this.#workers) if (target.browserContextId === browserContextId) waiting.push(enabled)
    if (waiting.length === 0) return undefined
    return within(Promise.all(waiting).then(() => undefined, () => undefined), WORKER_SETTLE_TIMEOUT_MS).then(() => undefined)
  }

  /** The attach-time step for a shared worker: its own Fetch, sent first, for its whole life. */
  #adoptWorker(target: TargetSession): Promise<unknown> {
    const { client } = target
    client.on('Fetch.requestPaused', (event) => {
      detach(this.#onPaused(event, client, target), 'Fetch.requestPaused (shared worker)')
    })
    client.on('Fetch.authRequired', (event) => {
      detach(this.#onAuth(event, client, target), 'Fetch.authRequired (shared worker)')
    })
    const enabled = client.send('Fetch.enable', this.#workerParams(target))
    const settled = enabled.then(
      () => undefined,
      (error: unknown) => debug('Fetch.enable on shared worker %s failed: %s', target.targetId, String(error)),
    )
    this.#workers.set(target, settled)
    detach(
      client.whenDetached.then(() => {
        this.#workers.delete(target)
        this.#armedWorkers.delete(target)
      }),
      'shared worker detached',
    )
    return enabled
  }

  /**
   * While `on`, a shared worker's own Fetch also pauses every request of it with its auth
   * challenges (requests no handler wants go on unchanged): the gateway credential seeder's
   * arming of a target, for a worker whose Fetch must never be switched off (proxy-auth.ts).
   */
  armWorker(target: TargetSession, on: boolean): Promise<unknown> {
    if (!this.#workers.has(target) || on === this.#armedWorkers.has(target)) return Promise.resolve()
    if (on) this.#armedWorkers.add(target)
    else this.#armedWorkers.delete(target)
    return target.client.send('Fetch.enable', this.#workerParams(target))
  }

  /** What a shared worker's own Fetch is set to now. */
  #workerParams(target: TargetSession): Protocol.Fetch.EnableRequest {
    if (!this.#armedWorkers.has(target)) return this.#params ?? WORKER_IDLE
    return { patterns: [...(this.#params?.patterns ?? []), { urlPattern: '*', requestStage: 'Request' }], handleAuthRequests: true }
  }

  /** Registers a handler; see InterceptionRegistration. */
  add(handler: InterceptionHandler): InterceptionRegistration
  /** @deprecated The first interceptor's form (header replacement only); kept until every caller moved. */
  add(handler: PausedRequestHandler, patterns: Protocol.Fetch.RequestPattern[]): InterceptionRegistration
  add(handler: InterceptionHandler | PausedRequestHandler, legacyPatterns?: Protocol.Fetch.RequestPattern[]): InterceptionRegistration {
    if (typeof handler === 'function') {
      const replace = handler
      handler = {
        priority: 20,
        patterns: legacyPatterns ?? [],
        onRequest: (event, target) => {
          const headers = replace(event, target)
          return headers ? { kind: 'continue', headers } : undefined
        },
      }
    }
    const entry: Entry = { handler, patterns: [...handler.patterns], order: this.#order++ }
    this.#entries.push(entry)
    this.#entries.sort((a, b) => a.handler.priority - b.handler.priority || a.order - b.order)
    const ready = this.#sync()
    return {
      ready,
      update: (patterns) => {
        entry.patterns = [...patterns]
        return this.#sync()
      },
      remove: () => {
        const index = this.#entries.indexOf(entry)
        if (index < 0) return
        this.#entries.splice(index, 1)
        detach(this.#sync(), 'Fetch.enable (handler removed)')
      },
    }
  }

  /**
   * Sends Fetch.enable with the union of every handler's patterns if it changed, or
   * Fetch.disable when no handler has one; when Fetch goes on or off, rebuilds every live
   * target's loaders so that the change applies to pages that are already open.
   */
  #sync(): Promise<unknown> {
    const patterns: Protocol.Fetch.RequestPattern[] = []
    const seen = new Set<string>()
    let wantsAuth = false
    for (const { handler, patterns: own } of this.#entries) {
      for (const pattern of own) {
        const key = JSON.stringify([pattern.urlPattern ?? '*', pattern.resourceType ?? '', pattern.requestStage ?? 'Request'])
        if (seen.has(key)) continue
        seen.add(key)
        patterns.push(pattern)
      }
      if (handler.handleAuth) wantsAuth = true
    }
    // Auth challenges only arrive for paused requests: a handler that only answers them
    // (handleAuth, no patterns) rides on the other handlers' patterns and enables nothing.
    const on = patterns.length > 0
    const handleAuthRequests = on && wantsAuth
    const key = on ? JSON.stringify([patterns, handleAuthRequests]) : 'off'
    if (key === this.#sentKey) return this.#enabling
    this.#sentKey = key
    if (this.#browser.detached) return this.#enabling
    const switched = on !== this.#on
    this.#on = on
    const params: Protocol.Fetch.EnableRequest = handleAuthRequests ? { patterns, handleAuthRequests } : { patterns }
    this.#params = on ? params : undefined
    // Sent at once (Chromium applies the browser session's commands in order); the rebuild
    // waits for the answer, so the rebuilt loaders include the new state.
    const sent = on ? this.#browser.send('Fetch.enable', params) : this.#browser.send('Fetch.disable')
    // Callers await `ready`; a failure there is theirs to see, not an unhandled rejection.
    sent.then(undefined, (error: unknown) => debug('%s failed: %s', on ? 'Fetch.enable' : 'Fetch.disable', String(error)))
    const workers = this.#updateWorkers()
    const done = Promise.all([switched ? sent.then(() => this.#rebuildLoaders()) : sent, workers])
    this.#enabling = this.#enabling.then(
      () => done,
      () => done,
    )
    return this.#enabling
  }

  /** Every shared worker's own Fetch follows the browser-level patterns (see the class comment). */
  #updateWorkers(): Promise<unknown> {
    return Promise.all(
      [...this.#workers.keys()].map((target) =>
        within(
          target.client.send('Fetch.enable', this.#workerParams(target)).catch((error: unknown) => debug('Fetch.enable on shared worker: %s', String(error))),
          REBUILD_TIMEOUT_MS,
        ),
      ),
    )
  }

  /** See the class comment: a page-level Fetch round trip on every live target. */
  async #rebuildLoaders(): Promise<void> {
    // Bounded: a target that never answers (e.g. a worker shutting down) must not hold `ready` up.
    const bounded = (what: Promise<unknown>): Promise<unknown> => within(what.catch((error: unknown) => debug('rebuilding loaders: %s', String(error))), REBUILD_TIMEOUT_MS)
    await Promise.all(
      this.#targets.liveTargets().map((target) => {
        // A shared worker's loaders are never rebuilt, and a Fetch.disable would end its own Fetch.
        if (this.#workers.has(target)) return undefined
        const { client, pageFetch } = target
        // A target with its own page-level Fetch keeps it: re-sending it rebuilds the loaders too.
        if (pageFetch) return bounded(client.send('Fetch.enable', pageFetch))
        return Promise.all([bounded(client.send('Fetch.enable', REBUILD_ONLY)), bounded(client.send('Fetch.disable'))])
      }),
    )
  }

  /**
   * A request paused on `client`: the browser's session (`worker` undefined) or a shared
   * worker's own (see the class comment). Answers go back on the same session.
   */
  async #onPaused(event: Protocol.Fetch.RequestPausedEvent, client: CdpClient, worker: TargetSession | undefined): Promise<void> {
    const target = worker ?? this.#targets.target(event.frameId)
    const responseStage = event.responseStatusCode !== undefined || event.responseErrorReason !== undefined
    try {
      if (worker === undefined && target !== undefined && this.#workers.has(target)) await this.#passOn(event, responseStage)
      else if (responseStage) await this.#responseStage(event, target, client)
      else await this.#requestStage(event, target, client)
    } catch (error) {
      // Only our own bugs land here; the request still gets its one answer below.
      debug('interception of %s failed: %s', event.request.url, String(error))
      await this.#send(client, 'Fetch.continueRequest', { requestId: event.requestId })
    }
  }

  /** A shared worker's request paused at browser level too: its own level has decided it. */
  async #passOn(event: Protocol.Fetch.RequestPausedEvent, responseStage: boolean): Promise<void> {
    const { requestId } = event
    if (!responseStage) await this.#send(this.#browser, 'Fetch.continueRequest', { requestId })
    else if (event.responseErrorReason !== undefined) await this.#send(this.#browser, 'Fetch.failRequest', { requestId, errorReason: event.responseErrorReason })
    else await this.#send(this.#browser, 'Fetch.continueResponse', { requestId })
  }

  async #requestStage(event: Protocol.Fetch.RequestPausedEvent, target: TargetSession | undefined, client: CdpClient): Promise<void> {
    const overrides: { url?: string; method?: string; postData?: string; headers?: HeaderEntry[]; interceptResponse?: boolean } = {}
    let current = event
    for (const entry of this.#matching(event, 'Request', client)) {
      const { handler } = entry
      if (!handler.onRequest) continue
      const decision = await this.#call(handler, () => handler.onRequest!(current, target), event.request.url)
      if (!decision) continue
      if (decision.kind !== 'continue') {
        await this.#finish(client, event.requestId, decision)
        return
      }
      if (decision.url !== undefined) overrides.url = decision.url
      if (decision.method !== undefined) overrides.method = decision.method
      if (decision.postData !== undefined) overrides.postData = decision.postData
      if (decision.headers !== undefined) overrides.headers = decision.headers
      if (decision.interceptResponse) {
        overrides.interceptResponse = true
        const key = pausedKey(client, event.requestId)
        let wanted = this.#responseWanted.get(key)
        if (!wanted) this.#responseWanted.set(key, (wanted = new Set()))
        wanted.add(handler)
        // A request that fails before its response never comes back: forget the oldest.
        if (this.#responseWanted.size > MAX_RESPONSE_WANTED) this.#responseWanted.delete(this.#responseWanted.keys().next().value!)
      }
      current = withRequestOverrides(current, decision)
    }
    if (await this.#send(client, 'Fetch.continueRequest', { requestId: event.requestId, ...overrides })) return
    // Refused (e.g. a header name Chromium cannot send): unchanged rather than paused for good.
    debug('the changed request %s was refused; it goes unchanged', event.request.url)
    if (await this.#send(client, 'Fetch.continueRequest', { requestId: event.requestId })) return
    await this.#send(client, 'Fetch.failRequest', { requestId: event.requestId, errorReason: 'Failed' })
  }

  /** Carries out a decision that ends the chain (the same at both stages). */
  async #finish(client: CdpClient, requestId: string, decision: Exclude<RequestDecision | ResponseDecision, { kind: 'continue' }>): Promise<void> {
    if (decision.kind === 'fail') await this.#send(client, 'Fetch.failRequest', { requestId, errorReason: decision.errorReason })
    else if (decision.kind === 'fulfill') {
      const { kind: _kind, ...rest } = decision
      if (!(await this.#send(client, 'Fetch.fulfillRequest', { requestId, ...rest }))) await this.#send(client, 'Fetch.failRequest', { requestId, errorReason: 'Failed' })
    }
  }

  async #responseStage(event: Protocol.Fetch.RequestPausedEvent, target: TargetSession | undefined, client: CdpClient): Promise<void> {
    const overrides: { responseCode?: number; responsePhrase?: string; responseHeaders?: HeaderEntry[] } = {}
    let current = event
    for (const entry of this.#matching(event, 'Response', client)) {
      const { handler } = entry
      if (!handler.onResponse) continue
      const decision = await this.#call(handler, () => handler.onResponse!(current, target), event.request.url)
      if (!decision) continue
      if (decision.kind !== 'continue') {
        await this.#finish(client, event.requestId, decision)
        return
      }
      if (decision.responseCode !== undefined) overrides.responseCode = decision.responseCode
      if (decision.responsePhrase !== undefined) overrides.responsePhrase = decision.responsePhrase
      if (decision.responseHeaders !== undefined) overrides.responseHeaders = decision.responseHeaders
      current = {
        ...current,
        ...(decision.responseCode !== undefined ? { responseStatusCode: decision.responseCode } : {}),
        ...(decision.responsePhrase !== undefined ? { responseStatusText: decision.responsePhrase } : {}),
        ...(decision.responseHeaders !== undefined ? { responseHeaders: decision.responseHeaders } : {}),
      }
    }
    if (event.responseErrorReason !== undefined) {
      // A network error paused at the response stage can only be passed on as that error.
      await this.#send(client, 'Fetch.failRequest', { requestId: event.requestId, errorReason: event.responseErrorReason })
      return
    }
    await this.#continueResponse(client, event, overrides)
  }

  /**
   * Ends a response-stage pause with continueResponse. Chromium rejects any
   * override that is not complete ("Cannot override only status or headers,
   * both should be provided"; a phrase needs its code too), and a rejected
   * answer leaves the request paused: the page's load never ends and the
   * connection stays taken. So an override always carries code and headers
   * (the received ones where the handler changed only one), and if Chromium
   * still refuses it (e.g. a header value it cannot send) the response goes
   * through unchanged, or failing that, the request fails.
   */
  async #continueResponse(
    client: CdpClient,
    event: Protocol.Fetch.RequestPausedEvent,
    overrides: { responseCode?: number; responsePhrase?: string; responseHeaders?: HeaderEntry[] },
  ): Promise<void> {
    const { requestId } = event
    if (overrides.responseCode === undefined && overrides.responseHeaders === undefined && overrides.responsePhrase === undefined) {
      if (!(await this.#send(client, 'Fetch.continueResponse', { requestId }))) await this.#send(client, 'Fetch.failRequest', { requestId, errorReason: 'Failed' })
      return
    }
    const complete = {
      requestId,
      responseCode: overrides.responseCode ?? event.responseStatusCode ?? 200,
      responseHeaders: overrides.responseHeaders ?? event.responseHeaders ?? [],
      ...(overrides.responsePhrase !== undefined ? { responsePhrase: overrides.responsePhrase } : {}),
    }
    if (await this.#send(client, 'Fetch.continueResponse', complete)) return
    debug('the changed response of %s was refused; it goes through unchanged', event.request.url)
    if (await this.#send(client, 'Fetch.continueResponse', { requestId })) return
    await this.#send(client, 'Fetch.failRequest', { requestId, errorReason: 'Failed' })
  }

  async #onAuth(event: Protocol.Fetch.AuthRequiredEvent, client: CdpClient, target: TargetSession | undefined): Promise<void> {
    // Nobody answered: cancel, as Electron does for a 'login' nobody takes, so the page shows
    // the server's 401/407 answer. 'Default' would hand it to the embedder, which in a
    // headless or CDP-driven browser fails the load with ERR_INVALID_AUTH_CREDENTIALS.
    let response: Protocol.Fetch.AuthChallengeResponse = { response: 'CancelAuth' }
    for (const { handler } of [...this.#entries]) {
      if (!handler.handleAuth || !handler.onAuth) continue
      const answer = await this.#call(handler, () => handler.onAuth!(event, target), event.request.url)
      if (answer) {
        response = answer
        break
      }
    }
    await this.#send(client, 'Fetch.continueWithAuth', { requestId: event.requestId, authChallengeResponse: response })
  }

  /** Handlers (in order) that want this paused request at this stage. */
  #matching(event: Protocol.Fetch.RequestPausedEvent, stage: Protocol.Fetch.RequestStage, client: CdpClient): Entry[] {
    const key = pausedKey(client, event.requestId)
    const wanted = stage === 'Response' ? this.#responseWanted.get(key) : undefined
    if (wanted) this.#responseWanted.delete(key)
    return this.#entries.filter(
      (entry) => wanted?.has(entry.handler) || entry.patterns.some((pattern) => fetchPatternMatches(pattern, event.request.url, event.resourceType, stage)),
    )
  }

  /** One handler call, bounded: a throw, a rejection or a timeout all mean "no opinion". */
  async #call<T>(handler: InterceptionHandler, run: () => Maybe<T>, url: string): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined
    try {
      const result = run()
      if (!(result instanceof Promise)) return result
      const timeoutMs = handler.timeoutMs ?? DEFAULT_TIMEOUT_MS
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          debug('interception handler (priority %d) gave no answer for %s within %d ms', handler.priority, url, timeoutMs)
          resolve(undefined)
        }, timeoutMs)
        timer.unref()
      })
      return await Promise.race([result, timeout])
    } catch (error) {
      debug('interception handler (priority %d) failed for %s: %s', handler.priority, url, String(error))
      return undefined
    } finally {
      if (timer) clearTimeout(timer)
    }
  }

  /**
   * Answers a paused request; true when Chromium took the answer. A target or
   * browser that went away meanwhile is not an error (nothing is left to answer).
   */
  async #send<M extends AnswerCommand>(client: CdpClient, method: M, ...params: CommandParams<M>): Promise<boolean> {
    if (client.detached) return true
    try {
      await client.send(method, ...params)
      return true
    } catch (error) {
      debug('%s failed: %s', method, String(error))
      // "Invalid InterceptionId": the request is gone (its target closed, or it was already answered).
      return client.detached || /Invalid InterceptionId|Target closed|Session closed/i.test(String(error))
    }
  }
}

/** A paused request's key across sessions: each session numbers its interceptions itself. */
function pausedKey(client: CdpClient, requestId: string): string {
  return client.sessionId === '' ? requestId : `${client.sessionId}/${requestId}`
}

/** The paused event as later handlers see it after a 'continue' with overrides. */
function withRequestOverrides(
  event: Protocol.Fetch.RequestPausedEvent,
  decision: { url?: string; method?: string; postData?: string; headers?: HeaderEntry[] },
): Protocol.Fetch.RequestPausedEvent {
  const request = { ...event.request }
  if (decision.url !== undefined) request.url = decision.url
  if (decision.method !== undefined) request.method = decision.method
  if (decision.postData !== undefined) {
    request.postData = Buffer.from(decision.postData, 'base64').toString('latin1')
    request.postDataEntries = [{ bytes: decision.postData }]
    request.hasPostData = true
  }
  if (decision.headers !== undefined) {
    const headers: Protocol.Network.Headers = {}
    for (const { name, value } of decision.headers) headers[name] = name in headers ? `${headers[name]}, ${value}` : value
    request.headers = headers
  }
  return { ...event, request }
}

/**
 * Whether a Fetch.RequestPattern matches, as Chromium decides: `urlPattern`
 * is a glob over the whole URL (`*` any run, `?` one char, `\` escapes the
 * next), absent means '*'; `resourceType` absent means any; `requestStage`
 * absent means 'Request'.
 */
export function fetchPatternMatches(
  pattern: Protocol.Fetch.RequestPattern,
  url: string,
  resourceType: Protocol.Network.ResourceType,
  stage: Protocol.Fetch.RequestStage,
): boolean {
  if ((pattern.requestStage ?? 'Request') !== stage) return false
  if (pattern.resourceType !== undefined && pattern.resourceType !== resourceType) return false
  return globMatches(pattern.urlPattern ?? '*', url)
}

function globMatches(glob: string, text: string): boolean {
  // Iterative wildcard match with backtracking on the last '*'.
  const tokens: Array<{ any: 'run' | 'one' } | { literal: string }> = []
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '\\' && i + 1 < glob.length) tokens.push({ literal: glob[++i]! })
    else if (c === '*') tokens.push({ any: 'run' })
    else if (c === '?') tokens.push({ any: 'one' })
    else tokens.push({ literal: c })
  }
  let t = 0
  let s = 0
  let starT = -1
  let starS = 0
  while (s < text.length) {
    const token = tokens[t]
    if (token && 'literal' in token && token.literal === text[s]) {
      t++
      s++
    } else if (token && 'any' in token && token.any === 'one') {
      t++
      s++
    } else if (token && 'any' in token && token.any === 'run') {
      starT = t++
      starS = s
    } else if (starT >= 0) {
      t = starT + 1
      s = ++starS
    } else {
      return false
    }
  }
  while (t < tokens.length && 'any' in tokens[t]! && (tokens[t] as { any: string }).any === 'run') t++
  return t === tokens.length
}
