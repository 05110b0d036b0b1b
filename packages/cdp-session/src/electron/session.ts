// Electron's Session, as a facade: each method keeps Electron's name and hands the call to the
// feature that owns it. The features share one SessionCore (core/session-core.ts), which holds
// the session's binding, state, pages and the fan-out of settings to every target; none of
// them imports this file (docs/architecture.md).
import type { TargetSession } from '../cdp/target-session.js'
import { settleCallback } from '../common/callbacks.js'
import { TypedEmitter } from '../common/event.js'
import { LoginHook } from './auth.js'
import { CertificateVerification, type CertificateVerifyProc } from './certificates.js'
import { getBlobData } from './blob.js'
import type { SessionContext } from './context.js'
import { Cookies } from './cookies.js'
import { Downloads, type CreateInterruptedDownloadOptions, type DownloadURLOptions } from './downloads/downloads.js'
import { sessionFetch, type SessionFetchInit } from './session-fetch.js'
import { SessionCore, type SessionHost } from './core/session-core.js'
import type { SessionBinding, SessionInit } from './core/types.js'
import { NetworkEmulation, type NetworkEmulationOptions } from './emulation.js'
import { NetLog } from './net-log.js'
import { Permissions, type DisplayMediaRequestHandler, type PermissionCheckHandler, type PermissionRequestHandler } from './permissions/index.js'
import * as integratedAuth from './integrated-auth.js'
import * as network from './network.js'
import { Preloads, type PreloadScript, type PreloadScriptRegistration } from './preloads.js'
import { Protocol } from './protocol.js'
import { ServiceWorkers } from './service-workers.js'
import { seedGatewayCredentials } from './proxy-auth.js'
import { holdSharedWorkerScripts } from './shared-worker-hold.js'
import * as storage from './storage.js'
import { UserAgent } from './user-agent.js'
import { pageControl, WebContents } from './web-contents.js'
import type { SessionEvents } from './session-events.js'
import { WebRequest } from './web-request.js'

export type { NetworkEmulationOptions } from './emulation.js'
export type { SessionEvents } from './session-events.js'

declare module './core/types.js' {
  interface PublicTypes {
    Session: Session
  }
}

/** A deprecated callback form's "done" callback (Electron 5/6). */
export type Done = () => void

/** The core behind each Session, for the browser that made it (browser.ts) and nobody else. */
const cores = new WeakMap<Session, SessionContext>()

/** @internal The core of a session (its TargetOwner, its close and browser-gone paths). */
export function coreOf(session: Session): SessionContext {
  const core = cores.get(session)
  if (!core) throw new TypeError('not a Session of this library')
  return core
}

/** Electron's Session: one Chromium browser context, present and future pages, frames and workers. */
export class Session extends TypedEmitter<SessionEvents> {
  readonly #core: SessionContext
  readonly #userAgent: UserAgent
  readonly #emulation: NetworkEmulation
  readonly #preloads: Preloads
  /** Electron's `ses.cookies`. */
  readonly cookies: Cookies
  /** Electron's `ses.webRequest`. */
  readonly webRequest: WebRequest
  /** Electron's `ses.protocol`. */
  readonly protocol: Protocol
  /** Electron's `ses.netLog`: this session's network events, as NetLog JSON or HAR. */
  readonly netLog: NetLog
  /** Electron's `ses.serviceWorkers`: the session's running service workers and their events. */
  readonly serviceWorkers: ServiceWorkers
  readonly #login: LoginHook
  readonly #downloads: Downloads
  readonly #permissions: Permissions
  readonly #certificates: CertificateVerification

  /** @internal Made by the session module (`browser.session.fromPartition`). */
  constructor(host: SessionHost<WebContents>, init: SessionInit, binding: Promise<SessionBinding>) {
    super()
    const core: SessionContext = new SessionCore<WebContents>({
      host,
      init,
      binding,
      facade: this,
      createPage: (id: number, target: TargetSession) => {
        const page = new WebContents(id, core, target)
        return { page, ...pageControl(page) }
      },
    })
    this.#core = core
    cores.set(this, core)
    // Settings applied at attach, in this order, before any feature's own hooks.
    this.#userAgent = new UserAgent(core)
    this.#emulation = new NetworkEmulation(core)
    this.#preloads = new Preloads(core)
    if (init.gateway) {
      seedGatewayCredentials(core)
      holdSharedWorkerScripts(core)
    }
    this.cookies = new Cookies(core)
    this.webRequest = new WebRequest(core)
    this.#login = new LoginHook(core)
    this.protocol = new Protocol(core)
    this.netLog = new NetLog(core)
    this.serviceWorkers = new ServiceWorkers(core)
    this.#downloads = new Downloads(core)
    this.#permissions = new Permissions(core)
    this.#certificates = new CertificateVerification(core)
  }

  // ---- identity ------------------------------------------------------------------

  /** The partition string this session was made from ('' for the default session). */
  get partition(): string {
    return this.#core.init.partition
  }

  isPersistent(): boolean {
    return this.#core.init.persistent
  }

  /** The directory holding this session's data on disk; null for in-memory sessions. */
  getStoragePath(): string | null {
    return this.#core.init.storagePath
  }

  get closed(): boolean {
    return this.#core.closed
  }

  /** Resolves once the session's browser context exists (every method waits for it anyway). */
  async ready(): Promise<void> {
    await this.#core.bindingFor('session.ready')
  }

  // ---- storage and cache (storage.ts, blob.ts) -------------------------------------

  /** Clears the session's data: every origin and storage type by default, only this session's. */
  clearStorageData(options?: storage.ClearStorageDataOptions): Promise<void>
  /** The seed's callback forms: `clearStorageData([options,] callback)`. */
  clearStorageData(callback: Done): void
  clearStorageData(options: storage.ClearStorageDataOptions | undefined, callback: Done): void
  clearStorageData(options?: storage.ClearStorageDataOptions | Done, callback?: Done): Promise<void> | void {
    if (typeof options === 'function') return settleCallback('session.clearStorageData', storage.clearStorageData(this.#core), options)
    return this.#withCallback('session.clearStorageData', storage.clearStorageData(this.#core, options), callback)
  }

  /** Newer Electron's clearData({ dataTypes, origins, excludeOrigins }). */
  clearData(options?: storage.ClearDataOptions): Promise<void> {
    return storage.clearData(this.#core, options)
  }

  /** Empties this session's HTTP cache (other sessions keep theirs). */
  clearCache(): Promise<void>
  clearCache(callback: Done): void
  clearCache(callback?: Done): Promise<void> | void {
    return this.#withCallback('session.clearCache', storage.clearCache(this.#core), callback)
  }

  /** Bytes in this session's HTTP cache. */
  getCacheSize(): Promise<number>
  getCacheSize(callback: (size: number) => void): void
  getCacheSize(callback?: (size: number) => void): Promise<number> | void {
    return this.#withCallback('session.getCacheSize', storage.getCacheSize(this.#core), callback)
  }

  /** Writes pending DOM storage to disk now. */
  flushStorageData(): Promise<void> {
    return storage.flushStorageData(this.#core)
  }

  /** The bytes of a blob of this session: its UUID, or a blob: URL of a live page. */
  getBlobData(identifier: string): Promise<Buffer>
  getBlobData(identifier: string, callback: (result: Buffer) => void): void
  getBlobData(identifier: string, callback?: (result: Buffer) => void): Promise<Buffer> | void {
    return this.#withCallback('session.getBlobData', getBlobData(this.#core, identifier), callback)
  }

  /**
   * Electron's clearAuthCache, as far as it can be done (network.ts): plain-http origins the
   * login hook answered are challenged again through the session gateway; credentials given
   * to https origins cannot be dropped over CDP, so it then rejects with NotSupportedError
   * naming them.
   */
  clearAuthCache(options?: network.ClearAuthCacheOptions): Promise<void>
  /** The seed's callback form: `clearAuthCache(options, callback)`. */
  clearAuthCache(options: network.ClearAuthCacheOptions, callback: Done): void
  clearAuthCache(options?: network.ClearAuthCacheOptions | Done, callback?: Done): Promise<void> | void {
    if (typeof options === 'function') return settleCallback('session.clearAuthCache', this.#clearAuthCache(undefined), options)
    return this.#withCallback('session.clearAuthCache', this.#clearAuthCache(options), callback)
  }

  async #clearAuthCache(options: unknown): Promise<void> {
    this.#core.assertOpen('session.clearAuthCache')
    const only = network.readClearAuthCacheOptions(options)
    if (only === null) return // RemoveClientCertificate: this session never chose a client certificate.
    await network.clearAuthCache(this.#core, () => this.#login.takeAnswered(only))
  }

  /**
   * The hosts (a comma list in Chromium's --auth-server-allowlist grammar, `*` for all) to
   * which Chromium may send the user's own credentials for NTLM and Negotiate without asking
   * 'login'. As in Electron, the list is the browser's, whichever session sets it; Chromium
   * reads it when a browser process starts, so it reaches the persist: partitions started
   * afterwards, and a running process keeps its own (said once with process.emitWarning).
   * Without a Windows logon or a Kerberos ticket there are no such credentials: 'login' is
   * asked either way (integrated-auth.ts).
   */
  allowNTLMCredentialsForDomains(domains: string): void {
    integratedAuth.allowNtlmCredentialsForDomains(this.#core, domains)
  }

  // ---- pages -----------------------------------------------------------------------

  /** Opens a new page (about:blank) in this session. */
  createWebContents(): Promise<WebContents> {
    return this.#core.createWebContents('session.createWebContents')
  }

  /** Live pages of this session (configured and running), oldest first. */
  getAllWebContents(): WebContents[] {
    return this.#core.getAllWebContents()
  }

  // ---- proxy and host resolver (network.ts, the session gateway) ---------------------

  /** Routes new requests of every live and future page; resolves once in effect. */
  setProxy(config: network.ProxyConfig): Promise<void>
  setProxy(config: network.ProxyConfig, callback: Done): void
  setProxy(config: network.ProxyConfig, callback?: Done): Promise<void> | void {
    return this.#withCallback('session.setProxy', network.setProxy(this.#core, config), callback)
  }

  /** The proxy Chromium would use for `url`, e.g. `PROXY a:80;DIRECT`. */
  resolveProxy(url: string): Promise<string>
  resolveProxy(url: string, callback: (proxy: string) => void): void
  resolveProxy(url: string, callback?: (proxy: string) => void): Promise<string> | void {
    return this.#withCallback('session.resolveProxy', network.resolveProxy(this.#core, url), callback)
  }

  /** Fetches the PAC script again and forgets proxies marked bad. */
  forceReloadProxyConfig(): Promise<void> {
    return network.forceReloadProxyConfig(this.#core)
  }

  clearHostResolverCache(): Promise<void>
  clearHostResolverCache(callback: Done): void
  clearHostResolverCache(callback?: Done): Promise<void> | void {
    return this.#withCallback('session.clearHostResolverCache', network.clearHostResolverCache(this.#core), callback)
  }

  resolveHost(host: string, options?: network.ResolveHostOptions): Promise<network.ResolvedHost> {
    return network.resolveHost(this.#core, host, options)
  }

  /** Ends every connection of the session (pages reconnect for their next request). */
  closeAllConnections(): Promise<void> {
    return network.closeAllConnections(this.#core)
  }

  // ---- user agent (user-agent.ts) -----------------------------------------------------

  /**
   * Pages created from now on (and their frames and workers) report `userAgent` and, when
   * given, `acceptLanguages` ('en-US,fr' → `Accept-Language: en-US,fr;q=0.9`). Pages already
   * open keep theirs, as in Electron.
   */
  setUserAgent(userAgent: string, acceptLanguages?: string): void {
    this.#userAgent.set(userAgent, acceptLanguages)
  }

  getUserAgent(): string {
    return this.#userAgent.get()
  }

  // ---- network emulation (emulation.ts) -------------------------------------------------

  /** Emulates network conditions for every page, frame and worker of the session, present and future. */
  enableNetworkEmulation(options: NetworkEmulationOptions): Promise<void> {
    return this.#emulation.enable(options)
  }

  disableNetworkEmulation(): Promise<void> {
    return this.#emulation.disable()
  }

  // ---- preloads (preloads.ts) -----------------------------------------------------------

  /**
   * Scripts (absolute paths) that run in every frame of every new document of the session
   * before the page's own scripts, in the page's main world. Editing a file on disk applies
   * to the next document ('preloads-updated' tells when).
   */
  setPreloads(paths: string[]): void {
    this.#preloads.set(paths)
  }

  getPreloads(): string[] {
    return this.#preloads.get()
  }

  /**
   * Newer Electron: a 'frame' script runs in every frame of the session's next documents, a
   * 'service-worker' script in every service worker it starts, before their own scripts; returns
   * the script's id (`script.id`, or a random UUID).
   */
  registerPreloadScript(script: PreloadScriptRegistration): string {
    return this.#preloads.register(script)
  }

  unregisterPreloadScript(id: string): void {
    this.#preloads.unregister(id)
  }

  getPreloadScripts(): PreloadScript[] {
    return this.#preloads.list()
  }

  // ---- fetch (session-fetch.ts) -------------------------------------------------------------

  /**
   * A request made as this session (its cookies, user agent and languages, proxy route), as
   * newer Electron's `ses.fetch`: resolves with a standard Response; the response's cookies are
   * stored in the session; no CORS. Sent by Node, not by Chromium: webRequest hooks and protocol
   * handlers do not see it (docs/feature-matrix.md).
   */
  fetch(input: string | URL | Request, init?: SessionFetchInit): Promise<Response> {
    return sessionFetch(this.#core, () => ({ userAgent: this.#userAgent.get(), acceptLanguages: this.#userAgent.acceptLanguages }), input, init)
  }

  // ---- downloads (downloads/) -------------------------------------------------------------

  /** The folder downloads go to when the will-download handler sets no save path. */
  setDownloadPath(path: string): void {
    this.#core.assertOpen('session.setDownloadPath')
    this.#downloads.setDownloadPath(path)
  }

  /** Emits will-download with an interrupted DownloadItem that resume() continues from `offset`. */
  createInterruptedDownload(options: CreateInterruptedDownloadOptions): void {
    this.#core.assertOpen('session.createInterruptedDownload')
    this.#downloads.createInterruptedDownload(options)
  }

  /** Downloads `url` without a page (will-download's webContents is null). */
  downloadURL(url: string, options?: DownloadURLOptions): void {
    this.#core.assertOpen('session.downloadURL')
    this.#downloads.downloadURL(url, options)
  }

  // ---- permissions (permissions/) ---------------------------------------------------------

  /**
   * `handler(webContents, permission, callback, details)` decides every permission request of
   * the session's pages; `null` restores the default (every request granted, as in Electron).
   * Resolves once every live frame and worker asks the new handler.
   */
  setPermissionRequestHandler(handler: PermissionRequestHandler | null): Promise<void> {
    this.#core.assertOpen('session.setPermissionRequestHandler')
    return this.#permissions.setRequestHandler(handler)
  }

  /** `handler(webContents, permission, requestingOrigin, details) → boolean` answers permission checks; `null`: every check true. */
  setPermissionCheckHandler(handler: PermissionCheckHandler | null): Promise<void> {
    this.#core.assertOpen('session.setPermissionCheckHandler')
    return this.#permissions.setCheckHandler(handler)
  }

  /**
   * `handler(request, callback)` answers each getDisplayMedia() of the session's frames:
   * `callback(null)` fails it (AbortError), `callback({ video })` lets Chromium capture (a
   * headless Chromium has a source only with its fake capture switches; feature matrix).
   * Without a handler getDisplayMedia rejects with NotSupportedError, as in Electron (once any
   * permission or display handler has been set in the session).
   */
  setDisplayMediaRequestHandler(handler: DisplayMediaRequestHandler | null, opts?: { useSystemPicker?: boolean }): Promise<void> {
    this.#core.assertOpen('session.setDisplayMediaRequestHandler')
    return this.#permissions.setDisplayMediaRequestHandler(handler, opts)
  }

  // ---- certificates (certificates.ts, the session gateway) -------------------------------

  /**
   * `proc(request, callback)` decides every TLS connection of the session, valid certificates
   * included: `callback(0)` accepts, `callback(-2)` rejects, `callback(-3)` keeps Chromium's
   * verdict; `null` restores Chromium's own checks. Throws ValidationError at once for anything
   * else; resolves once new connections ask the proc (connections already open are closed).
   * A proc that throws, or has not called back after 10 s, rejects that connection.
   */
  setCertificateVerifyProc(proc: CertificateVerifyProc | null): Promise<void> {
    return this.#certificates.set(proc)
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /**
   * (ours) Disposes an in-memory session (its context, pages and data) or stops a persistent
   * one (its data stays on disk). Idempotent.
   */
  close(): Promise<void> {
    return this.#core.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** The promise itself, or (a callback given: the seed's deprecated form) nothing, and the callback called with its outcome. */
  #withCallback<T>(api: string, promise: Promise<T>, callback: ((result: T) => void) | undefined): Promise<T> | void {
    if (typeof callback !== 'function') return promise
    settleCallback(api, promise, callback)
  }
}
