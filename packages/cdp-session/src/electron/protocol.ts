import { open, stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import type { Protocol as Cdp } from 'devtools-protocol'
import { NotSupportedError, ValidationError } from '../common/errors.js'
import {
  BUILTIN_SCHEMES,
  INTERCEPTABLE_BUILTIN_SCHEMES,
  failPlan,
  planResponse,
  protocolRequest,
  schemeOf,
  schemePattern,
  type HeaderEntry,
  type ProtocolKind,
  type ProtocolRequest,
  type ResponsePlan,
} from '../common/protocol-response.js'
import { debug, detach } from '../common/util.js'
import { electronValidationError, ginConversionError, quote, warnIgnoredInput } from '../common/input-policy.js'
import type { InterceptionRegistration, RequestDecision } from '../cdp/request-interceptor.js'
import type { SessionBinding } from './core/types.js'
import type { TargetSession } from '../cdp/target-session.js'
import { ResponseServer } from '../net/response-server.js'
import type { SessionContext } from './context.js'
import { handlerTimeoutMs, reportHandlerError, type HandlerFault } from './handler-errors.js'

export type { ProtocolRequest, UploadData } from '../common/protocol-response.js'

/** Electron's `(request, callback)` handler; what `callback` takes depends on the register/intercept kind. */
export type ProtocolHandler = (request: ProtocolRequest, callback: (response?: unknown) => void) => void
/** Newer Electron's `protocol.handle` handler (WHATWG Request in, Response out). */
export type FetchHandler = (request: Request) => Response | Promise<Response>
/** Electron 5/6's completion callback: null on success, the reason otherwise. */
export type Completion = (error: Error | null) => void

interface Entry {
  kind: ProtocolKind | 'handle'
  handler: ProtocolHandler | FetchHandler
}

/**
 * How long a handler may take to answer before its request fails with ERR_TIMED_OUT (ms;
 * CDP_SESSION_HANDLER_TIMEOUT_MS overrides it). Electron waits forever.
 */
export const PROTOCOL_HANDLER_TIMEOUT_MS = 30_000
const ERR_TIMED_OUT = -7

/** Files above this size are streamed to Chromium instead of sent in one fulfillRequest. */
const FULFILL_FILE_LIMIT = 8 << 20

/** Electron's texts for the optional completion callback (ErrorCodeToString in electron_api_protocol.cc). */
const COMPLETION_MESSAGES = {
  registered: 'The scheme has been registered',
  notRegistered: 'The scheme has not been registered',
  intercepted: 'The scheme has been intercepted',
  notIntercepted: 'The scheme has not been intercepted',
} as const

/** A scheme as Chromium's URL parser writes it: only such a name can ever match a URL. */
const CANONICAL_SCHEME = /^[a-z][a-z0-9+.-]*$/

/** Electron's `isBuiltInScheme` in lib/browser/api/protocol.ts: what handle() intercepts rather than registers. */
const HANDLE_BUILTIN = new Set(['http', 'https', 'file'])

/**
 * The scheme argument as gin reads a std::string: anything but a string is a conversion
 * failure (thrown). Electron stores any string; one that is not a canonical scheme name (upper
 * case, ':' …) can never match a URL — `matches` is false for it and a warning says so.
 */
function readScheme(api: string, scheme: unknown, later: readonly unknown[] = []): { name: string; matches: boolean } {
  if (typeof scheme !== 'string') throw ginConversionError(api, 0, 'scheme', scheme, later)
  if (CANONICAL_SCHEME.test(scheme)) return { name: scheme, matches: true }
  warnIgnoredInput(
    api,
    `scheme ${quote(scheme)}`,
    "Electron accepts the name but no URL can ever have it (schemes are lower-case letters, digits, '+', '-', '.'; no ':'), so it serves nothing",
  )
  return { name: scheme, matches: false }
}

function readHandler(api: string, handler: unknown, completion: unknown): void {
  if (typeof handler !== 'function') throw ginConversionError(api, 1, 'handler', handler, [completion])
  if (completion !== undefined && typeof completion !== 'function') {
    warnIgnoredInput(api, `completion ${quote(completion)}`, 'not a function, so Electron does not call it')
  }
}

/**
 * Electron's `ses.protocol` over browser-level Fetch interception.
 *
 * What Chromium routes (measured on Chromium 156): every http(s) and file://
 * request; for a custom scheme only subresources a document loads itself —
 * `<img>`, `<script>`, stylesheets, CSS `url()`. A custom-scheme navigation,
 * iframe, `fetch()`, XHR or Worker fails inside the renderer (unknown scheme)
 * before any CDP hook, so those cannot be served; for them, serve a reserved
 * secure origin instead: `interceptStringProtocol('https', …)` answering
 * `https://app.invalid/…` is a secure origin that never touches DNS.
 */
export class Protocol {
  readonly #session: SessionContext
  readonly #registered = new Map<string, Entry>()
  readonly #intercepted = new Map<string, Entry>()
  /** Schemes Electron would accept that no URL can have: remembered, never served. */
  readonly #inertRegistered = new Set<string>()
  readonly #inertIntercepted = new Set<string>()
  #registration: InterceptionRegistration | undefined
  #binding: SessionBinding | undefined
  #server: ResponseServer | undefined
  /** Same-process child frames (no target of their own) → the page or OOPIF target they live in. */
  #closed = false
  /** Serialises pattern updates so the last state always wins. */
  #sync: Promise<unknown> = Promise.resolve()

  /** @internal */
  constructor(session: SessionContext) {
    this.#session = session
    session.addReadiness(() => this.ready())
    session.addNavigationCheck((api, url) => {
      this.assertNavigable(api, url)
    })
    session.onClose(() => this.dispose())
  }

  // ---- custom schemes --------------------------------------------------------

  registerFileProtocol(scheme: string, handler: ProtocolHandler, completion?: Completion): boolean {
    return this.#register('registerFileProtocol', 'file', scheme, handler, completion)
  }
  registerBufferProtocol(scheme: string, handler: ProtocolHandler, completion?: Completion): boolean {
    return this.#register('registerBufferProtocol', 'buffer', scheme, handler, completion)
  }
  registerStringProtocol(scheme: string, handler: ProtocolHandler, completion?: Completion): boolean {
    return this.#register('registerStringProtocol', 'string', scheme, handler, completion)
  }
  registerHttpProtocol(scheme: string, handler: ProtocolHandler, completion?: Completion): boolean {
    return this.#register('registerHttpProtocol', 'http', scheme, handler, completion)
  }
  registerStreamProtocol(scheme: string, handler: ProtocolHandler, completion?: Completion): boolean {
    return this.#register('registerStreamProtocol', 'stream', scheme, handler, completion)
  }

  /** Removes a handler registered with register*Protocol or handle(); false if there was none. */
  unregisterProtocol(scheme: string, completion?: Completion): boolean {
    const api = 'protocol.unregisterProtocol'
    const { name } = readScheme(api, scheme)
    const removed = this.#registered.delete(name) || this.#inertRegistered.delete(name)
    this.#finish(completion, removed ? null : electronValidationError(api, 'scheme', scheme, COMPLETION_MESSAGES.notRegistered))
    return removed
  }

  isProtocolRegistered(scheme: string): boolean {
    const { name } = readScheme('protocol.isProtocolRegistered', scheme)
    return this.#registered.has(name) || this.#inertRegistered.has(name)
  }

  // ---- existing schemes --------------------------------------------------------

  interceptFileProtocol(scheme: string, handler: ProtocolHandler, completion?: Completion): boolean {
    return this.#intercept('interceptFileProtocol', 'file', scheme, handler, completion)
  }
  interceptBufferProtocol(scheme: string, handler: ProtocolHandler, completion?: Completion): boolean {
    return this.#intercept('interceptBufferProtocol', 'buffer', scheme, handler, completion)
  }
  interceptStringProtocol(scheme: string, handler: ProtocolHandler, completion?: Completion): boolean {
    return this.#intercept('interceptStringProtocol', 'string', scheme, handler, completion)
  }
  interceptHttpProtocol(scheme: string, handler: ProtocolHandler, completion?: Completion): boolean {
    return this.#intercept('interceptHttpProtocol', 'http', scheme, handler, completion)
  }
  interceptStreamProtocol(scheme: string, handler: ProtocolHandler, completion?: Completion): boolean {
    return this.#intercept('interceptStreamProtocol', 'stream', scheme, handler, completion)
  }

  /** Removes an interception (intercept*Protocol or handle() of a built-in scheme); false if there was none. */
  uninterceptProtocol(scheme: string, completion?: Completion): boolean {
    const api = 'protocol.uninterceptProtocol'
    const { name } = readScheme(api, scheme)
    const removed = this.#intercepted.delete(name) || this.#inertIntercepted.delete(name)
    this.#finish(completion, removed ? null : electronValidationError(api, 'scheme', scheme, COMPLETION_MESSAGES.notIntercepted))
    return removed
  }

  isProtocolIntercepted(scheme: string): boolean {
    const { name } = readScheme('protocol.isProtocolIntercepted', scheme)
    return this.#intercepted.has(name) || this.#inertIntercepted.has(name)
  }

  // ---- newer Electron: handle / unhandle -----------------------------------------

  /**
   * Serves `scheme` with a fetch-style handler. http, https and file are intercepted, any other
   * scheme is registered (Electron's lib/browser/api/protocol.ts). Throws Electron's
   * `Failed to register protocol: <scheme>` if the scheme is already handled that way. A handler
   * that is not a function is accepted as Electron accepts it: each request then fails.
   */
  handle(scheme: string, handler: FetchHandler): void {
    const api = 'protocol.handle'
    const { name, matches } = readScheme(api, scheme)
    const builtin = HANDLE_BUILTIN.has(name)
    const map = builtin ? this.#intercepted : this.#registered
    const inert = builtin ? this.#inertIntercepted : this.#inertRegistered
    if (map.has(name) || inert.has(name)) throw electronValidationError(api, 'scheme', scheme, `Failed to register protocol: ${scheme}`)
    if (typeof handler !== 'function') {
      warnIgnoredInput(api, `handler ${quote(handler)}`, 'not a function: Electron registers it anyway and every request of the scheme fails')
    }
    if (!matches) {
      inert.add(name)
      return
    }
    if (BUILTIN_SCHEMES.has(name)) this.#assertInterceptable(api, name)
    map.set(name, { kind: 'handle', handler })
    detach(this.#changed(), 'protocol.handle')
  }

  /** Removes a handle() handler; throws Electron's `Failed to unhandle protocol: <scheme>` when there is none. */
  unhandle(scheme: string): void {
    const api = 'protocol.unhandle'
    const { name } = readScheme(api, scheme)
    const builtin = HANDLE_BUILTIN.has(name)
    const removed = (builtin ? this.#intercepted : this.#registered).delete(name) || (builtin ? this.#inertIntercepted : this.#inertRegistered).delete(name)
    if (!removed) throw electronValidationError(api, 'scheme', scheme, `Failed to unhandle protocol: ${scheme}`)
    detach(this.#changed(), 'protocol.unhandle')
  }

  /**
   * Whether this session serves `scheme` itself: intercepted for http, https and file, registered
   * for any other (newer Electron's meaning; a boolean, which `await` also accepts where Electron
   * 5/6 returned a Promise).
   */
  isProtocolHandled(scheme: string): boolean {
    const { name } = readScheme('protocol.isProtocolHandled', scheme)
    return HANDLE_BUILTIN.has(name) ? this.#intercepted.has(name) || this.#inertIntercepted.has(name) : this.#registered.has(name) || this.#inertRegistered.has(name)
  }

  /**
   * @internal A registered custom scheme cannot be navigated to: Chromium
   * treats it as an external protocol and aborts (ERR_ABORTED) before any CDP
   * hook. Say so instead of reporting a bare ERR_ABORTED.
   */
  assertNavigable(api: string, url: string): void {
    const scheme = schemeOf(url)
    if (!this.#registered.has(scheme)) return
    throw new NotSupportedError(
      `${api}: '${scheme}:' is a custom scheme registered in this session; Chromium never routes a navigation, iframe, fetch(), XHR or Worker of a custom scheme to CDP, only subresources (<img>, <script>, stylesheets). Serve the pages from a reserved https origin instead, e.g. protocol.interceptStringProtocol('https', …) for https://${scheme}.invalid/.`,
    )
  }

  // ---- lifecycle -------------------------------------------------------------------

  /** @internal Stops interception and the stream server (the session is closing). */
  async dispose(): Promise<void> {
    this.#closed = true
    this.#registered.clear()
    this.#intercepted.clear()
    this.#inertRegistered.clear()
    this.#inertIntercepted.clear()
    this.#registration?.remove()
    this.#registration = undefined
    await this.#server?.close()
  }

  #register(method: string, kind: ProtocolKind, scheme: string, handler: ProtocolHandler, completion: Completion | undefined): boolean {
    const api = `protocol.${method}`
    const { name, matches } = readScheme(api, scheme, [handler, completion])
    readHandler(api, handler, completion)
    const done = typeof completion === 'function' ? completion : undefined
    if (BUILTIN_SCHEMES.has(name)) {
      // Documented deviation (docs/decisions.md): Electron would store it and serve nothing.
      this.#finish(done, new ValidationError(api, 'scheme', scheme, `a custom scheme ('${name}' is built into Chromium: use intercept${method.slice('register'.length)})`))
      return false
    }
    if (this.#registered.has(name) || this.#inertRegistered.has(name)) {
      this.#finish(done, electronValidationError(api, 'scheme', scheme, COMPLETION_MESSAGES.registered))
      return false
    }
    if (matches) this.#registered.set(name, { kind, handler })
    else this.#inertRegistered.add(name)
    this.#finish(done, null)
    return true
  }

  #intercept(method: string, kind: ProtocolKind, scheme: string, handler: ProtocolHandler, completion: Completion | undefined): boolean {
    const api = `protocol.${method}`
    const { name, matches } = readScheme(api, scheme, [handler, completion])
    readHandler(api, handler, completion)
    const done = typeof completion === 'function' ? completion : undefined
    if (matches) this.#assertInterceptable(api, name)
    if (this.#intercepted.has(name) || this.#inertIntercepted.has(name)) {
      this.#finish(done, electronValidationError(api, 'scheme', scheme, COMPLETION_MESSAGES.intercepted))
      return false
    }
    if (matches) this.#intercepted.set(name, { kind, handler })
    else this.#inertIntercepted.add(name)
    this.#finish(done, null)
    return true
  }

  #assertInterceptable(api: string, scheme: string): void {
    if (BUILTIN_SCHEMES.has(scheme) && !INTERCEPTABLE_BUILTIN_SCHEMES.has(scheme)) {
      throw new NotSupportedError(
        `${api}: Chromium answers '${scheme}:' requests without any CDP interception point (data:, blob:, about: and javascript: inside the renderer, ws:/wss: handshakes outside Fetch). Only http, https, file and custom schemes can be served.`,
      )
    }
  }

  /** Applies the new scheme set, then calls `completion` (Electron 5/6 style) once Chromium pauses it. */
  #finish(completion: Completion | undefined, error: Error | null): void {
    const applied = error ? Promise.resolve() : this.#changed()
    if (!completion) {
      detach(applied, 'protocol patterns')
      return
    }
    detach(
      applied.then(
        () => completion(error),
        (failure: unknown) => completion(failure instanceof Error ? failure : new Error(String(failure))),
      ),
      'protocol completion callback',
    )
  }

  /** @internal Resolves once Chromium pauses what is registered and intercepted now (never rejects). */
  ready(): Promise<void> {
    return this.#sync.then(
      () => undefined,
      () => undefined,
    )
  }

  /** Brings the interception patterns in line with the registered and intercepted schemes. */
  #changed(): Promise<unknown> {
    this.#sync = this.#sync.then(() => this.#applyPatterns(), () => this.#applyPatterns())
    return this.#sync
  }

  async #applyPatterns(): Promise<unknown> {
    if (this.#closed) return undefined
    const schemes = new Set([...this.#registered.keys(), ...this.#intercepted.keys()])
    const patterns = [...schemes].sort().map(schemePattern)
    if (patterns.length === 0) {
      this.#registration?.remove()
      this.#registration = undefined
      return undefined
    }
    if (this.#registration) return this.#registration.update(patterns)
    // Runs serialised (#changed): nobody else adds the registration meanwhile.
    const binding = await this.#session.bindingFor('protocol')
    if (this.#closed) return undefined
    this.#binding = binding
    await this.#session.trackFrames()
    if (this.#closed) return undefined
    this.#registration = binding.interceptor.add({
      priority: 10,
      patterns,
      // Electron waits for a handler forever; ours fails the request after the handler bound,
      // before the interceptor's own (which would let it go on unhandled).
      timeoutMs: Math.max(PROTOCOL_HANDLER_TIMEOUT_MS, handlerTimeoutMs(PROTOCOL_HANDLER_TIMEOUT_MS)) + 5_000,
      onRequest: (event, target) => this.#onRequest(event, target),
    })
    return this.#registration.ready
  }

  // ---- serving one request ---------------------------------------------------------

  #onRequest(event: Cdp.Fetch.RequestPausedEvent, target: TargetSession | undefined): Promise<RequestDecision | undefined> | undefined {
    // Only requests of this session's pages, frames and workers.
    const owner = this.#binding ? this.#session.targetOfFrame(event.frameId, target, this.#binding) : undefined
    if (!owner) return undefined
    const scheme = schemeOf(event.request.url)
    const entry = this.#intercepted.get(scheme) ?? this.#registered.get(scheme)
    if (!entry) return undefined
    const plan = entry.kind === 'handle' ? this.#boundFetchHandler(entry.handler as FetchHandler, event) : this.#callHandler(entry, event, scheme)
    return plan.then((p) => this.#decide(p, event, isServiceWorkerScript(event, target)))
  }

  #report(fault: HandlerFault, url: string, outcome: string, error: unknown): void {
    reportHandlerError(this.#session, { handler: 'protocol', fault, url, outcome }, error)
  }

  /**
   * handle(): a throw or rejection fails the request (ERR_FAILED), so does a return value that
   * is no Response (Electron's ERR_UNEXPECTED), and no answer within the bound fails it with
   * ERR_TIMED_OUT; each is reported.
   */
  #boundFetchHandler(handler: FetchHandler, event: Cdp.Fetch.RequestPausedEvent): Promise<ResponsePlan> {
    const url = event.request.url
    const timeoutMs = handlerTimeoutMs(PROTOCOL_HANDLER_TIMEOUT_MS)
    return new Promise<ResponsePlan>((resolve) => {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        this.#report('timeout', url, 'failed (ERR_TIMED_OUT)', new Error(`protocol.handle handler did not answer within ${timeoutMs} ms for ${url}; the request failed.`))
        resolve(failPlan(ERR_TIMED_OUT))
      }, timeoutMs)
      timer.unref()
      this.#callFetchHandler(handler, event).then(
        (plan) => {
          clearTimeout(timer)
          if (settled) {
            if (plan.type === 'stream') plan.stream.destroy()
            this.#report('answered-late', url, 'failed (ERR_TIMED_OUT)', new Error(`protocol.handle handler answered after ${timeoutMs} ms for ${url}; the request had failed.`))
            return
          }
          settled = true
          resolve(plan)
        },
        (error: unknown) => {
          clearTimeout(timer)
          if (settled) return
          settled = true
          this.#report(error instanceof ValidationError ? 'malformed' : 'threw', url, 'failed (ERR_FAILED)', error)
          resolve(failPlan(-2))
        },
      )
    })
  }

  #callHandler(entry: Entry, event: Cdp.Fetch.RequestPausedEvent, scheme: string): Promise<ResponsePlan> {
    const kind = entry.kind as ProtocolKind
    const api = `protocol ${this.#intercepted.get(scheme) === entry ? 'intercept' : 'register'}${kind[0]!.toUpperCase()}${kind.slice(1)}Protocol('${scheme}') callback`
    const url = event.request.url
    const timeoutMs = handlerTimeoutMs(PROTOCOL_HANDLER_TIMEOUT_MS)
    // Policy: the first answer counts (a malformed one fails the request, ERR_FAILED, and throws
    // ValidationError from callback, as Electron's conversion does); a throw before any answer
    // fails it (ERR_FAILED); no answer within the bound fails it (ERR_TIMED_OUT). Every fault,
    // a second or late answer included, is reported once.
    return new Promise<ResponsePlan>((resolve) => {
      let answered = false
      let timedOut = false
      let malformed: unknown
      const timer = setTimeout(() => {
        if (answered) return
        answered = true
        timedOut = true
        this.#report('timeout', url, 'failed (ERR_TIMED_OUT)', new Error(`${api} did not answer within ${timeoutMs} ms for ${url}; the request failed.`))
        resolve(failPlan(ERR_TIMED_OUT))
      }, timeoutMs)
      timer.unref()
      const callback = (response?: unknown): void => {
        if (answered) {
          if (timedOut) this.#report('answered-late', url, 'failed (ERR_TIMED_OUT)', new Error(`${api} answered after ${timeoutMs} ms for ${url}; the request had failed.`))
          else this.#report('answered-twice', url, 'first answer kept', new Error(`${api} was called more than once for ${url}; only the first answer counts.`))
          return
        }
        answered = true
        clearTimeout(timer)
        let plan: ResponsePlan
        try {
          plan = planResponse(api, kind, response)
        } catch (error) {
          resolve(failPlan(-2))
          malformed = error
          this.#report('malformed', url, 'failed (ERR_FAILED)', error)
          throw error
        }
        resolve(plan)
      }
      try {
        ;(entry.handler as ProtocolHandler)(protocolRequest(event.request), callback)
      } catch (error) {
        // The ValidationError of a malformed answer that the handler let through was reported already.
        if (error === malformed) return
        const outcome = answered ? (timedOut ? 'failed (ERR_TIMED_OUT)' : 'first answer kept') : 'failed (ERR_FAILED)'
        if (!answered) {
          answered = true
          clearTimeout(timer)
          resolve(failPlan(-2))
        }
        this.#report('threw', url, outcome, error)
      }
    })
  }

  async #callFetchHandler(handler: FetchHandler, event: Cdp.Fetch.RequestPausedEvent): Promise<ResponsePlan> {
    const request = protocolRequest(event.request)
    const body = request.uploadData && !['GET', 'HEAD'].includes(request.method) ? Buffer.concat(request.uploadData.map((u) => u.bytes)) : undefined
    const answer: unknown = await handler(new Request(request.url, { method: request.method, headers: request.headers, ...(body ? { body } : {}) }))
    const response = answer instanceof Response ? answer : responseFromLike(answer)
    if (response.type === 'error') return failPlan(-2)
    const headers: HeaderEntry[] = []
    response.headers.forEach((value, name) => {
      if (name === 'set-cookie') return
      // A Response from fetch() holds the decoded body but keeps the original
      // Content-Encoding: Chromium would try to decode it a second time.
      if (response.url !== '' && (name === 'content-encoding' || name === 'content-length')) return
      headers.push({ name, value })
    })
    for (const cookie of response.headers.getSetCookie()) headers.push({ name: 'set-cookie', value: cookie })
    if (!response.body) return { type: 'body', statusCode: response.status, headers, body: Buffer.alloc(0) }
    return { type: 'stream', statusCode: response.status, headers, stream: Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]) }
  }

  /**
   * `whole`: the request cannot be sent on to another URL (a service worker's main script: Chromium
   * refuses a redirected one, and the loopback hand-over is one), so a stream or a large file is
   * read and fulfilled instead.
   */
  async #decide(plan: ResponsePlan, event: Cdp.Fetch.RequestPausedEvent, whole: boolean): Promise<RequestDecision> {
    switch (plan.type) {
      case 'fail':
        return { kind: 'fail', errorReason: plan.errorReason }
      case 'body':
        return fulfill(plan.statusCode, plan.headers, plan.body)
      case 'file':
        return this.#serveFile(plan, whole)
      case 'stream':
        return this.#serveStream(plan.statusCode, plan.headers, plan.stream, event.request.url, whole)
      case 'http':
        return this.#serveHttp(plan, event, whole)
    }
  }

  async #serveFile(plan: Extract<ResponsePlan, { type: 'file' }>, whole: boolean): Promise<RequestDecision> {
    let size: number
    try {
      const info = await stat(plan.path)
      if (!info.isFile()) return { kind: 'fail', errorReason: 'Failed' }
      size = info.size
    } catch (error) {
      // ENOENT is Electron's -6 FILE_NOT_FOUND, which CDP can only report as ERR_FAILED.
      return { kind: 'fail', errorReason: (error as NodeJS.ErrnoException).code === 'EACCES' ? 'AccessDenied' : 'Failed' }
    }
    const file = await open(plan.path).catch(() => undefined)
    if (!file) return { kind: 'fail', errorReason: 'AccessDenied' }
    if (size <= FULFILL_FILE_LIMIT || whole) {
      try {
        return fulfill(plan.statusCode, plan.headers, await file.readFile())
      } finally {
        await file.close()
      }
    }
    return this.#offer(plan.statusCode, [...plan.headers, { name: 'Content-Length', value: String(size) }], file.createReadStream())
  }

  /**
   * A stream is handed to Chromium through the loopback response server, so it
   * is never buffered. Two exceptions are fulfilled with the body read, because
   * Chromium applies them to the URL it actually fetched (the loopback one): a
   * redirect (its Location would resolve against it) and Set-Cookie (the
   * cookie would be stored for 127.0.0.1; measured). So is a service worker's
   * main script (`whole`), which Chromium fails when it comes from another URL.
   */
  async #serveStream(statusCode: number, headers: HeaderEntry[], stream: Readable, url: string, whole: boolean): Promise<RequestDecision> {
    if (whole || (statusCode >= 300 && statusCode < 400) || headers.some((h) => h.name.toLowerCase() === 'set-cookie')) {
      const chunks: Buffer[] = []
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
      const absolute = headers.map((h) => (h.name.toLowerCase() === 'location' && URL.canParse(h.value, url) ? { name: h.name, value: new URL(h.value, url).href } : h))
      return fulfill(statusCode, absolute, Buffer.concat(chunks))
    }
    return this.#offer(statusCode, headers, stream)
  }

  async #offer(statusCode: number, headers: HeaderEntry[], body: Readable): Promise<RequestDecision> {
    if (this.#closed) {
      body.destroy()
      return { kind: 'fail', errorReason: 'Aborted' }
    }
    this.#server ??= new ResponseServer()
    const url = await this.#server.offer({ statusCode, headers, body })
    return { kind: 'continue', url }
  }

  /**
   * The same session (no `session`, or this one): the request continues to the
   * new URL through Chromium, invisibly to the page, with the session's
   * cookies and proxy. `session: null` is Electron's "no session": Node fetches
   * it (no cookies) and the answer is streamed back.
   */
  async #serveHttp(plan: Extract<ResponsePlan, { type: 'http' }>, event: Cdp.Fetch.RequestPausedEvent, whole: boolean): Promise<RequestDecision> {
    const method = plan.method ?? event.request.method
    if (plan.session === undefined || plan.session === this.#session.facade) {
      const decision: RequestDecision = { kind: 'continue', url: plan.url, method }
      if (plan.upload) {
        decision.postData = plan.upload.data.toString('base64')
        if (plan.upload.contentType) {
          const headers = Object.entries(event.request.headers).filter(([name]) => name.toLowerCase() !== 'content-type')
          decision.headers = [...headers.map(([name, value]) => ({ name, value })), { name: 'Content-Type', value: plan.upload.contentType }]
        }
      }
      return decision
    }
    if (plan.session !== null) {
      debug('protocol: an Http response naming another session is not supported (%s)', event.request.url)
      return { kind: 'fail', errorReason: 'Failed' }
    }
    const init: RequestInit = { method, redirect: 'manual' }
    if (plan.upload) {
      init.body = Uint8Array.from(plan.upload.data)
      if (plan.upload.contentType) init.headers = { 'Content-Type': plan.upload.contentType }
    } else if (event.request.postData !== undefined && method !== 'GET' && method !== 'HEAD') {
      init.body = event.request.postData
    }
    const response = await fetch(plan.url, init).catch(() => undefined)
    if (!response) return { kind: 'fail', errorReason: 'ConnectionFailed' }
    const headers: HeaderEntry[] = []
    response.headers.forEach((value, name) => {
      if (name !== 'content-encoding' && name !== 'content-length' && name !== 'set-cookie') headers.push({ name, value })
    })
    if (!response.body) return fulfill(response.status, headers, Buffer.alloc(0))
    return this.#serveStream(response.status, headers, Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]), event.request.url, whole)
  }
}

/**
 * What Electron's handle() makes of a return value that is not a Response (validateResponse in
 * lib/browser/api/protocol.ts): an object whose own status, statusText, headers and body have
 * the right types is used as one — headers as an iterable of pairs, body null or a
 * ReadableStream. Anything else fails the request (Electron answers ERR_UNEXPECTED, which CDP can
 * only send as ERR_FAILED).
 */
function responseFromLike(value: unknown): Response {
  const fail = (why: string): never => {
    throw new ValidationError('protocol.handle handler', 'return value', value, `a Response or an object like one (${why})`)
  }
  if (typeof value !== 'object' || value === null) return fail('not an object')
  const like = value as { type?: unknown; status?: unknown; statusText?: unknown; headers?: unknown; body?: unknown }
  if (like.type === 'error') return Response.error()
  const own = (key: string): boolean => Object.hasOwn(like, key)
  if (own('status') && typeof like.status !== 'number') return fail('status is not a number')
  if (own('statusText') && typeof like.statusText !== 'string') return fail('statusText is not a string')
  if (own('headers') && typeof like.headers !== 'object') return fail('headers is not an object')
  if (own('body') && like.body !== null && !(like.body instanceof ReadableStream)) return fail('body is neither null nor a ReadableStream')
  // Object.fromEntries(res.headers), as Electron reads them: a plain object is not iterable and fails.
  const headers = like.headers ? Object.fromEntries(like.headers as Iterable<[string, string]>) : {}
  return new Response((like.body as ReadableStream | null | undefined) ?? null, {
    status: typeof like.status === 'number' ? like.status : 200,
    ...(typeof like.statusText === 'string' ? { statusText: like.statusText } : {}),
    headers,
  })
}

function fulfill(responseCode: number, responseHeaders: HeaderEntry[], body: Buffer): RequestDecision {
  return { kind: 'fulfill', responseCode, responseHeaders, body: body.toString('base64') }
}

/**
 * A service worker's own script: Fetch reports it as 'Other' for the worker's target, which is
 * attached (paused) with the script's URL while the browser fetches it.
 */
function isServiceWorkerScript(event: Cdp.Fetch.RequestPausedEvent, target: TargetSession | undefined): boolean {
  return event.resourceType === 'Other' && target?.kind === 'service_worker' && target.initialUrl === event.request.url
}
