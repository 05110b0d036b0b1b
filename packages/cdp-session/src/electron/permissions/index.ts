import { randomBytes } from 'node:crypto'
import type { Protocol } from 'devtools-protocol'
import { z } from 'zod'
import { debug, deferred, detach, quiet } from '../../common/util.js'
import { electronValidationError, quote, warnIgnoredInput } from '../../common/input-policy.js'
import { validateArg } from '../../common/validate.js'
import type { CdpClient } from '../../cdp/client.js'
import { hasFrames, type TargetSession } from '../../cdp/target-session.js'
import type { SessionContext } from '../context.js'
import type { SessionBinding } from '../core/types.js'
import type { WebContents } from '../web-contents.js'
import { handlerTimeoutMs, reportHandlerError, type HandlerFault, type HandlerKind } from '../handler-errors.js'
import { checkName, DEFAULT_GRANTS, descriptorsFor, requestName, type MediaType, type PermissionName } from './names.js'
import { windowShim, workerShim, type ShimMessage } from './shim.js'

export type { PermissionName, MediaType } from './names.js'

/** Electron's `details` of a permission request. */
export interface PermissionRequestDetails {
  /** The URL of the frame (or worker) that asked. */
  requestingUrl: string
  /** false for any iframe, also a cross-site one whose webContents is its top page. */
  isMainFrame: boolean
  /** 'media': what getUserMedia asked for. */
  mediaTypes?: MediaType[]
  /** 'media': the requesting origin. */
  securityOrigin?: string
}

/** Electron's `details` of a permission check. */
export interface PermissionCheckDetails {
  requestingUrl: string
  isMainFrame: boolean
  /** The top-level origin of the frame that checks. */
  embeddingOrigin: string
  securityOrigin: string
  /** 'media' checks (permissions.query camera / microphone). */
  mediaType?: MediaType
}

export type PermissionRequestHandler = (
  webContents: WebContents | null,
  permission: PermissionName,
  callback: (permissionGranted: boolean) => void,
  details: PermissionRequestDetails,
) => void

export type PermissionCheckHandler = (
  webContents: WebContents | null,
  permission: PermissionName,
  requestingOrigin: string,
  details: PermissionCheckDetails,
) => boolean

/** Electron's request of a display media handler (its MediaStreamRequest as JS sees it). */
export interface DisplayMediaRequest {
  /** Electron's requesting WebFrameMain; this library has no frame objects: always null. */
  frame: null
  /** The requesting frame's origin. */
  securityOrigin: string
  videoRequested: boolean
  audioRequested: boolean
  /** Whether the frame had a transient user activation when it called getDisplayMedia. */
  userGesture: boolean
}

/** What the handler's callback takes: Electron's `Streams`. */
export interface DisplayMediaStreams {
  /** A desktopCapturer source (`{ id, name }`) or a frame (here: a WebContents) to capture. */
  video?: { id: string; name: string } | WebContents
  /** 'loopback' / 'loopbackWithMute' (system audio) or a frame (here: a WebContents). */
  audio?: 'loopback' | 'loopbackWithMute' | WebContents
  enableLocalEcho?: boolean
}

export type DisplayMediaRequestHandler = (request: DisplayMediaRequest, callback: (streams?: DisplayMediaStreams | null) => void) => void

/** Electron's rejection of a getDisplayMedia it cannot answer (MediaStreamRequestResult → DOMException). */
const CAPTURE_FAILURE = ['AbortError', 'Error starting capture'] as const
const NOT_SUPPORTED = ['NotSupportedError', 'Not supported'] as const

/**
 * How long a request waits for the handler's callback before it is denied
 * (the page's promise then settles with Chromium's denial; CDP_SESSION_HANDLER_TIMEOUT_MS
 * overrides it).
 */
export const REQUEST_TIMEOUT_MS = 10_000

const handlerSchema = z.union([z.null(), z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function')])

interface Context {
  readonly client: CdpClient
  readonly contextId: number
  readonly message: ShimMessage
  readonly target: TargetSession
}

/**
 * Electron's permission handlers for one session (docs/decisions.md,
 * "Permissions"). Until a handler is first set the session costs nothing:
 * every origin is granted (Electron's default) by one Browser.grantPermissions
 * for the context. From then on a shim in every frame and worker of the
 * session asks Node for each request and check (shim.ts).
 */
export class Permissions {
  readonly #session: SessionContext
  /** Unguessable per session: the binding the shim talks through. */
  readonly #name = `cdp${randomBytes(12).toString('hex')}`
  #request: PermissionRequestHandler | null = null
  #check: PermissionCheckHandler | null = null
  #display: DisplayMediaRequestHandler | null = null
  #hook: { ready: Promise<void>; remove(): void } | undefined
  readonly #warned = new Set<string>()
  /** Live documents and workers: where Notification.permission is pushed. */
  readonly #contexts = new Map<string, Context>()
  /** The origin of each page's main frame document, for its frames' details. */
  readonly #topOrigins = new WeakMap<TargetSession, string>()
  readonly #defaults: Promise<unknown>
  /** The last handler change's resets and grants: a decision is applied after them. */
  #settings: Promise<unknown> = Promise.resolve()

  constructor(session: SessionContext) {
    this.#session = session
    this.#defaults = quiet(session.bindingFor('session.permissions').then((binding) => this.#grantDefaults(binding)))
    detach(this.#defaults, 'default permission grants')
  }

  setRequestHandler(handler: PermissionRequestHandler | null): Promise<void> {
    const api = 'session.setPermissionRequestHandler'
    this.#request = validateArg(api, 'handler', handlerSchema, handler, 'a function or null') as PermissionRequestHandler | null
    return this.#install(api)
  }

  setCheckHandler(handler: PermissionCheckHandler | null): Promise<void> {
    const api = 'session.setPermissionCheckHandler'
    this.#check = validateArg(api, 'handler', handlerSchema, handler, 'a function or null') as PermissionCheckHandler | null
    // Ignoring the promise is safe: it never rejects unhandled.
    return quiet(this.#install(api).then(() => this.#pushAll()))
  }

  /**
   * Electron's display media handler: asked for each getDisplayMedia() of a frame of the session.
   * The page's call waits for its callback; what the callback gives decides it as in Electron.
   */
  setDisplayMediaRequestHandler(handler: DisplayMediaRequestHandler | null, opts?: { useSystemPicker?: boolean }): Promise<void> {
    const api = 'session.setDisplayMediaRequestHandler'
    if (handler !== null && typeof handler !== 'function') throw electronValidationError(api, 'handler', handler, 'Display media request handler must be null or a function')
    if (opts !== undefined && opts !== null && typeof opts === 'object') {
      for (const key of Object.keys(opts)) {
        if (key === 'useSystemPicker') {
          if ((opts as Record<string, unknown>)[key]) warnIgnoredInput(api, 'the option "useSystemPicker"', "Electron uses macOS's system picker only on macOS; Chromium here has none, the handler decides")
        } else {
          warnIgnoredInput(api, `the option ${quote(key)} of opts`, 'Electron knows only useSystemPicker')
        }
      }
    }
    this.#display = handler
    return this.#install(api)
  }

  // ---- setup -------------------------------------------------------------------

  /**
   * The first handler takes over from the default grants: Chromium's overrides
   * are reset (so only what a handler allowed is granted) and every target gets
   * the shim. Clearing both handlers grants every origin again and the shim,
   * still in place, answers with Electron's defaults.
   */
  #install(api: string): Promise<void> {
    const handlers = this.#request !== null || this.#check !== null || this.#display !== null
    // At once, so a page opened right after the call (without awaiting it) gets the shim.
    if (handlers) this.#hook ??= this.#session.addTargetHook({ apply: (target) => this.#apply(target), restart: (target) => (target.applied.has('permissions') ? [this.#workerShim(target)] : []) })
    const resetting = this.#request !== null || (this.#check === null && this.#request === null)
    const previous = this.#settings
    const done = (async () => {
      const binding = await this.#session.bindingFor(api)
      // In call order, after the default grants (whether they worked or not: a failure is logged).
      await Promise.allSettled([this.#defaults, previous])
      const browserContextId = binding.contextId
      if (resetting) await binding.browser.send('Browser.resetPermissions', browserContextId === undefined ? {} : { browserContextId })
      if (this.#request === null && this.#check === null) await this.#grantDefaults(binding)
      await this.#hook?.ready
    })()
    this.#settings = quiet(done)
    return done
  }

  async #grantDefaults(binding: SessionBinding): Promise<void> {
    const browserContextId = binding.contextId
    await binding.browser.send('Browser.grantPermissions', { permissions: DEFAULT_GRANTS, ...(browserContextId === undefined ? {} : { browserContextId }) })
  }

  #apply(target: TargetSession): Array<Promise<unknown>> {
    if (target.applied.has('permissions')) return []
    target.applied.set('permissions', true)
    const { client } = target
    const forget = (): void => {
      for (const [key, context] of this.#contexts) if (context.client === client) this.#contexts.delete(key)
    }
    client.on('Runtime.bindingCalled', (event) => {
      if (event.name !== this.#name) return
      detach(this.#onMessage(target, event.executionContextId, event.payload), 'permission message')
    })
    client.on('Runtime.executionContextDestroyed', (event) => {
      this.#contexts.delete(`${client.sessionId}:${event.executionContextId}`)
    })
    client.on('Runtime.executionContextsCleared', forget)
    detach(client.whenDetached.then(forget), 'forget permission contexts')
    const steps: Array<Promise<unknown>> = [client.send('Runtime.addBinding', { name: this.#name }), target.enable('Runtime')]
    if (hasFrames(target.kind)) {
      this.#trackDocuments(target)
      // Without Page.enable the script is accepted and never runs (DESIGN.md).
      steps.push(target.enable('Page'), client.send('Page.addScriptToEvaluateOnNewDocument', { source: windowShim(this.#name), runImmediately: true }))
      return steps
    }
    // A paused dedicated worker has no context yet, and a Runtime.evaluate sent then holds
    // the worker forever; sent once its context exists, it runs only after the worker's first
    // tasks (measured, Chromium 156). So the worker stops once more, before its first script
    // runs, and gets the shim there. A service or shared worker is evaluated at once (it has
    // its context while paused).
    const shim = (): Promise<unknown> => this.#workerShim(target)
    // A worker that already runs (the handler came after it) is evaluated between its tasks.
    if (target.kind !== 'worker' || target.applied.get('ready') === true) return [...steps, shim()]
    const off = client.on('Debugger.paused', (event) => {
      if (event.reason !== 'instrumentation') return
      off()
      detach(
        shim().finally(() => client.send('Debugger.disable')),
        'worker permission shim',
      )
    })
    steps.push(client.send('Debugger.enable', {}), client.send('Debugger.setInstrumentationBreakpoint', { instrumentation: 'beforeScriptExecution' }))
    return steps
  }

  /** Evaluates the shim in a worker's global and gives it the current notification state. */
  #workerShim(target: TargetSession): Promise<unknown> {
    const { client } = target
    return client.send('Runtime.evaluate', { expression: workerShim(this.#name) }).then(() => {
      const context = this.#workerContext(target)
      this.#contexts.set(`${client.sessionId}:worker`, context)
      return this.#deliver(context, 0, { notification: this.#notificationState(context) })
    })
  }

  /**
   * Every new document of a frame target is known from its main-world context: Notification.permission
   * (a synchronous getter) is pushed to it when a check handler is set, and again whenever the
   * handler changes. (Without a check handler the shim answers Electron's default, 'granted'.)
   */
  #trackDocuments(target: TargetSession): void {
    const { client } = target
    const urls = new Map<string, string>()
    client.on('Page.frameNavigated', (event) => {
      urls.set(event.frame.id, event.frame.url)
    })
    client.on('Runtime.executionContextCreated', ({ context }) => {
      const aux = context.auxData as { frameId?: string; isDefault?: boolean } | undefined
      if (!aux?.isDefault || !aux.frameId) return
      const main = target.kind === 'page' && aux.frameId === target.targetId
      if (aux.frameId === target.targetId) this.#topOrigins.set(target, context.origin)
      const top = target.topPage ? this.#topOrigins.get(target.topPage) : undefined
      const message: ShimMessage = { t: 'hello', id: 0, url: urls.get(aux.frameId) ?? context.origin, origin: context.origin, main, ...(top ? { top } : {}) }
      const entry: Context = { client, contextId: context.id, message, target }
      this.#contexts.set(`${client.sessionId}:${context.id}`, entry)
      if (this.#check) detach(this.#deliver(entry, 0, { notification: this.#notificationState(entry) }), 'push Notification.permission')
    })
  }

  // ---- messages from the shim ---------------------------------------------------------

  async #onMessage(target: TargetSession, contextId: number, payload: string): Promise<void> {
    let message: ShimMessage
    try {
      message = JSON.parse(payload) as ShimMessage
    } catch {
      return
    }
    if (typeof message.id !== 'number' || typeof message.url !== 'string') return
    // What Chromium told us of this document outranks what its script says of itself.
    const known = this.#contexts.get(`${target.client.sessionId}:${hasFrames(target.kind) ? contextId : 'worker'}`)?.message
    if (known) {
      if (known.origin !== message.origin) message.url = known.url
      message.origin = known.origin
      if (known.top !== undefined) message.top = known.top
      if (known.main !== undefined) message.main = known.main
    }
    const context: Context = { client: target.client, contextId, message, target }
    switch (message.t) {
      case 'chk': {
        const name = checkName(String(message.permission), message.sysex === true)
        const granted = name ? this.#decideCheck(context, name.permission, name.mediaType) : true
        await this.#deliver(context, message.id, { state: granted ? 'granted' : 'denied' })
        return
      }
      case 'dm': {
        const error = await this.#decideDisplay(context)
        await this.#deliver(context, message.id, error ? { error } : { capture: true })
        return
      }
      case 'req': {
        const permission = requestName(String(message.permission), message.sysex === true)
        const granted = permission ? await this.#decideRequest(context, permission) : false
        try {
          if (permission) await this.#applyDecision(context, permission, granted)
        } catch (error) {
          // E.g. an opaque origin (sandboxed frame, data: URL) that Chromium takes no setting for:
          // the page still gets its answer, and Chromium decides the call with what it has.
          debug('applying the %s decision for %s: %s', permission, message.url, String(error))
        }
        await this.#deliver(context, message.id, { granted })
        return
      }
    }
  }

  /** A worker before its shim said hello: what Node knows of it from its target. */
  #workerContext(target: TargetSession): Context {
    const url = target.initialUrl
    const origin = URL.canParse(url) ? new URL(url).origin : 'null'
    return { client: target.client, contextId: 0, target, message: { t: 'hello', id: 0, url, origin } }
  }

  #webContentsOf(target: TargetSession): WebContents | null {
    const top = target.topPage
    return top ? (this.#session.webContentsForTarget(top.targetId) ?? null) : null
  }

  #decideRequest(context: Context, permission: PermissionName): Promise<boolean> {
    const handler = this.#request
    if (!handler) return Promise.resolve(true)
    const { message } = context
    const media = mediaOf(message)
    const details: PermissionRequestDetails = { requestingUrl: message.url, isMainFrame: message.main === true }
    if (permission === 'media') {
      details.mediaTypes = media
      details.securityOrigin = message.origin
    }
    // Policy: the first answer counts; a throw before any answer denies, so does no answer
    // within the bound; each fault (a second or late answer too) is reported once.
    const answer = deferred<boolean>()
    const timeoutMs = handlerTimeoutMs(REQUEST_TIMEOUT_MS)
    let decided: boolean | undefined
    let timedOut = false
    const decide = (granted: boolean): void => {
      if (decided !== undefined) return
      decided = granted
      answer.resolve(granted)
    }
    const report = (fault: HandlerFault, text: string): void => this.#report('permission-request', fault, message.url, decided === true ? 'granted' : 'denied', text)
    const timer = setTimeout(() => {
      if (decided !== undefined) return
      decide(false)
      timedOut = true
      this.#warn('timeout', `session.setPermissionRequestHandler: the handler did not call back within ${timeoutMs} ms for '${permission}' (${message.url}); the request was denied.`)
      report('timeout', `session.setPermissionRequestHandler: the handler did not call back within ${timeoutMs} ms for '${permission}' (${message.url}); the request was denied.`)
    }, timeoutMs)
    // A pending request does not keep Node running.
    timer.unref()
    const callback = (granted: boolean): void => {
      if (decided !== undefined) {
        if (timedOut) report('answered-late', `session.setPermissionRequestHandler: the handler called back after ${timeoutMs} ms for '${permission}' (${message.url}); the request had been denied.`)
        else report('answered-twice', `session.setPermissionRequestHandler: the handler called back more than once for '${permission}' (${message.url}); only the first answer counts.`)
        return
      }
      clearTimeout(timer)
      decide(granted === true)
    }
    try {
      handler(this.#webContentsOf(context.target), permission, callback, details)
    } catch (error) {
      if (decided === undefined) {
        clearTimeout(timer)
        decide(false)
      }
      const text = `session.setPermissionRequestHandler: the handler threw for '${permission}' (${message.url}): ${String(error)}; the request was ${decided === true ? 'granted (its first answer)' : 'denied'}.`
      this.#warn('threw', text)
      report('threw', text)
    }
    return answer.promise
  }

  /**
   * The display media handler's answer: undefined lets Chromium capture, else the DOMException
   * (name, message) the page's getDisplayMedia rejects with. Policy as for permission requests:
   * the first answer counts; a throw or no answer within the bound fails the capture.
   */
  #decideDisplay(context: Context): Promise<readonly [string, string] | undefined> {
    const handler = this.#display
    if (!handler) return Promise.resolve(NOT_SUPPORTED)
    const { message } = context
    const media = mediaOf(message)
    const request: DisplayMediaRequest = {
      frame: null,
      securityOrigin: message.origin,
      videoRequested: media.includes('video'),
      audioRequested: media.includes('audio'),
      userGesture: message.gesture === true,
    }
    const api = 'session.setDisplayMediaRequestHandler'
    const answer = deferred<readonly [string, string] | undefined>()
    const timeoutMs = handlerTimeoutMs(REQUEST_TIMEOUT_MS)
    let settled = false
    let timedOut = false
    const settle = (error: readonly [string, string] | undefined): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      answer.resolve(error)
    }
    const report = (fault: HandlerFault, text: string): void => this.#report('display-media', fault, message.url, 'capture failed', text)
    const timer = setTimeout(() => {
      if (settled) return
      settle(CAPTURE_FAILURE)
      timedOut = true
      const text = `${api}: the handler did not call back within ${timeoutMs} ms (${message.url}); getDisplayMedia failed.`
      this.#warn('display timeout', text)
      report('timeout', text)
    }, timeoutMs)
    timer.unref()
    const callback = (...args: unknown[]): void => {
      if (settled) {
        if (timedOut) report('answered-late', `${api}: the handler called back after ${timeoutMs} ms (${message.url}); getDisplayMedia had failed.`)
        else report('answered-twice', `${api}: the handler called back more than once (${message.url}); only the first answer counts.`)
        return
      }
      const fault = displayStreamsFault(args[0], request)
      if (fault) {
        // Electron throws the TypeError at the caller of the callback and fails the capture.
        settle(CAPTURE_FAILURE)
        throw electronValidationError('callback', 'streams', args[0], fault)
      }
      settle(args[0] === undefined || args[0] === null ? CAPTURE_FAILURE : undefined)
    }
    try {
      handler(request, callback)
    } catch (error) {
      const text = `${api}: the handler threw (${message.url}): ${String(error)}; getDisplayMedia ${settled ? 'kept its first answer' : 'failed'}.`
      settle(CAPTURE_FAILURE)
      this.#warn('display threw', text)
      report('threw', text)
    }
    return answer.promise
  }

  #decideCheck(context: Context, permission: PermissionName, mediaType: MediaType | undefined): boolean {
    const handler = this.#check
    if (!handler) return true
    const { message } = context
    const details: PermissionCheckDetails = {
      requestingUrl: message.url,
      isMainFrame: message.main === true,
      embeddingOrigin: message.top ?? message.origin,
      securityOrigin: message.origin,
      ...(mediaType ? { mediaType } : {}),
    }
    // Policy: a throw or an answer that is not a boolean answers false (Electron reads a
    // non-boolean as false too), and is reported.
    let answer: unknown
    try {
      answer = handler(this.#webContentsOf(context.target), permission, message.origin, details)
    } catch (error) {
      const text = `session.setPermissionCheckHandler: the handler threw for '${permission}' (${message.origin}): ${String(error)}; the check answered false.`
      this.#warn('check threw', text)
      this.#report('permission-check', 'threw', message.url, 'false', text)
      return false
    }
    if (typeof answer !== 'boolean') {
      this.#report('permission-check', 'malformed', message.url, 'false', `session.setPermissionCheckHandler: the handler returned ${typeof answer === 'object' ? String(answer) : typeof answer} for '${permission}' (${message.origin}), not a boolean; the check answered false.`)
    }
    return answer === true
  }

  #report(handler: HandlerKind, fault: HandlerFault, url: string, outcome: string, text: string): void {
    reportHandlerError(this.#session, { handler, fault, url, outcome }, new Error(text))
  }

  /** One process warning per kind of handler failure and session (each is also logged). */
  #warn(kind: string, text: string): void {
    debug('%s', text)
    if (this.#warned.has(kind)) return
    this.#warned.add(kind)
    process.emitWarning(text, { code: 'CDP_SESSION_PERMISSION_HANDLER' })
  }

  #notificationState(context: Context): 'granted' | 'denied' {
    return this.#decideCheck(context, 'notifications', undefined) ? 'granted' : 'denied'
  }

  /**
   * Chromium keeps the answer as the origin's setting (granted or denied) for
   * the original call that follows. A denial is not remembered by us: the
   * next request asks the handler again and overwrites the setting. A frame's
   * permission is keyed by its top-level origin (Chromium delegates frame
   * permissions from the top-level document).
   */
  async #applyDecision(context: Context, permission: PermissionName, granted: boolean): Promise<void> {
    const descriptors = descriptorsFor(permission, mediaOf(context.message))
    if (descriptors.length === 0) return
    const binding = await this.#session.bindingFor('session.setPermissionRequestHandler')
    await Promise.allSettled([this.#settings])
    const { message } = context
    const origin = message.top ?? message.origin
    const embedded = message.top !== undefined && message.top !== message.origin ? { embeddedOrigin: message.origin } : {}
    const browserContextId = binding.contextId
    await Promise.all(
      descriptors.map((permission: Protocol.Browser.PermissionDescriptor) =>
        binding.browser.send('Browser.setPermission', {
          permission,
          setting: granted ? 'granted' : 'denied',
          origin,
          ...embedded,
          ...(browserContextId === undefined ? {} : { browserContextId }),
        }),
      ),
    )
  }

  async #deliver(context: Context, id: number, answer: object): Promise<void> {
    await context.client.send('Runtime.evaluate', {
      expression: `globalThis[${JSON.stringify(this.#name)}](${id}, ${JSON.stringify(answer)})`,
      // A worker has one context, and Chromium 156 does not find it by the id its bindingCalled names.
      ...(hasFrames(context.target.kind) ? { contextId: context.contextId } : {}),
    })
  }

  /** The check handler changed: every live document and worker gets its new Notification.permission. */
  async #pushAll(): Promise<void> {
    const pushes = [...this.#contexts.values()].map((context) =>
      this.#deliver(context, 0, { notification: this.#notificationState(context) }).catch((error: unknown) => {
        if (!context.client.detached) debug('pushing Notification.permission: %s', String(error))
      }),
    )
    await Promise.all(pushes)
  }
}

/** Electron's checks of a display media callback's `streams` (DisplayMediaDeviceChosen); undefined: acceptable. */
function displayStreamsFault(streams: unknown, request: DisplayMediaRequest): string | undefined {
  if (streams === undefined || streams === null) return undefined
  if (typeof streams !== 'object') return 'Display Media Request streams callback must be called with null or a valid object'
  const { video, audio } = streams as { video?: unknown; audio?: unknown }
  const isFrame = (value: unknown): boolean => typeof value === 'object' && value !== null && 'session' in value && 'loadURL' in value
  const isSource = (value: unknown): boolean =>
    typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' && typeof (value as { name?: unknown }).name === 'string'
  let hasVideo = false
  if (request.videoRequested && video !== undefined) {
    if (!isSource(video) && !isFrame(video)) return 'video must be a WebFrameMain or DesktopCapturerSource'
    hasVideo = true
  }
  if (request.audioRequested && audio !== undefined) {
    if (!isSource(audio) && !isFrame(audio) && typeof audio !== 'string') return 'audio must be a WebFrameMain, "loopback" or "loopbackWithMute"'
  }
  if (request.videoRequested && !hasVideo) return 'Video was requested, but no video stream was provided'
  return undefined
}

function mediaOf(message: ShimMessage): MediaType[] {
  return Array.isArray(message.media) ? message.media.filter((m): m is MediaType => m === 'audio' || m === 'video') : []
}
