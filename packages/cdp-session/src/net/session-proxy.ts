// One session's network egress: its gateway plus the live proxy configuration that routes it.
// `setProxy()` swaps the configuration and the gateway's next request uses it; Chromium keeps
// pointing at the same gateway, so live pages switch at once. PAC scripts are fetched here and
// run in the QuickJS sandbox (pac.ts) with the gateway's resolver, so `dnsResolve()` in a
// script and DIRECT connections share one cache (`clearHostResolverCache()` empties both).
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { NotSupportedError } from '../common/errors.js'
import { warnIgnoredInput } from '../common/input-policy.js'
import { debug } from '../common/util.js'
import { SessionGateway, type GatewayEvent } from './gateway.js'
import { compilePac, loadPacScript, PacError, sanitizePacUrl, type CompiledPac } from './pac.js'
import { describeDelays, PacPoller } from './pac-poller.js'
import { UpstreamError } from './upstream.js'
import { certificateTunnelHook, type CertificateVerifier } from './tls-intercept.js'
import { parseBypassRules } from './bypass-rules.js'
import { decideProxy, parseProxyConfig, parseProxyRules, type ProxyConfig } from './proxy-config.js'
import { DIRECT, parsePacResult, toPacString, type ProxyServer } from './proxy-server.js'
import type { LookupFn, ResolvedHost } from './resolver.js'

function describeUrl(url: string): string {
  return url.startsWith('data:') ? `(a data: URL of ${url.length} characters)` : `'${url}'`
}

export interface SessionProxyOptions {
  lookup?: LookupFn
  /** The address the gateway listens on (default 127.0.0.1; see GatewayOptions.host). */
  host?: string
  /** Environment for `mode: 'system'` (http_proxy, https_proxy, all_proxy, no_proxy). */
  env?: NodeJS.ProcessEnv
  /**
   * Whether the browser behind this gateway trusts this process's interception key
   * (launched with its SPKI in --ignore-certificate-errors-spki-list), and the other SPKI
   * hashes that flag lists. Without it, no certificate verify proc can be set.
   */
  certificates?: { interceptionTrusted: boolean; ignoreErrorsSpki: readonly string[] }
}

/** How long a failed request's error is remembered for the page that asked (loadURL). */
const FAILURE_MEMORY_MS = 30_000
const MAX_FAILURES = 256

/**
 * The Chromium net error a browser without the gateway would have reported for a failed
 * request (the gateway answers it with a 502 page or a refused CONNECT instead).
 */
export function netErrorForFailure(code: string, viaProxy: boolean): string {
  // Already a net error name (a tunnel a certificate verify proc refused).
  if (code.startsWith('ERR_')) return code
  if (code === PAC_FAILED_CODE) return 'ERR_MANDATORY_PROXY_CONFIGURATION_FAILED'
  if (code === 'ENOROUTE') return 'ERR_NO_SUPPORTED_PROXIES'
  if (viaProxy) {
    if (code === 'ETUNNEL') return 'ERR_TUNNEL_CONNECTION_FAILED'
    if (code === 'ESOCKS') return 'ERR_SOCKS_CONNECTION_FAILED'
    return 'ERR_PROXY_CONNECTION_FAILED'
  }
  switch (code) {
    case 'ECONNREFUSED':
      return 'ERR_CONNECTION_REFUSED'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'ERR_NAME_NOT_RESOLVED'
    case 'ETIMEDOUT':
      return 'ERR_CONNECTION_TIMED_OUT'
    case 'ECONNRESET':
      return 'ERR_CONNECTION_RESET'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'ERR_ADDRESS_UNREACHABLE'
    default:
      return 'ERR_FAILED'
  }
}

/** The gateway's failure code for a request a failed (mandatory) PAC script cannot route. */
export const PAC_FAILED_CODE = 'EPACFAILED'

interface Active {
  config: ProxyConfig
  /** The compiled script of a pac_script config with a non-empty URL, and its text. */
  pac?: CompiledPac & { source: string }
  /** Why the script of a pac_script config could not be fetched or compiled. */
  pacFailure?: string
  /** Re-fetches the script now and then (Chromium's PacFileDeciderPoller). */
  poller?: PacPoller
}

/**
 * Electron sets every PAC script as mandatory (ProxyConfigDictionary::CreatePacScript(url,
 * true) in Session::SetProxy), so where Chromium would go DIRECT after a PAC failure, an
 * Electron session fails the request with ERR_MANDATORY_PROXY_CONFIGURATION_FAILED.
 */
function pacFailedError(why: string): UpstreamError {
  return new UpstreamError(`the PAC script cannot be used (${why}); Electron's PAC is mandatory, so the request fails`, false, PAC_FAILED_CODE)
}

/**
 * The gateway and the routing state of one session. Starts DIRECT (with Chromium's implicit
 * bypass of loopback, which only matters once a proxy is set).
 */
export class SessionProxy {
  readonly gateway: SessionGateway
  readonly #env: NodeJS.ProcessEnv
  readonly #listeners = new Set<(event: GatewayEvent) => void>()
  /** Recent failures by URL (a CONNECT's as `https://host:port/`), oldest first. */
  readonly #failures = new Map<string, { error: string; at: number }>()
  /** Requests in flight for a URL that has a failure on record, by gateway request id. */
  readonly #retrying = new Map<number, string>()
  #active: Active = { config: { mode: 'direct' } }
  #generation = 0
  readonly #certificates: { interceptionTrusted: boolean; ignoreErrorsSpki: ReadonlySet<string> }

  private constructor(gateway: SessionGateway, env: NodeJS.ProcessEnv, certificates: SessionProxyOptions['certificates']) {
    this.gateway = gateway
    this.#env = env
    this.#certificates = { interceptionTrusted: certificates?.interceptionTrusted ?? false, ignoreErrorsSpki: new Set(certificates?.ignoreErrorsSpki ?? []) }
  }

  /** Why no certificate verify proc can be set for this gateway's browser, or undefined. */
  get certificateVerifyGap(): string | undefined {
    return this.#certificates.interceptionTrusted
      ? undefined
      : "the browser was not launched by this process, so it does not trust the session gateway's certificates (a launched browser gets --ignore-certificate-errors-spki-list with the gateway's key)"
  }

  /**
   * Has `verifier` decide the certificate of every new TLS tunnel (tls-intercept.ts); null
   * restores plain tunnels, where Chromium's own verdict stands.
   */
  setCertificateVerifier(verifier: CertificateVerifier | null): void {
    this.gateway.setTunnelHook(
      verifier === null
        ? null
        : certificateTunnelHook(verifier, { ignoreErrorsSpki: this.#certificates.ignoreErrorsSpki, handshakeTimeoutMs: 10_000 }),
    )
  }

  static async start(options: SessionProxyOptions = {}): Promise<SessionProxy> {
    // The gateway needs its route and event sink before the SessionProxy that provides them exists.
    const holder: { proxy?: SessionProxy } = {}
    const gateway = await SessionGateway.start({
      route: (url) => (holder.proxy ? holder.proxy.route(url) : [DIRECT]),
      ...(options.lookup ? { lookup: options.lookup } : {}),
      ...(options.host ? { host: options.host } : {}),
      // Chromium without a proxy reports an unreachable host as a network error (a page's
      // fetch() rejects); a 502 page would be a response. loadURL learns the exact error from
      // the failure event (failure()).
      failureAnswer: 'network-error',
      onEvent: (event) => holder.proxy?.emit(event),
    })
    // No 'login' listener yet: an origin's 401 is the page (see setServerChallengesAnswered).
    gateway.setServerChallengesAnswered(false)
    holder.proxy = new SessionProxy(gateway, options.env ?? process.env, options.certificates)
    return holder.proxy
  }

  private emit(event: GatewayEvent): void {
    if (event.type === 'failed') this.#rememberFailure(event.url, netErrorForFailure(event.code, event.viaProxy))
    this.#forgetFailureOnSuccess(event)
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch (error: unknown) {
        debug('gateway event listener threw: %s', error instanceof Error ? error.message : String(error))
      }
    }
  }

  /** A URL that connected again has no failure to report any more (its record would be stale). */
  #forgetFailureOnSuccess(event: GatewayEvent): void {
    if (event.type === 'request') {
      if (!this.#failures.has(event.url)) return
      if (this.#retrying.size >= MAX_FAILURES) this.#retrying.clear()
      this.#retrying.set(event.id, event.url)
    } else if (event.type === 'connected') {
      const url = this.#retrying.get(event.id)
      if (url !== undefined) this.#failures.delete(url)
      this.#retrying.delete(event.id)
    } else if (event.type === 'closed' || event.type === 'failed') {
      this.#retrying.delete(event.id)
    }
  }

  #rememberFailure(url: string, error: string): void {
    this.#failures.delete(url)
    this.#failures.set(url, { error, at: Date.now() })
    while (this.#failures.size > MAX_FAILURES) {
      const oldest = this.#failures.keys().next().value
      if (oldest === undefined) break
      this.#failures.delete(oldest)
    }
  }

  /**
   * The net error (e.g. `ERR_CONNECTION_REFUSED`) of a recent request for `url` that the
   * gateway could not route, once: a navigation asks right after its response came.
   */
  failure(url: string): string | undefined {
    const href = URL.canParse(url) ? new URL(url).href : url
    const key = this.#failures.has(href) ? href : tunnelKey(href)
    const found = key === undefined ? undefined : this.#failures.get(key)
    if (!found || key === undefined) return undefined
    return Date.now() - found.at <= FAILURE_MEMORY_MS ? found.error : undefined
  }

  /** Subscribes to the gateway's connection events; returns the unsubscribe function. */
  onEvent(listener: (event: GatewayEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Validates and applies a setProxy config; a PAC script is fetched and compiled first. A
   * script that cannot be fetched or compiled does not make this reject (Electron resolves
   * too): requests fail with ERR_MANDATORY_PROXY_CONFIGURATION_FAILED and the script is
   * fetched again later (pac-poller.ts), or at once by forceReloadProxyConfig().
   */
  async setProxy(input: unknown, api = 'ses.setProxy'): Promise<void> {
    const config = parseProxyConfig(input, api)
    if (config.mode === 'auto_detect') {
      throw new NotSupportedError(
        `${api}: mode 'auto_detect' needs WPAD discovery (DHCP/DNS 'wpad' lookups), which the session gateway does not do. Give the PAC script's URL as pacScript instead.`,
      )
    }
    const generation = ++this.#generation
    const next = config.mode === 'pac_script' && config.pacScript !== '' ? await this.#decide(config, api) : { config }
    if (generation !== this.#generation) {
      // A later setProxy() call won meanwhile.
      next.pac?.dispose()
      return
    }
    this.#install(next)
  }

  /** Fetches the current PAC script again (`forceReloadProxyConfig()`); forgets bad proxies. */
  async reload(api = 'ses.forceReloadProxyConfig'): Promise<void> {
    const { config } = this.#active
    if (config.mode === 'pac_script' && config.pacScript !== '') {
      const generation = ++this.#generation
      const next = await this.#decide(config, api)
      if (generation !== this.#generation || this.#active.config !== config) {
        next.pac?.dispose()
        return
      }
      this.#install(next)
    }
    this.gateway.clearBadProxies()
  }

  /** Fetches and compiles a config's PAC script; a failure is a state, not an exception. */
  async #decide(config: ProxyConfig & { mode: 'pac_script' }, api: string): Promise<Active> {
    try {
      return { config, pac: await this.#compile(config.pacScript) }
    } catch (error: unknown) {
      if (!(error instanceof PacError)) throw error
      warnIgnoredInput(
        api,
        `the PAC script ${describeUrl(config.pacScript)} for now`,
        `${error.message}. Electron's PAC scripts are mandatory: requests fail with ERR_MANDATORY_PROXY_CONFIGURATION_FAILED until a later fetch of the script works (retried after ${describeDelays()}, or at once by forceReloadProxyConfig())`,
      )
      return { config, pacFailure: error.message }
    }
  }

  /** Makes `next` the routing state, with a poller for a PAC config. */
  #install(next: Active): void {
    const previous = this.#active
    previous.pac?.dispose()
    previous.poller?.stop()
    if (next.config.mode === 'pac_script' && next.config.pacScript !== '') {
      const config = next.config
      next.poller = new PacPoller({
        failed: next.pacFailure !== undefined,
        lastSource: next.pac?.source,
        lastError: next.pacFailure,
        fetch: () => this.#load(config.pacScript),
        onChange: () => {
          // The script (or its failure) changed: decide again, as Chromium re-initialises.
          if (this.#active !== next) return
          // Not a new generation: a setProxy() or reload the user starts meanwhile must win.
          const generation = this.#generation
          void this.#decide(config, 'ses.setProxy (PAC re-check)').then((decided) => {
            if (generation !== this.#generation || this.#active !== next) {
              decided.pac?.dispose()
              return
            }
            this.#install(decided)
          })
        },
      })
    }
    this.#active = next
    this.gateway.setRoute((url) => this.route(url))
  }

  /** Chromium's answer for `url` in its PAC form (`PROXY a:1;DIRECT`); '' when the request would fail. */
  async resolveProxy(url: URL): Promise<string> {
    try {
      return toPacString(await this.route(url))
    } catch (error: unknown) {
      // Electron's resolveProxy gives '' for a lookup that fails (ResolveProxyHelper).
      if (error instanceof UpstreamError && error.code === PAC_FAILED_CODE) return ''
      throw error
    }
  }

  /**
   * The fail-over list for `url` under the current configuration: at once for fixed rules,
   * a promise when a PAC script has to run (the gateway awaits only then). Throws (code
   * PAC_FAILED_CODE) when a mandatory PAC script cannot decide.
   */
  route(url: URL): ProxyServer[] | Promise<ProxyServer[]> {
    const { config, pac, pacFailure, poller } = this.#active
    if (config.mode === 'system') return this.#systemRoute(url)
    const decision = decideProxy(config, url)
    if (decision.kind === 'list') return [...decision.proxies]
    if (decision.kind !== 'pac') return [DIRECT]
    // A resolution is network activity: a re-check that waits for it may start now.
    poller?.onActivity()
    if (pacFailure !== undefined || !pac) throw pacFailedError(pacFailure ?? 'not loaded')
    return this.#pacRoute(pac, url)
  }

  async #pacRoute(pac: CompiledPac, url: URL): Promise<ProxyServer[]> {
    let result: string
    try {
      result = await pac.findProxy(sanitizePacUrl(url))
    } catch (error: unknown) {
      // A mandatory PAC script that fails for a URL fails the request (DidFinishResolvingProxy).
      const why = error instanceof Error ? error.message : String(error)
      debug('PAC script failed for %s: %s', url.href, why)
      throw pacFailedError(why)
    }
    return parsePacResult(result)
  }

  clearHostResolverCache(): void {
    this.gateway.clearHostResolverCache()
  }

  resolveHost(host: string): Promise<ResolvedHost> {
    return this.gateway.resolveHost(host)
  }

  closeAllConnections(): void {
    this.gateway.closeAllConnections()
  }

  async close(): Promise<void> {
    this.#generation++
    this.#active.pac?.dispose()
    this.#active.poller?.stop()
    await this.gateway.close()
  }

  /** The script's text (file: URLs read from disk, others through loadPacScript); throws PacError. */
  #load(pacScript: string): Promise<string> {
    return pacScript.startsWith('file:') ? readPacFile(pacScript) : loadPacScript(pacScript)
  }

  async #compile(pacScript: string): Promise<CompiledPac & { source: string }> {
    const source = await this.#load(pacScript)
    const compiled = await compilePac(source, { resolver: this.gateway.resolver })
    return Object.assign(compiled, { source })
  }

  /**
   * `mode: 'system'` on Linux without a desktop proxy service: Chromium reads the
   * environment (ProxyConfigServiceLinux, env fallback): all_proxy (SOCKS when its scheme
   * says so), http_proxy, https_proxy, no_proxy.
   */
  #systemRoute(url: URL): ProxyServer[] {
    const env = this.#env
    const get = (name: string): string => env[name] ?? env[name.toUpperCase()] ?? ''
    const parts: string[] = []
    const all = get('all_proxy')
    if (all !== '') parts.push(`socks=${all}`)
    if (get('http_proxy') !== '') parts.push(`http=${stripUserInfo(get('http_proxy'))}`)
    if (get('https_proxy') !== '') parts.push(`https=${stripUserInfo(get('https_proxy'))}`)
    if (parts.length === 0) return [DIRECT]
    const noProxy = get('no_proxy')
    try {
      const rules = parseProxyRules(parts.join(';'), 'ses.setProxy (system)')
      const bypass = parseBypassRules(noProxy.split(',').map((s) => s.trim()).filter(Boolean).join(','), 'ses.setProxy (system)', 'no_proxy')
      const decision = decideProxy({ mode: 'fixed_servers', rules, bypass, proxyRules: parts.join(';'), proxyBypassRules: noProxy }, url)
      return decision.kind === 'list' ? [...decision.proxies] : [DIRECT]
    } catch (error: unknown) {
      debug('system proxy settings from the environment are unusable: %s', error instanceof Error ? error.message : String(error))
      return [DIRECT]
    }
  }
}

/** The URL under which the gateway reports a CONNECT to `url`'s host and port. */
/**
 * The errors Chromium reports for a request the gateway could not carry (its connection closed
 * without an answer, or the tunnel was refused): where one of them is reported and the gateway
 * has the real cause on record (failure()), that cause is the one Chromium would have shown
 * without the gateway.
 */
export const GATEWAY_MASKED_ERRORS: ReadonlySet<string> = new Set(['ERR_EMPTY_RESPONSE', 'ERR_FAILED', 'ERR_TUNNEL_CONNECTION_FAILED'])

function tunnelKey(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined
  const parsed = new URL(url)
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'wss:') return undefined
  return `https://${parsed.host}/`
}

function stripUserInfo(value: string): string {
  return value.replace(/^([a-z0-9]+:\/\/)?[^@/]*@/i, '$1').replace(/\/+$/, '')
}

async function readPacFile(url: string): Promise<string> {
  try {
    return await readFile(fileURLToPath(url), 'utf8')
  } catch (error: unknown) {
    throw new PacError('load', `reading PAC file '${url}' failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}
