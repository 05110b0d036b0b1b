import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import { z } from 'zod'
import { NotSupportedError, SessionClosedError, ValidationError } from '../common/errors.js'
import { ElectronEvent } from '../common/event.js'
import { debug, detach, quiet } from '../common/util.js'
import { validateArg } from '../common/validate.js'
import type { CdpClient } from '../cdp/client.js'
import type { InterceptionHandler, RequestInterceptor } from '../cdp/request-interceptor.js'
import type { TargetManager, TargetOwner } from '../cdp/target-manager.js'
import { acceptLanguageHeader, replaceHeaders } from '../common/headers.js'
import { hasFrames, type TargetSession } from '../cdp/target-session.js'
import { Cookies } from './cookies.js'
import { getBlobData } from './blob.js'
import { Protocol } from './protocol.js'
import * as storage from './storage.js'
import * as network from './network.js'
import { ProxyAuthSeeder } from './proxy-auth.js'
import type { SessionProxy } from '../net/session-proxy.js'
import { WebContents } from './web-contents.js'
import { WebRequest } from './web-request.js'
import { LoginHook } from './auth.js'
import { Permissions, type PermissionCheckHandler, type PermissionRequestHandler } from './permissions/index.js'

/** Where a Session lives: a browser context of one browser process. */
export interface SessionBinding {
  readonly manager: TargetManager
  readonly interceptor: RequestInterceptor
  /** undefined: the process's default context. */
  readonly browserContextId: string | undefined
  /** The context's real id, also for a default context (for browser-level Storage.* and Browser.* commands). */
  readonly contextId: string | undefined
  /** The browser-level CDP session of the process this session lives in. */
  readonly browser: CdpClient
  /** The session's gateway, or why it has none. */
  readonly proxy: SessionProxy | string
  /** Disposes the context (in-memory) or stops the partition's browser (persistent). */
  dispose(): Promise<void>
}

/** What a Session needs from the browser that made it. */
export interface SessionHost {
  allocateWebContentsId(): number
  webContentsCreated(webContents: WebContents): void
  webContentsDestroyed(webContents: WebContents): void
}

export interface SessionInit {
  partition: string
  persistent: boolean
  storagePath: string | null
  cache: boolean
  defaultUserAgent: string
  /** false for the default session: it lives as long as the browser. */
  closable: boolean
  /** The context's traffic goes through a gateway of its own (whose credentials pages must learn). */
  gateway: boolean
}

export interface NetworkEmulationOptions {
  offline?: boolean
  /** Round-trip latency added to each request, in ms. */
  latency?: number
  /** Bytes per second; 0 or absent means no throttling. */
  downloadThroughput?: number
  uploadThroughput?: number
}

export interface SessionEvents {
  /** A preload file could not be read. */
  'preload-error': [event: ElectronEvent<Session>, preloadPath: string, error: Error]
  /** (ours) The preload scripts were re-read and re-registered on every live page and frame. */
  'preloads-updated': [paths: string[]]
  /** (ours) The session was closed. */
  closed: []
}

type State = 'open' | 'closing' | 'closed'

/**
 * Per-target setup owned by another component (e.g. cookie-change tracking):
 * `apply` runs on every target of the session while it is paused at attach,
 * and once on every live target when the hook is added. Same rules as the
 * session's own apply functions: send, don't await in between.
 */
export interface TargetHook {
  apply(target: TargetSession): Array<Promise<unknown>>
}
interface UserAgentOverride {
  userAgent: string
  acceptLanguage?: string
}

const userAgentSchema = z.string().trim().min(1)
const acceptLanguagesSchema = z
  .string()
  .regex(/^\s*[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*(\s*;\s*q=[01](\.\d{1,3})?)?(\s*,\s*[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*(\s*;\s*q=[01](\.\d{1,3})?)?)*\s*$/)
const nonNegative = z.number().finite().nonnegative()
const emulationSchema = z.strictObject({
  offline: z.boolean().optional(),
  latency: nonNegative.optional(),
  downloadThroughput: nonNegative.optional(),
  uploadThroughput: nonNegative.optional(),
})
const preloadsSchema = z.array(z.string().refine(isAbsolute, 'not an absolute path'))

/**
 * Electron's Session: one Chromium browser context. Each setting is held here
 * and has one apply function that runs when a target attaches (paused) and,
 * through forEachTarget, when the setting changes.
 */
export class Session extends EventEmitter<SessionEvents> implements TargetOwner {
  readonly #host: SessionHost
  readonly #init: SessionInit
  readonly #binding: Promise<SessionBinding>
  #state: State = 'open'
  #closing: Promise<void> | undefined
  #goneReason: ((api: string) => Error) | undefined

  #userAgent: UserAgentOverride | undefined
  #emulation: NetworkEmulationOptions | undefined
  #preloadPaths: string[] = []
  #preloadSource = ''
  #preloadWatcher: FSWatcher | undefined
  #preloadQueue: Promise<void> = Promise.resolve()
  /** Browser-level interception of service worker scripts, on once a UA override is set. */
  #workerScriptHook: { ready: Promise<unknown>; remove(): void } | Promise<unknown> | undefined

  /** Pages by target id, from the moment they attach (paused). */
  readonly #webContents = new Map<string, WebContents>()
  readonly #targetHooks = new Set<TargetHook>()
  /** Electron's `ses.cookies`. */
  readonly cookies: Cookies
  /** Electron's `ses.protocol` (protocol.ts). */
  readonly protocol: Protocol
  /** Pages whose setup is done and that run. */
  readonly #running = new WeakSet<WebContents>()
  /** Electron's `ses.webRequest` (web-request.ts). */
  readonly webRequest: WebRequest
  /** The 'login' event's interception (auth.ts). */
  readonly #login: LoginHook
  /** Teaches the context its gateway's credentials (proxy-auth.ts). */
  readonly #proxyAuth: ProxyAuthSeeder | undefined
  #gateway: SessionProxy | undefined
  /** The permission handlers (permissions/). */
  readonly #permissions: Permissions
  #gatewayAuth: { remove(): void } | undefined

  /** @internal Made by the session module (`browser.session.fromPartition`). */
  constructor(host: SessionHost, init: SessionInit, binding: Promise<SessionBinding>) {
    super()
    this.#host = host
    this.#init = init
    this.#binding = quiet(binding)
    this.cookies = new Cookies(this)
    this.webRequest = new WebRequest(this)
    this.#login = new LoginHook(this)
    this.protocol = new Protocol(this)
    this.#permissions = new Permissions(this)
    if (init.gateway) {
      const seeder = new ProxyAuthSeeder()
      this.#proxyAuth = seeder
      detach(
        this.#binding.then((b) => {
          if (typeof b.proxy === 'string') return
          this.#gateway = b.proxy
          const { gateway } = b.proxy
          seeder.setCredentials({ origin: `http://${gateway.proxyServer}`, username: gateway.username, password: gateway.password })
          b.proxy.onEvent((event) => {
            if (event.type === 'request') seeder.markSeeded()
          })
          this.#gatewayAuth = b.interceptor.add(seeder.interceptionHandler())
        }, () => undefined),
        'proxy credentials',
      )
    }
  }

  // ---- identity ----------------------------------------------------------

  /** The partition string this session was made from ('' for the default session). */
  get partition(): string {
    return this.#init.partition
  }

  isPersistent(): boolean {
    return this.#init.persistent
  }

  /** The directory holding this session's data on disk; null for in-memory sessions. */
  getStoragePath(): string | null {
    return this.#init.storagePath
  }

  get closed(): boolean {
    return this.#state !== 'open'
  }

  /** Resolves once the session's browser context exists (every method waits for it anyway). */
  async ready(): Promise<void> {
    await this.#bound('session.ready')
  }

  /** @internal Where this session lives (waits for its context; throws if the session is closed). */
  bindingFor(api: string): Promise<SessionBinding> {
    return this.#bound(api)
  }

  // ---- storage and cache (storage.ts) ----------------------------------------

  /** Clears the session's data: every origin and storage type by default, only this session's. */
  clearStorageData(options?: storage.ClearStorageDataOptions): Promise<void> {
    return storage.clearStorageData(this, options)
  }

  /** Newer Electron's clearData({ dataTypes, origins, excludeOrigins }). */
  clearData(options?: storage.ClearDataOptions): Promise<void> {
    return storage.clearData(this, options)
  }

  /** Empties this session's HTTP cache (other sessions keep theirs). */
  clearCache(): Promise<void> {
    return storage.clearCache(this)
  }

  /** The bytes of a blob of this session: its UUID, or a blob: URL of a live page (blob.ts). */
  getBlobData(identifier: string): Promise<Buffer> {
    return getBlobData(this, identifier)
  }

  /** Bytes in this session's HTTP cache. */
  getCacheSize(): Promise<number> {
    return storage.getCacheSize(this)
  }

  /**
   * Electron's clearAuthCache, as far as it can be done: no CDP command empties Chromium's HTTP
   * auth cache (measured, docs/decisions.md), and Chromium sends cached credentials
   * preemptively. For every plain-http origin our login hook gave credentials to, the session
   * gateway drops that cached `Authorization` from the next requests until the server answers
   * 401; Chromium then forgets the entry and the next request is challenged again (the login
   * event fires). Credentials given to https origins are inside TLS, out of the gateway's
   * reach: if there are any, this rejects with NotSupportedError naming those origins (after
   * clearing the http ones). Without a gateway it rejects with NotSupportedError.
   */
  async clearAuthCache(): Promise<void> {
    this.#assertOpen('session.clearAuthCache')
    await network.clearAuthCache(this, () => this.#login.takeAnswered())
  }

  /** Writes pending DOM storage to disk now. */
  flushStorageData(): Promise<void> {
    return storage.flushStorageData(this)
  }

  // ---- pages ---------------------------------------------------------------

  /** Opens a new page (about:blank) in this session. */
  async createWebContents(): Promise<WebContents> {
    const binding = await this.#bound('session.createWebContents')
    await this.interceptionReady()
    const target = await binding.manager.createPage(binding.browserContextId)
    const webContents = this.#webContents.get(target.targetId)
    if (!webContents) throw new SessionClosedError('session.createWebContents: the new page closed before it was ready.')
    return webContents
  }

  /** Live pages of this session (configured and running), oldest first. */
  getAllWebContents(): WebContents[] {
    return [...this.#webContents.values()].filter((wc) => this.#running.has(wc))
  }

  /**
   * @internal Resolves once every interception change made so far (UA fix, webRequest hooks,
   * login hook, protocol handlers) is in Chromium: new pages and navigations wait for it, so a
   * hook set just before `loadURL` sees that load.
   */
  async interceptionReady(): Promise<void> {
    const hook = this.#workerScriptHook
    await Promise.all([hook instanceof Promise ? hook : hook?.ready, this.webRequest.ready(), this.#login.ready(), this.protocol.ready()])
  }

  /** @internal The page (WebContents) of a page target of this session, also while it is still paused. */
  webContentsForTarget(targetId: string): WebContents | undefined {
    return this.#webContents.get(targetId)
  }

  /** @internal */
  async closeTarget(targetId: string): Promise<void> {
    const binding = await this.#binding
    await binding.manager.closeTarget(targetId)
  }

  // ---- proxy and host resolver (network.ts, the session gateway) ---------------

  /** Routes new requests of every live and future page; resolves once in effect. */
  setProxy(config: network.ProxyConfig): Promise<void> {
    return network.setProxy(this, config)
  }

  /** The proxy Chromium would use for `url`, e.g. `PROXY a:80;DIRECT`. */
  resolveProxy(url: string): Promise<string> {
    return network.resolveProxy(this, url)
  }

  /** Fetches the PAC script again and forgets proxies marked bad. */
  forceReloadProxyConfig(): Promise<void> {
    return network.forceReloadProxyConfig(this)
  }

  clearHostResolverCache(): Promise<void> {
    return network.clearHostResolverCache(this)
  }

  resolveHost(host: string, options?: network.ResolveHostOptions): Promise<network.ResolvedHost> {
    return network.resolveHost(this, host, options)
  }

  /** Ends every connection of the session (pages reconnect for their next request). */
  closeAllConnections(): Promise<void> {
    return network.closeAllConnections(this)
  }

  /**
   * @internal The net error Chromium would have shown for `url` had the gateway not answered
   * for it (the gateway turns a failed connection into a 502 page or a refused tunnel).
   */
  gatewayFailure(url: string): string | undefined {
    return this.#gateway?.takeFailure(url)
  }

  // ---- user agent ----------------------------------------------------------

  /**
   * Pages created from now on (and their frames and workers) report `userAgent`
   * and, when given, `acceptLanguages` ('en-US,fr' → `Accept-Language:
   * en-US,fr;q=0.9`). Pages already open keep theirs, as in Electron.
   */
  setUserAgent(userAgent: string, acceptLanguages?: string): void {
    const api = 'session.setUserAgent'
    this.#assertOpen(api)
    const ua = validateArg(api, 'userAgent', userAgentSchema, userAgent, 'a non-empty string')
    if (acceptLanguages !== undefined) {
      validateArg(api, 'acceptLanguages', acceptLanguagesSchema, acceptLanguages, 'a comma-separated list of language tags such as "en-US,fr"')
    }
    this.#userAgent = acceptLanguages === undefined ? { userAgent: ua } : { userAgent: ua, acceptLanguage: acceptLanguages.replace(/\s+/g, '') }
    this.#workerScriptHook ??= this.#binding.then((binding) => {
      if (this.closed) return undefined
      this.#workerScriptHook = binding.interceptor.add(this.#serviceWorkerScript(binding.manager))
      return this.#workerScriptHook.ready
    })
  }

  /**
   * A service worker's own script is fetched by the browser for the
   * registration: no target's UA override applies to it (Chromium 156 sends it
   * without our User-Agent). The paused request names the worker's target id,
   * whose UA was chosen when the worker attached.
   */
  #serviceWorkerScript(manager: TargetManager): InterceptionHandler {
    return {
      priority: 20,
      // A service worker's main script is fetched by the browser with resource type Other.
      patterns: [{ urlPattern: '*', resourceType: 'Other', requestStage: 'Request' }],
      onRequest: (event, target) => {
        if (!target || target.kind !== 'service_worker' || manager.ownerOf(target) !== this) return undefined
        const ua = target.applied.get('ua') as UserAgentOverride | undefined
        if (!ua) return undefined
        const replacements: Record<string, string> = { 'User-Agent': ua.userAgent }
        if (ua.acceptLanguage) replacements['Accept-Language'] = acceptLanguageHeader(ua.acceptLanguage)
        return { kind: 'continue', headers: replaceHeaders(event.request.headers, replacements) }
      },
    }
  }

  getUserAgent(): string {
    return this.#userAgent?.userAgent ?? this.#init.defaultUserAgent
  }

  #applyUserAgent(target: TargetSession): Array<Promise<unknown>> {
    // A page, service worker or shared worker takes the session's current UA;
    // frames and dedicated workers take the one their page started with.
    const inherits = target.kind === 'iframe' || target.kind === 'worker'
    const ua = inherits ? (target.topPage?.applied.get('ua') as UserAgentOverride | undefined) : this.#userAgent
    target.applied.set('ua', ua)
    if (!ua) return []
    const params = ua.acceptLanguage === undefined ? { userAgent: ua.userAgent } : { userAgent: ua.userAgent, acceptLanguage: ua.acceptLanguage }
    if (hasFrames(target.kind)) return [target.client.send('Emulation.setUserAgentOverride', params)]
    // Workers: the Network override sets their request headers and
    // navigator.languages. Service and shared workers (started by the browser,
    // not by a page) still report the browser's navigator.userAgent under it
    // (Chromium 156), so the paused worker gets the value defined before its
    // first instruction.
    const steps: Array<Promise<unknown>> = [target.client.send('Network.setUserAgentOverride', params)]
    if (target.kind === 'service_worker' || target.kind === 'shared_worker') {
      steps.push(target.client.send('Runtime.evaluate', { expression: workerNavigatorOverride(ua.userAgent) }))
    }
    return steps
  }

  // ---- network emulation ---------------------------------------------------

  /** Emulates network conditions for every page, frame and worker of the session, present and future. */
  enableNetworkEmulation(options: NetworkEmulationOptions): Promise<void> {
    const api = 'session.enableNetworkEmulation'
    this.#assertOpen(api)
    const parsed = validateArg(api, 'options', emulationSchema, options, '{ offline?: boolean, latency?: ms ≥ 0, downloadThroughput?: bytes/s ≥ 0, uploadThroughput?: bytes/s ≥ 0 }')
    this.#emulation = parsed
    return quiet(this.#forEachTarget((t) => this.#applyNetworkEmulation(t)))
  }

  disableNetworkEmulation(): Promise<void> {
    this.#assertOpen('session.disableNetworkEmulation')
    this.#emulation = undefined
    return quiet(this.#forEachTarget((t) => this.#applyNetworkEmulation(t)))
  }

  #applyNetworkEmulation(target: TargetSession): Array<Promise<unknown>> {
    const conditions = this.#emulation
    if (!conditions && target.applied.get('emulation') !== true) return []
    target.applied.set('emulation', Boolean(conditions))
    const steps = [target.enable('Network')]
    // A dedicated worker cannot be given conditions (Chromium answers "Not
    // supported"); once its Network domain is enabled it follows its page.
    if (target.kind !== 'worker') {
      steps.push(
        target.client.send('Network.emulateNetworkConditions', {
          offline: conditions?.offline ?? false,
          latency: conditions?.latency ?? 0,
          downloadThroughput: conditions?.downloadThroughput ? conditions.downloadThroughput : -1,
          uploadThroughput: conditions?.uploadThroughput ? conditions.uploadThroughput : -1,
        }),
      )
    }
    return steps
  }

  // ---- cache ---------------------------------------------------------------

  #applyCache(target: TargetSession): Array<Promise<unknown>> {
    if (this.#init.cache || !hasFrames(target.kind)) return []
    return [target.enable('Network'), target.client.send('Network.setCacheDisabled', { cacheDisabled: true })]
  }

  // ---- preloads ------------------------------------------------------------

  /**
   * Scripts (absolute paths) that run in every frame of every new document of
   * the session before the page's own scripts. They run in the page's main
   * world, each wrapped in its own function scope. Editing a file on disk
   * applies to the next document ('preloads-updated' tells when).
   */
  setPreloads(paths: string[]): void {
    const api = 'session.setPreloads'
    this.#assertOpen(api)
    const parsed = validateArg(api, 'preloads', preloadsSchema, paths, 'an array of absolute file paths')
    const sources = parsed.map((path) => {
      try {
        return readFileSync(path, 'utf8')
      } catch (error) {
        throw new ValidationError(api, 'preloads', path, `a readable file (${(error as Error).message})`)
      }
    })
    this.#preloadPaths = [...parsed]
    this.#preloadSource = combinePreloads(parsed, sources)
    closeWatcher(this.#preloadWatcher)
    this.#preloadWatcher = undefined
    if (parsed.length > 0) {
      const watcher = watch(parsed, { ignoreInitial: true })
      watcher.on('change', () => this.#reloadPreloads())
      watcher.on('add', () => this.#reloadPreloads())
      watcher.on('error', (error) => debug('preload watcher: %s', String(error)))
      this.#preloadWatcher = watcher
    }
    this.#queuePreloadApply()
  }

  getPreloads(): string[] {
    return [...this.#preloadPaths]
  }

  #reloadPreloads(): void {
    const sources: string[] = []
    for (const path of this.#preloadPaths) {
      try {
        sources.push(readFileSync(path, 'utf8'))
      } catch (error) {
        // Mid-save (an editor replaced the file): keep the last good source.
        this.emit('preload-error', new ElectronEvent(this), path, error as Error)
        return
      }
    }
    this.#preloadSource = combinePreloads(this.#preloadPaths, sources)
    this.#queuePreloadApply()
  }

  #queuePreloadApply(): void {
    const paths = [...this.#preloadPaths]
    this.#preloadQueue = this.#preloadQueue
      .then(() => this.#forEachTarget((t) => this.#applyPreloads(t)))
      .then(
        () => {
          this.emit('preloads-updated', paths)
        },
        (error: unknown) => debug('applying preloads failed: %s', String(error)),
      )
  }

  #applyPreloads(target: TargetSession): Array<Promise<unknown>> {
    if (!hasFrames(target.kind)) return []
    const source = this.#preloadSource
    const previous = target.applied.get('preload') as { source: string; id: Promise<string> } | undefined
    if (previous?.source === source || (!previous && !source)) return []
    const steps: Array<Promise<unknown>> = []
    if (target.kind === 'iframe') steps.push(target.enable('Page'))
    if (previous) {
      steps.push(previous.id.then((identifier) => target.client.send('Page.removeScriptToEvaluateOnNewDocument', { identifier })))
    }
    if (source) {
      const id = target.client.send('Page.addScriptToEvaluateOnNewDocument', { source }).then((r) => r.identifier)
      target.applied.set('preload', { source, id })
      steps.push(id)
    } else {
      target.applied.delete('preload')
    }
    return steps
  }

  // ---- permissions (permissions/) -------------------------------------------

  /**
   * `handler(webContents, permission, callback, details)` decides every permission request of
   * the session's pages; `null` restores the default (every request granted, as in Electron).
   * Resolves once every live frame and worker asks the new handler.
   */
  setPermissionRequestHandler(handler: PermissionRequestHandler | null): Promise<void> {
    this.#assertOpen('session.setPermissionRequestHandler')
    return this.#permissions.setRequestHandler(handler)
  }

  /** `handler(webContents, permission, requestingOrigin, details) → boolean` answers permission checks; `null`: every check true. */
  setPermissionCheckHandler(handler: PermissionCheckHandler | null): Promise<void> {
    this.#assertOpen('session.setPermissionCheckHandler')
    return this.#permissions.setCheckHandler(handler)
  }

  // ---- targets (TargetOwner) -----------------------------------------------

  /**
   * @internal Adds a per-target hook; resolves when every live target has it.
   * The returned `remove` stops applying it to new targets (undoing it on live
   * ones is the hook owner's job).
   */
  addTargetHook(hook: TargetHook): { ready: Promise<void>; remove(): void } {
    this.#targetHooks.add(hook)
    return {
      ready: quiet(this.#forEachTarget((t) => hook.apply(t))),
      remove: () => {
        this.#targetHooks.delete(hook)
      },
    }
  }

  /** @internal Live targets of this session (pages, frames, workers). */
  async liveTargets(): Promise<TargetSession[]> {
    const binding = await this.#binding
    return binding.manager.targetsOf(this)
  }

  /** @internal */
  configureTarget(target: TargetSession): Array<Promise<unknown>> {
    const steps: Array<Promise<unknown>> = []
    if (target.kind === 'page') {
      const webContents = new WebContents(this.#host.allocateWebContentsId(), this, target)
      this.#webContents.set(target.targetId, webContents)
      steps.push(...webContents.setup())
      target.applied.set('page', true)
    }
    steps.push(
      ...this.#applyUserAgent(target),
      ...this.#applyNetworkEmulation(target),
      ...this.#applyCache(target),
      ...this.#applyPreloads(target),
      ...(this.#proxyAuth?.apply(target) ?? []),
    )
    for (const hook of this.#targetHooks) steps.push(...hook.apply(target))
    return steps
  }

  /** @internal */
  targetReady(target: TargetSession): void {
    const webContents = this.#webContents.get(target.targetId)
    if (!webContents) return
    this.#running.add(webContents)
    this.#host.webContentsCreated(webContents)
  }

  /** @internal */
  targetClosed(target: TargetSession): void {
    const webContents = this.#webContents.get(target.targetId)
    if (!webContents) return
    this.#webContents.delete(target.targetId)
    webContents.markDestroyed()
    this.#host.webContentsDestroyed(webContents)
  }

  /** Applies a setting to every live target; a target that closes meanwhile is skipped. */
  async #forEachTarget(apply: (target: TargetSession) => Array<Promise<unknown>>): Promise<void> {
    const binding = await this.#binding
    const targets = binding.manager.targetsOf(this)
    await Promise.all(
      targets.map((target) =>
        Promise.all(apply(target)).catch((error: unknown) => {
          if (!target.closed) throw error
        }),
      ),
    )
  }

  // ---- lifecycle -----------------------------------------------------------

  /**
   * (ours) Disposes an in-memory session (its context, pages and data) or stops
   * a persistent one (its data stays on disk). Idempotent.
   */
  close(): Promise<void> {
    if (!this.#init.closable) {
      return Promise.reject(new NotSupportedError('session.close: the default session lives as long as the browser. Close the browser instead.'))
    }
    this.#closing ??= this.#close()
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #close(): Promise<void> {
    this.#state = 'closing'
    this.#removeInterception()
    detach(this.protocol.dispose(), 'protocol.dispose')
    closeWatcher(this.#preloadWatcher)
    this.#preloadWatcher = undefined
    try {
      const binding = await this.#binding
      await binding.dispose()
    } catch (error) {
      debug('closing session %s: %s', this.#init.partition, String(error))
    } finally {
      for (const webContents of this.#webContents.values()) {
        webContents.markDestroyed()
        this.#host.webContentsDestroyed(webContents)
      }
      this.#webContents.clear()
      this.#state = 'closed'
      this.emit('closed')
    }
  }

  #removeInterception(): void {
    const hook = this.#workerScriptHook
    if (hook && !(hook instanceof Promise)) hook.remove()
    this.#workerScriptHook = undefined
    this.#gatewayAuth?.remove()
    this.#gatewayAuth = undefined
  }

  /** @internal Marks the session closed because its browser went away; later calls fail with `reason(api)`. */
  markBrowserGone(reason: (api: string) => Error): void {
    this.#state = 'closed'
    this.#goneReason = reason
    closeWatcher(this.#preloadWatcher)
    this.#preloadWatcher = undefined
  }

  async #bound(api: string): Promise<SessionBinding> {
    this.#assertOpen(api)
    return this.#binding
  }

  #assertOpen(api: string): void {
    if (this.#goneReason) throw this.#goneReason(api)
    if (this.#state !== 'open') {
      throw new SessionClosedError(`${api}: the session '${this.#init.partition}' is closed. Create a new one with session.fromPartition().`)
    }
  }
}

function workerNavigatorOverride(userAgent: string): string {
  const appVersion = userAgent.replace(/^Mozilla\//, '')
  return `(() => {
  const define = (name, value) => Object.defineProperty(WorkerNavigator.prototype, name, { get: () => value, configurable: true, enumerable: true })
  define('userAgent', ${JSON.stringify(userAgent)})
  define('appVersion', ${JSON.stringify(appVersion)})
})()`
}

function combinePreloads(paths: readonly string[], sources: readonly string[]): string {
  return sources
    .map((source, i) => `;(() => {\ntry {\n${source}\n} catch (error) { console.error(${JSON.stringify(`preload ${paths[i]} threw:`)}, error) }\n})();`)
    .join('\n')
}

function closeWatcher(watcher: FSWatcher | undefined): void {
  if (watcher) detach(watcher.close(), 'close preload watcher')
}
