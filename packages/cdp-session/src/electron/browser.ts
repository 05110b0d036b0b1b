import { isIP } from 'node:net'
import { isAbsolute, join, resolve } from 'node:path'
import { z } from 'zod'
import { LaunchError, NotSupportedError, SessionClosedError, ValidationError } from '../common/errors.js'
import { ElectronEvent, TypedEmitter } from '../common/event.js'
import { quote, warnIgnoredInput } from '../common/input-policy.js'
import { switchValue, withSwitch } from '../common/switches.js'
import { detach } from '../common/util.js'
import { validateArg } from '../common/validate.js'
import { BrowserProcess } from '../cdp/browser-process.js'
import type { ChromiumLaunchOptions } from '../cdp/launcher.js'
import { hostResolverRulesFlag, parseHostResolverRules, withHostRules } from '../net/host-rules.js'
import { interceptionSpkiHash } from '../net/interception-ca.js'
import { systemLookup, type LookupFn } from '../net/resolver.js'
import { SessionProxy } from '../net/session-proxy.js'
import type { SessionHost } from './core/session-core.js'
import type { SessionBinding } from './core/types.js'
import { coreOf, Session } from './session.js'
import type { WebContents } from './web-contents.js'

export interface GatewayOptions {
  /**
   * false: sessions get no gateway (their traffic goes straight out as Chromium's own; setProxy
   * and the resolver methods then throw NotSupportedError). Default true.
   */
  gateway?: boolean
  /**
   * How the session gateways resolve host names (default: the system resolver). The browser's
   * own `--host-resolver-rules` are applied first either way.
   */
  hostResolver?: LookupFn
}

export type LaunchOptions = ChromiumLaunchOptions & GatewayOptions

export interface ConnectOptions {
  /** e.g. `http://127.0.0.1:9222` — the `/json/version` endpoint gives the WebSocket URL. */
  browserURL?: string
  browserWSEndpoint?: string
  /**
   * For a browser on another host: an IP address of this machine that the browser can reach.
   * The session gateways listen there (one address, never a wildcard) and the browser's
   * contexts use them as their proxy; each accepts only its own session's random credentials.
   * Without it, the sessions of a browser that is not on this machine's loopback get no
   * gateway (setProxy and the resolver methods throw NotSupportedError). docs/interop.md.
   */
  gatewayHost?: string
}

export interface PartitionOptions {
  /** false: the HTTP cache is off for every page of the session. Default true. */
  cache?: boolean
  /** false: this session's traffic does not go through its own gateway (no setProxy). Default: the browser's choice. */
  gateway?: boolean
}

export interface BrowserEvents {
  'web-contents-created': [event: ElectronEvent<Browser>, webContents: WebContents]
  /** The main browser process exited or the connection closed. */
  disconnected: []
}

const partitionSchema = z.string()
const partitionOptionsSchema = z.strictObject({ cache: z.boolean().optional(), gateway: z.boolean().optional() }).optional()
const PARTITION_OPTIONS = '{ cache?: boolean, gateway?: boolean }'
const gatewayOptionsSchema = z.strictObject({
  gateway: z.boolean().optional(),
  hostResolver: z.custom<LookupFn>((value) => typeof value === 'function').optional(),
})

/** Flags with which the user picked the default context's proxy themselves. */
const PROXY_FLAGS = ['--proxy-server', '--proxy-pac-url', '--no-proxy-server', '--proxy-auto-detect']

function hasOwnProxyFlags(args: readonly string[] | undefined): boolean {
  return (args ?? []).some((arg) => PROXY_FLAGS.includes(arg.split('=')[0] ?? ''))
}

/** Where the session gateways of one browser get their settings. */
interface GatewaySettings {
  enabled: boolean
  lookup: LookupFn
  /** The address gateways listen on (default 127.0.0.1). */
  host?: string
  /** Why sessions get no gateway when `enabled` is false. */
  off?: string
  /** What the browser's certificate checks allow (see SessionProxyOptions.certificates). */
  certificates?: { interceptionTrusted: boolean; ignoreErrorsSpki: readonly string[] }
}

const SPKI_SWITCH = 'ignore-certificate-errors-spki-list'

/** The caller's --ignore-certificate-errors-spki-list hashes (Chromium takes the last flag). */
function ignoredSpki(args: readonly string[]): string[] {
  return (switchValue(args, SPKI_SWITCH) ?? '').split(',').map((hash) => hash.trim()).filter((hash) => hash !== '')
}

/**
 * `args` with the interception key's SPKI added to --ignore-certificate-errors-spki-list
 * (kept with the caller's own hashes in one flag), so the browser trusts the certificates a
 * session gateway shows for connections a certificate verify proc accepted, and nothing else.
 * Chromium reads the flag only with --user-data-dir, which the launcher always passes.
 */
function withInterceptionKey(args: readonly string[]): string[] {
  return withSwitch(args, SPKI_SWITCH, [...ignoredSpki(args), interceptionSpkiHash()].join(','))
}
const gatewayHostSchema = z.string().refine((host) => isIP(host) !== 0 && host !== '0.0.0.0' && host !== '::', 'not a specific IP address')
const connectSchema = z
  .strictObject({ browserURL: z.url().optional(), browserWSEndpoint: z.url().optional(), gatewayHost: z.unknown().optional() })
  .refine((o) => (o.browserURL === undefined) !== (o.browserWSEndpoint === undefined), 'exactly one of browserURL or browserWSEndpoint')

const liveBrowsers = new Set<Browser>()

/**
 * Electron's `session` module: sessions by partition string, memoised.
 * `''` → the default session; `persist:NAME` → on disk (its own browser
 * process under `<userDataDir>/Partitions/NAME`); anything else → in memory.
 */
export class SessionModule {
  readonly #browser: Browser
  readonly #sessions = new Map<string, Session>()

  /** @internal */
  constructor(browser: Browser) {
    this.#browser = browser
  }

  get defaultSession(): Session {
    return this.fromPartition('')
  }

  fromPartition(partition: string, options?: PartitionOptions): Session {
    const api = 'session.fromPartition'
    validateArg(api, 'partition', partitionSchema, partition, "a string ('' for the default session, 'persist:NAME' for one on disk, any other for one in memory)")
    const parsed = validateArg(api, 'options', partitionOptionsSchema, options, PARTITION_OPTIONS)
    const existing = this.#sessions.get(partition)
    if (existing && !existing.closed) return existing
    const session = this.#browser.createSession(partition, undefined, parsed?.cache ?? true, parsed?.gateway)
    this.#sessions.set(partition, session)
    return session
  }

  /** A persistent session whose data lives in the absolute directory `path`. */
  fromPath(path: string, options?: PartitionOptions): Session {
    const api = 'session.fromPath'
    validateArg(api, 'path', z.string().refine(isAbsolute, 'not absolute'), path, 'an absolute directory path')
    const parsed = validateArg(api, 'options', partitionOptionsSchema, options, PARTITION_OPTIONS)
    const key = `path:${resolve(path)}`
    const existing = this.#sessions.get(key)
    if (existing && !existing.closed) return existing
    const session = this.#browser.createSession(key, resolve(path), parsed?.cache ?? true, parsed?.gateway)
    this.#sessions.set(key, session)
    return session
  }

  /** @internal */
  all(): Session[] {
    return [...this.#sessions.values()]
  }
}

/**
 * A Chromium browser driven over CDP: the root of everything. `launch()` owns
 * the process; `connect()` attaches to one the user started and never kills it.
 */
export class Browser extends TypedEmitter<BrowserEvents> {
  readonly session: SessionModule
  readonly webContents = {
    fromId: (id: number): WebContents | undefined => this.#webContents.get(id),
    getAllWebContents: (): WebContents[] => [...this.#webContents.values()],
  }
  readonly #main: BrowserProcess
  readonly #launchOptions: LaunchOptions | undefined
  readonly #webContents = new Map<number, WebContents>()
  readonly #partitionProcesses = new Set<BrowserProcess>()
  readonly #gateways: GatewaySettings
  /** The default session's gateway (given to Chromium with --proxy-server at launch). */
  readonly #defaultProxy: SessionProxy | undefined
  /** The other sessions' gateways still open: they end with the browser (their listening sockets would keep Node running). */
  readonly #sessionProxies = new Set<SessionProxy>()
  /** Settles once every gateway was closed after the main browser went away. */
  #gatewaysClosed: Promise<unknown> = Promise.resolve()
  #nextWebContentsId = 1
  #closing: Promise<void> | undefined
  /** The last allowNTLMCredentialsForDomains list (browser-wide, as Electron's network service). */
  #authServerAllowlist: string | undefined
  /** The --auth-server-allowlist each running process was started with (null: unknown, a connect()ed browser). */
  readonly #processAllowlists = new Map<BrowserProcess, string | undefined | null>()

  private constructor(main: BrowserProcess, launchOptions: ChromiumLaunchOptions | undefined, gateways: GatewaySettings, defaultProxy: SessionProxy | undefined) {
    super()
    this.#main = main
    this.#launchOptions = launchOptions
    this.#gateways = gateways
    this.#defaultProxy = defaultProxy
    this.session = new SessionModule(this)
    this.#processAllowlists.set(main, launchOptions ? switchValue(launchOptions.args, AUTH_SERVER_ALLOWLIST) : null)
    liveBrowsers.add(this)
    main.whenClosed(() => this.#onMainGone())
  }

  /** @internal */
  static async create(main: BrowserProcess, launchOptions: ChromiumLaunchOptions | undefined, gateways: GatewaySettings, defaultProxy: SessionProxy | undefined): Promise<Browser> {
    const browser = new Browser(main, launchOptions, gateways, defaultProxy)
    // The default context's owner must exist before auto-attach reports the
    // pages already open in it.
    browser.session.fromPartition('')
    const started = main.start()
    // A browser we launched without a window has no target to report yet, and every command we
    // send later (createTarget first) reaches Chromium after setAutoAttach: launch() need not
    // wait for its answer (a failure is logged; the browser is gone then anyway). A connected
    // browser, or one opened on a URL, reports its pages before that answer: wait.
    if (main.launched?.args.includes('--no-startup-window')) detach(started, 'Target.setAutoAttach')
    else await started
    return browser
  }

  get connected(): boolean {
    return !this.#main.closed
  }

  /** The browser's own user agent (what getUserAgent() returns without an override). */
  get userAgent(): string {
    return this.#main.userAgent
  }

  get version(): string {
    return this.#main.product
  }

  /**
   * The browser's `ws://` DevTools endpoint: the one `connect()` used, or a launched browser's
   * when `launch({ remoteDebuggingPort })` was given (a pipe-only launch has none: undefined).
   * Hand it to Puppeteer (`puppeteer.connect({ browserWSEndpoint })`) or Playwright
   * (`chromium.connectOverCDP(endpoint)`) to drive the same browser (docs/interop.md).
   */
  get wsEndpoint(): string | undefined {
    return this.#main.wsEndpoint
  }

  /** The launched browser's process id (undefined when connected). */
  get pid(): number | undefined {
    return this.#main.launched?.pid
  }

  /** Opens a page in a session (default: the default session). */
  createWebContents(options: { session?: Session; partition?: string } = {}): Promise<WebContents> {
    const api = 'browser.createWebContents'
    if (options.session !== undefined && !(options.session instanceof Session)) {
      return Promise.reject(new ValidationError(api, 'options.session', options.session, 'a Session of this browser'))
    }
    if (options.session && options.partition !== undefined) {
      return Promise.reject(new ValidationError(api, 'options', options, 'either session or partition, not both'))
    }
    // A Promise-returning API never throws synchronously: once the browser is
    // gone, fromPartition() would throw (it re-creates the closed default session).
    if (this.#main.closed) return Promise.reject(this.#main.connection.closedError(api))
    let session: Session
    try {
      session = options.session ?? this.session.fromPartition(options.partition ?? '')
    } catch (error) {
      return Promise.reject(error)
    }
    return session.createWebContents()
  }

  /**
   * Closes every session's browser process that we launched (waiting for
   * Chromium to save its data) or disconnects from a connected one. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#partitionProcesses].map((p) => p.close()))
    await this.#main.close()
    this.#onMainGone()
    await this.#gatewaysClosed
  }

  #onMainGone(): void {
    if (!liveBrowsers.delete(this)) return
    for (const session of this.session.all()) coreOf(session).markBrowserGone((api) => this.#main.connection.closedError(api))
    for (const process of this.#partitionProcesses) detach(process.close(), 'close partition browser')
    this.#webContents.clear()
    const closing = [this.#defaultProxy?.close(), ...[...this.#sessionProxies].map((proxy) => this.#closeProxy(proxy))]
    for (const done of closing) if (done) detach(done, 'close session gateway')
    this.#gatewaysClosed = Promise.allSettled(closing)
    this.emit('disconnected')
  }

  /** What every Session of this browser reports its pages to (kept off the public API). */
  readonly #host: SessionHost<WebContents> = {
    allocateWebContentsId: () => this.#nextWebContentsId++,
    webContentsCreated: (webContents) => {
      this.#webContents.set(webContents.id, webContents)
      this.emit('web-contents-created', new ElectronEvent(this), webContents)
    },
    webContentsDestroyed: (webContents) => {
      this.#webContents.delete(webContents.id)
    },
    setAuthServerAllowlist: (api, domains) => this.#setAuthServerAllowlist(api, domains),
  }

  /**
   * Chromium reads --auth-server-allowlist once, at launch: the list reaches the browser
   * processes started from now on (persist: partitions); a running one keeps its own, which
   * is said once per distinct list.
   */
  #setAuthServerAllowlist(api: string, domains: string): void {
    this.#authServerAllowlist = domains
    const stale = [...this.#processAllowlists.values()].filter((started) => started !== domains)
    if (stale.length === 0) return
    const how = stale.includes(null)
      ? 'a connect()ed browser keeps the list it was started with (start Chrome with --auth-server-allowlist)'
      : `Chromium reads it at launch only, so it applies to persist: partitions started from now on; pass launch({ args: ['--auth-server-allowlist=${domains}'] }) for the whole browser`
    warnIgnoredInput(api, `domains ${quote(domains)} for the ${stale.length === 1 ? 'browser process' : `${stale.length} browser processes`} already running`, how)
  }

  /** @internal Builds a Session for a partition key (see SessionModule). */
  createSession(partition: string, path: string | undefined, cache: boolean, gatewayOption?: boolean): Session {
    const defaultUserAgent = this.#main.userAgent
    if (this.#main.closed) throw new SessionClosedError(`session.fromPartition: the browser is closed.`)
    const gateway = gatewayOption ?? this.#gateways.enabled
    if (partition === '') {
      const main = this.#main
      const userDataDir = main.launched?.userDataDir ?? null
      const proxy = this.#defaultProxy
      const binding: SessionBinding = {
        manager: main.targets,
        interceptor: main.interceptor,
        browserContextId: undefined,
        contextId: main.defaultContextId,
        browser: main.connection.browser,
        proxy: proxy ?? this.#defaultProxyGap(),
        dispose: () => Promise.reject(new NotSupportedError('the default session cannot be closed')),
      }
      const session = new Session(
        this.#host,
        { partition, persistent: true, storagePath: userDataDir, cache, defaultUserAgent, closable: false, gateway: proxy !== undefined },
        Promise.resolve(binding),
      )
      main.setOwner(undefined, coreOf(session))
      return session
    }
    if (path !== undefined && !this.#launchOptions) {
      // Same limit as 'persist:' below, reported the same way (not as a LaunchError from a later call).
      throw new NotSupportedError(
        `session.fromPath: a session on disk needs a browser process of its own, which a connect()ed browser cannot start. Use launch(), or an in-memory partition.`,
      )
    }
    const persistentDir = path ?? this.#persistentDir(partition)
    if (persistentDir) {
      const session: Session = new Session(
        this.#host,
        { partition, persistent: true, storagePath: persistentDir, cache, defaultUserAgent, closable: true, gateway },
        this.#launchPartition(persistentDir, gateway, () => session),
      )
      return session
    }
    const session: Session = new Session(
      this.#host,
      { partition, persistent: false, storagePath: null, cache, defaultUserAgent, closable: true, gateway },
      this.#createContext(gateway, () => session),
    )
    return session
  }

  /** Why an in-memory session has no gateway: its own option, or the browser's. */
  #noGatewayReason(): string {
    return this.#gateways.enabled ? 'the session was created with { gateway: false }' : (this.#gateways.off ?? 'the browser was launched with { gateway: false }')
  }

  /** Why the default session has no gateway. */
  #defaultProxyGap(): string {
    if (!this.#launchOptions) return 'the default session of a connect()ed browser keeps the proxy Chromium was started with (CDP cannot change it); use an in-memory partition'
    if (!this.#gateways.enabled) return this.#gateways.off ?? 'the browser was launched with { gateway: false }'
    return 'the browser was launched with its own proxy flags (--proxy-server, --proxy-pac-url, --no-proxy-server or --proxy-auto-detect)'
  }

  async #startProxy(): Promise<SessionProxy> {
    const { lookup, host, certificates } = this.#gateways
    const proxy = await SessionProxy.start({ lookup, ...(host === undefined ? {} : { host }), ...(certificates ? { certificates } : {}) })
    this.#sessionProxies.add(proxy)
    return proxy
  }

  #closeProxy(proxy: SessionProxy | undefined): Promise<void> {
    if (!proxy) return Promise.resolve()
    this.#sessionProxies.delete(proxy)
    return proxy.close()
  }

  #persistentDir(partition: string): string | undefined {
    if (!partition.startsWith('persist:')) return undefined
    const name = partition.slice('persist:'.length)
    if (!name) throw new ValidationError('session.fromPartition', 'partition', partition, "'persist:' followed by a name")
    const launched = this.#main.launched
    if (!launched || !this.#launchOptions) {
      throw new NotSupportedError(
        `session.fromPartition: '${partition}' needs a browser process of its own (Chromium keeps only the default context on disk), which a connect()ed browser cannot start. Use launch(), or an in-memory partition.`,
      )
    }
    return join(launched.userDataDir, 'Partitions', encodeURIComponent(name))
  }

  async #createContext(gateway: boolean, session: () => Session): Promise<SessionBinding> {
    const main = this.#main
    const proxy = gateway ? await this.#startProxy() : undefined
    let browserContextId: string
    try {
      // Loopback goes through the gateway too ('<-loopback>'), so setProxy rules can route it
      // (Chromium otherwise sends 127.0.0.1 and localhost around any proxy). A session without
      // a gateway says 'direct://', or it would inherit the default session's --proxy-server.
      const params = proxy
        ? { proxyServer: `http://${proxy.gateway.proxyServer}`, proxyBypassList: '<-loopback>' }
        : this.#defaultProxy
          ? { proxyServer: 'direct://' }
          : {}
      browserContextId = await main.targets.createBrowserContext(params)
    } catch (error) {
      await this.#closeProxy(proxy)
      throw error
    }
    main.setOwner(browserContextId, coreOf(session()))
    return {
      manager: main.targets,
      interceptor: main.interceptor,
      browserContextId,
      contextId: browserContextId,
      browser: main.connection.browser,
      proxy: proxy ?? (gateway ? 'no gateway could be started' : this.#noGatewayReason()),
      dispose: async () => {
        try {
          await main.targets.disposeBrowserContext(browserContextId)
        } finally {
          main.deleteOwner(browserContextId)
          await this.#closeProxy(proxy)
        }
      },
    }
  }

  async #launchPartition(userDataDir: string, gateway: boolean, session: () => Session): Promise<SessionBinding> {
    const options = this.#launchOptions
    if (!options) throw new LaunchError('a persistent partition needs launch options')
    const { remoteDebuggingPort: _port, ...rest } = options
    const proxy = gateway && !hasOwnProxyFlags(rest.args) ? await this.#startProxy() : undefined
    const allowlist = this.#authServerAllowlist
    const args = allowlist === undefined ? [...(rest.args ?? [])] : withSwitch(rest.args ?? [], AUTH_SERVER_ALLOWLIST, allowlist)
    let process: BrowserProcess
    try {
      process = await BrowserProcess.launch({ ...rest, userDataDir, args: proxy ? [...args, ...gatewayFlags(proxy)] : args })
    } catch (error) {
      await this.#closeProxy(proxy)
      throw error
    }
    this.#partitionProcesses.add(process)
    this.#processAllowlists.set(process, switchValue(args, AUTH_SERVER_ALLOWLIST))
    process.setOwner(undefined, coreOf(session()))
    await process.start()
    return {
      manager: process.targets,
      interceptor: process.interceptor,
      browserContextId: undefined,
      contextId: process.defaultContextId,
      browser: process.connection.browser,
      proxy: proxy ?? (gateway ? 'the browser was launched with its own proxy flags, which its persistent partitions share' : 'the session was created with { gateway: false }'),
      dispose: async () => {
        this.#partitionProcesses.delete(process)
        this.#processAllowlists.delete(process)
        try {
          await process.close()
        } finally {
          await this.#closeProxy(proxy)
        }
      },
    }
  }
}

const AUTH_SERVER_ALLOWLIST = 'auth-server-allowlist'

/** The flags that point a launched browser's default context at its session gateway. */
function gatewayFlags(proxy: SessionProxy): string[] {
  return [`--proxy-server=http://${proxy.gateway.proxyServer}`, '--proxy-bypass-list=<-loopback>']
}

/**
 * Launches an installed Chrome/Chromium (headless by default) and owns its process. Every
 * session gets its own gateway (see GatewayOptions); the default session's is given to
 * Chromium with --proxy-server, unless the caller passed proxy flags of their own.
 */
export async function launch(options: LaunchOptions = {}): Promise<Browser> {
  const { gateway, hostResolver, ...given } = options
  validateArg('launch', 'options', gatewayOptionsSchema, { gateway, hostResolver }, '{ gateway?: boolean, hostResolver?: (hostname) => Promise<string[]> }')
  const rulesFlag = hostResolverRulesFlag(given.args ?? [])
  const rules = parseHostResolverRules(rulesFlag ?? '')
  const enabled = gateway ?? true
  // Every process of this browser (partitions too) gets the interception key's flag.
  const chromium = enabled ? { ...given, args: withInterceptionKey(given.args ?? []) } : given
  const certificates = { interceptionTrusted: enabled, ignoreErrorsSpki: ignoredSpki(given.args ?? []) }
  const settings: GatewaySettings = { enabled, lookup: withHostRules(rules, hostResolver ?? systemLookup), certificates }
  const defaultProxy = settings.enabled && !hasOwnProxyFlags(chromium.args) ? await SessionProxy.start({ lookup: settings.lookup, certificates }) : undefined
  let main: BrowserProcess
  try {
    main = await BrowserProcess.launch(defaultProxy ? { ...chromium, args: [...(chromium.args ?? []), ...gatewayFlags(defaultProxy)] } : chromium)
  } catch (error) {
    await defaultProxy?.close()
    throw error
  }
  try {
    return await Browser.create(main, chromium, settings, defaultProxy)
  } catch (error) {
    await main.close()
    await defaultProxy?.close()
    throw error
  }
}

/** Attaches to a Chrome started with `--remote-debugging-port`; never kills it. */
export async function connect(options: ConnectOptions): Promise<Browser> {
  const parsed = validateArg('connect', 'options', connectSchema, options, '{ browserURL } or { browserWSEndpoint }, and an optional gatewayHost')
  const gatewayHost =
    parsed.gatewayHost === undefined ? undefined : validateArg('connect', 'options.gatewayHost', gatewayHostSchema, parsed.gatewayHost, 'an IP address of this machine that the browser can reach (one address, not 0.0.0.0 or ::)')
  let browserWSEndpoint = parsed.browserWSEndpoint
  if (!browserWSEndpoint) {
    const versionUrl = new URL('/json/version', parsed.browserURL)
    let response: Response
    try {
      response = await fetch(versionUrl)
    } catch (error) {
      throw new LaunchError(`connect: cannot reach ${versionUrl.href}: ${(error as Error).message}. Is Chrome running with --remote-debugging-port?`, { cause: error })
    }
    const body = (await response.json()) as { webSocketDebuggerUrl?: string }
    if (!body.webSocketDebuggerUrl) throw new LaunchError(`connect: ${versionUrl.href} did not name a webSocketDebuggerUrl.`)
    browserWSEndpoint = body.webSocketDebuggerUrl
  }
  const main = await BrowserProcess.connect({ browserWSEndpoint })
  try {
    // By default a gateway listens on this machine's loopback only, which a browser elsewhere
    // cannot reach; `gatewayHost` names an address it can.
    const local = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(browserWSEndpoint).hostname)
    const settings: GatewaySettings =
      gatewayHost !== undefined
        ? { enabled: true, lookup: systemLookup, host: gatewayHost }
        : local
          ? { enabled: true, lookup: systemLookup }
          : { enabled: false, lookup: systemLookup, off: `the browser at ${new URL(browserWSEndpoint).host} is not on this machine's loopback, where gateways listen by default; pass connect({ gatewayHost }) with an address of this machine that the browser can reach` }
    return await Browser.create(main, undefined, settings, undefined)
  } catch (error) {
    await main.close()
    throw error
  }
}

/** Electron's `webContents` module, across every live browser of this Node process. */
export const webContents = {
  fromId(id: number): WebContents | undefined {
    for (const browser of liveBrowsers) {
      const found = browser.webContents.fromId(id)
      if (found) return found
    }
    return undefined
  },
  getAllWebContents(): WebContents[] {
    return [...liveBrowsers].flatMap((b) => b.webContents.getAllWebContents())
  },
}
