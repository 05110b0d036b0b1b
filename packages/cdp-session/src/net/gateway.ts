// The session gateway: a small proxy on 127.0.0.1 that one session's browser context uses as
// its only proxy. It accepts absolute-URI requests (http://, ws:// upgrades) and CONNECT
// tunnels, asks the session's live `route(url)` for an ordered list of choices per request,
// and tries them in order the way Chromium does: a proxy that cannot be reached is skipped
// (and remembered as bad for a while), DIRECT connects through the gateway's caching resolver.
// Only holders of the gateway's random credentials get through; everyone else gets 407.
import { randomBytes } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { debug } from '../common/util.js'
import { CachingResolver, toResolvedHost, type LookupFn, type ResolvedHost } from './resolver.js'
import { ClientConnection, type RequestHead } from './client-connection.js'
import { exchange, replayable, UpstreamPool } from './forward.js'
import { describeChoice, openForRequest, openTunnel, UpstreamError, type Destination, type ProxyChoice } from './upstream.js'

export { describeChoice, type ProxyChoice } from './upstream.js'

/** Decides how a request for `url` leaves the gateway: the choices in the order to try. */
export type RouteFn = (url: URL) => Promise<readonly ProxyChoice[]> | readonly ProxyChoice[]

/**
 * A CONNECT tunnel handed to a tunnel hook (tls-intercept.ts) once it is authorised, before the
 * gateway answers it. The hook settles it with exactly one of splice, answer + relay, or refuse.
 */
export interface HeldTunnel {
  readonly dest: Destination
  readonly client: Socket
  /** Bytes the client sent after the CONNECT head (none from a browser, which waits for the answer). */
  readonly head: Buffer
  /**
   * A new connection to `dest` through the session's route (tried and failed over like any
   * tunnel); undefined when none could be made, the tunnel then refused (refuse()).
   */
  open(): Promise<Socket | undefined>
  /** Answers 200 and relays the client's bytes to `upstream` and back: a plain tunnel. */
  splice(upstream: Socket): void
  /** What the gateway does without a hook: open() a connection and splice() it, or refuse(). */
  pass(): Promise<void>
  /** Answers 200; the hook then speaks to the client itself and hands both ends to relay(). */
  answer(): void
  relay(client: Duplex, upstream: Duplex): void
  /** Refuses the tunnel (502) and reports it failed; `error.code` is the net error to report. */
  refuse(error: unknown): void
}

/**
 * Asked about each authorised forward request before it is routed: a promise holds the request
 * until it settles (the session holds a shared worker's script until the worker's own
 * interception is on); undefined sends it at once. Set with setRequestHold().
 */
export type RequestHold = (head: RequestHead) => Promise<void> | undefined

/** Takes over CONNECT tunnels (a certificate verify proc); null: tunnels are spliced as they come. */
export type TunnelHook = (tunnel: HeldTunnel) => Promise<void>

/** What the gateway reports for netLog-style diagnostics. */
export type GatewayEvent =
  | { type: 'request'; id: number; kind: 'forward' | 'connect' | 'upgrade'; url: string }
  | { type: 'rejected'; id: number; reason: 'auth' | 'bad-request'; target: string }
  | { type: 'attempt-failed'; id: number; via: string; error: string; failover: boolean }
  | { type: 'connected'; id: number; via: string }
  /**
   * No route worked. `url` is what was asked for (a CONNECT's `https://host:port/`); `code`
   * is the last attempt's error code (ECONNREFUSED, ENOTFOUND, ETUNNEL ...) and `viaProxy`
   * whether that attempt went through an upstream proxy.
   */
  | { type: 'failed'; id: number; url: string; error: string; code: string; viaProxy: boolean }
  | { type: 'closed'; id: number }

export interface GatewayOptions {
  /** The routing decision per request (the session's proxy config); can be swapped with setRoute(). */
  route: RouteFn
  /** Name lookup for DIRECT connections and proxy host names (cached); defaults to the system's. */
  lookup?: LookupFn
  /** Time allowed to reach the next hop (TCP connect, proxy handshake). */
  connectTimeoutMs?: number
  /** How long a proxy that could not be reached is tried last (Chromium: 5 minutes). */
  badProxyRetryMs?: number
  onEvent?: (event: GatewayEvent) => void
  /**
   * How a forward request that no route could carry is answered: 'page' (default) with a 502
   * page, as proxies do; 'network-error' by closing the client connection without an answer,
   * so a browser reports a network error (a page's fetch() rejects) as it would without a proxy.
   */
  failureAnswer?: 'page' | 'network-error'
  /**
   * The one address to listen on (default 127.0.0.1): a browser on another host needs an
   * address of this machine that it can reach. Never a wildcard (0.0.0.0, ::): the gateway
   * listens on one interface only, and only its session's credentials get through.
   */
  host?: string
}

const REALM = 'cdp-session'

function rawReply(status: string, headers: string[] = []): string {
  return [`HTTP/1.1 ${status}`, ...headers, 'Connection: close', 'Content-Length: 0', '', ''].join('\r\n')
}

/** Whether a 401/407 offers NTLM or Negotiate, the schemes that authenticate a connection. */
function challengesConnectionAuth(headers: ReadonlyArray<readonly [string, string, string]>): boolean {
  return headers.some(([, value, lower]) => (lower === 'www-authenticate' || lower === 'proxy-authenticate') && /^\s*(ntlm|negotiate)\b/i.test(value))
}

/** Splits a CONNECT target (`host:port`, `[v6]:port`). */
function parseAuthority(value: string): Destination | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value)
  if (match === null) return null
  const port = Number(match[3])
  if (port < 1 || port > 65535) return null
  return { host: match[1] ?? match[2] ?? '', port }
}

function destinationOf(url: URL): Destination {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:'
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  return { host, port: url.port === '' ? (secure ? 443 : 80) : Number(url.port) }
}

export class SessionGateway {
  /** The one address the gateway listens on: 127.0.0.1 unless the browser is elsewhere. */
  readonly host: string
  readonly username: string
  readonly password: string
  private readonly expectedAuthText: string
  private readonly sockets = new Set<Duplex>()
  private readonly badProxies = new Map<string, number>()
  private readonly pool = new UpstreamPool()
  /**
   * Whether the browser has someone to answer an origin's 401 challenge (a session 'login'
   * listener); when not, forwarded 401s reach it without WWW-Authenticate (setServerChallengesAnswered).
   */
  private serverChallengesAnswered = true
  /**
   * Upstream connections bound to one client connection: NTLM and Negotiate authenticate the
   * TCP connection, so once a server challenges with them, the handshake and every later
   * request of that client connection must use the same upstream connection (as proxies pin
   * it). Never pooled for anyone else; closed with the client connection.
   */
  private readonly pinned = new WeakMap<ClientConnection, { key: string; socket: Socket }>()
  /** Client connections whose close already ends their pinned upstream connection. */
  private readonly pinWatched = new WeakSet<ClientConnection>()
  /** Forward requests that reported `connected` (a stale retry does not report it twice). */
  private readonly connectedIds = new Set<number>()
  /** Origins whose cached credentials are being dropped, with the auth schemes concerned. */
  private readonly authToDrop = new Map<string, Set<string>>()
  private readonly resolverCache: CachingResolver
  private readonly connectTimeoutMs: number
  private readonly badProxyRetryMs: number
  private route: RouteFn
  private nextId = 1
  /** The route choice a request is (or was last) trying, for failure reports. */
  private readonly lastChoice = new Map<number, ProxyChoice>()
  private listeningPort = 0
  private tunnelHook: TunnelHook | null = null
  private requestHold: RequestHold | undefined
  private closing: Promise<void> | undefined

  private constructor(private readonly server: Server, private readonly options: GatewayOptions) {
    this.route = options.route
    this.host = options.host ?? '127.0.0.1'
    this.resolverCache = new CachingResolver(options.lookup)
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    this.badProxyRetryMs = options.badProxyRetryMs ?? 5 * 60_000
    this.username = 'cdp-session'
    this.password = randomBytes(18).toString('base64url')
    this.expectedAuthText = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`
    // A failure nobody foresaw ends that one connection, never the process.
    const contain = (socket: Socket, work: Promise<void>): void => {
      work.catch((error: unknown) => {
        debug('gateway: request handling failed: %s', error instanceof Error ? error.message : String(error))
        socket.destroy()
      })
    }
    const handlers = {
      request: (client: ClientConnection, head: RequestHead) => contain(client.socket, this.onRequest(client, head)),
      connect: (head: RequestHead, socket: Socket, rest: Buffer) => contain(socket, this.onConnect(head, socket, rest)),
      upgrade: (head: RequestHead, socket: Socket, rest: Buffer) => contain(socket, this.onUpgrade(head, socket, rest)),
    }
    server.on('connection', (socket: Socket) => {
      this.track(socket)
      new ClientConnection(socket, handlers)
    })
  }

  /** Starts a gateway on its host (127.0.0.1 by default) with an OS-chosen port. */
  static async start(options: GatewayOptions): Promise<SessionGateway> {
    // No overall request deadline: uploads and long polls through a proxy may take as long as
    // they take. Client connections read their own request heads (client-connection.ts).
    const server = createServer({ noDelay: true, allowHalfOpen: true, highWaterMark: 1 << 20 })
    const gateway = new SessionGateway(server, options)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, gateway.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const address = server.address()
    gateway.listeningPort = typeof address === 'object' && address !== null ? address.port : 0
    return gateway
  }

  get port(): number {
    return this.listeningPort
  }

  /** `HOST:PORT` (`[v6]:PORT`), the form `--proxy-server` and `proxyServer` take. */
  get proxyServer(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`
  }

  /** The `Proxy-Authorization` value the gateway accepts. */
  get authorization(): string {
    return this.expectedAuthText
  }

  /** The resolver DIRECT connections use (share it with PAC so both see one cache). */
  get resolver(): CachingResolver {
    return this.resolverCache
  }

  /** Swaps the routing decision; requests that start afterwards use it. Forgets bad proxies. */
  setRoute(route: RouteFn): void {
    this.route = route
    this.badProxies.clear()
  }

  /** Hands every new CONNECT tunnel to `hook` (null: none). Tunnels already open are left alone. */
  setTunnelHook(hook: TunnelHook | null): void {
    this.tunnelHook = hook
  }

  /** Holds forward requests as `hold` says (null: none is held). */
  setRequestHold(hold: RequestHold | null): void {
    this.requestHold = hold ?? undefined
  }

  clearHostResolverCache(): void {
    this.resolverCache.clear()
  }

  async resolveHost(host: string): Promise<ResolvedHost> {
    return toResolvedHost(await this.resolverCache.lookup(host))
  }

  /**
   * After the session's auth cache was cleared: the next plain-http requests to `origin` that
   * carry an `Authorization` of one of `schemes` (what Chromium sends from its auth cache) go
   * out without it, until that origin answers 401. Chromium then drops its cached entry as
   * rejected and asks the login hook again, and its next requests pass untouched.
   */
  dropCachedAuthorization(origin: string, schemes: Iterable<string>): void {
    const set = this.authToDrop.get(origin) ?? new Set<string>()
    for (const scheme of schemes) set.add(scheme.toLowerCase())
    this.authToDrop.set(origin, set)
  }

  /** Whether requests to `origin` still lose their cached Authorization (see above). */
  dropsAuthorizationFor(origin: string): boolean {
    return this.authToDrop.has(origin)
  }

  /** Forgets which proxies failed, so the next request tries the list in its own order. */
  clearBadProxies(): void {
    this.badProxies.clear()
  }

  /** Destroys every connection (clients, upstreams, tunnels); the listener stays. */
  closeAllConnections(): void {
    this.pool.destroyAll()
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
  }

  /** Stops listening and drops every connection; idempotent, resolves quickly. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.closeAllConnections()
    })
    return this.closing
  }

  private track(socket: Duplex): void {
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
    // Errors on either side end that connection; they are expected (peers go away).
    socket.on('error', (error: Error) => debug('gateway socket error: %s', error.message))
  }

  private emit(event: GatewayEvent): void {
    try {
      this.options.onEvent?.(event)
    } catch (error: unknown) {
      debug('gateway onEvent threw: %s', error instanceof Error ? error.message : String(error))
    }
  }

  private authorized(head: RequestHead): boolean {
    // Compared in constant time (every character, no early exit), without a Buffer per request.
    const given = head.headers['proxy-authorization'] ?? ''
    const expected = this.expectedAuthText
    if (given.length !== expected.length) return false
    let difference = 0
    for (let i = 0; i < expected.length; i++) difference |= given.charCodeAt(i) ^ expected.charCodeAt(i)
    return difference === 0
  }

  /** The choices for `url`, bad proxies moved to the end (as Chromium deprioritises them). */
  private choicesFor(url: URL): ProxyChoice[] | Promise<ProxyChoice[]> {
    const routed = this.route(url)
    return Array.isArray(routed) ? this.ordered(routed) : Promise.resolve(routed).then((list) => this.ordered(list))
  }

  private ordered(list: readonly ProxyChoice[]): ProxyChoice[] {
    if (this.badProxies.size === 0) return list as ProxyChoice[]
    const now = Date.now()
    const good: ProxyChoice[] = []
    const bad: ProxyChoice[] = []
    for (const choice of list) {
      const until = this.badProxies.get(describeChoice(choice))
      if (until !== undefined && until > now) bad.push(choice)
      else good.push(choice)
    }
    return [...good, ...bad]
  }

  /** Tries each choice in order with `open`; returns the first that works. */
  private async attempt<T>(id: number, url: URL, open: (choice: ProxyChoice) => Promise<T>): Promise<{ value: T; choice: ProxyChoice }> {
    const choices = await this.choicesFor(url)
    if (choices.length === 0) throw new UpstreamError('the proxy configuration gave no route', false, 'ENOROUTE')
    let last: unknown
    for (const choice of choices) {
      this.lastChoice.set(id, choice)
      try {
        const value = await open(choice)
        this.lastChoice.delete(id)
        this.emit({ type: 'connected', id, via: describeChoice(choice) })
        return { value, choice }
      } catch (error: unknown) {
        last = error
        const failover = error instanceof UpstreamError && error.failover
        this.emit({ type: 'attempt-failed', id, via: describeChoice(choice), error: error instanceof Error ? error.message : String(error), failover })
        if (!failover) throw error
        this.badProxies.set(describeChoice(choice), Date.now() + this.badProxyRetryMs)
      }
    }
    throw last
  }

  private async onRequest(client: ClientConnection, head: RequestHead): Promise<void> {
    const id = this.nextId++
    const target = head.url
    if (!this.authorized(head)) {
      this.emit({ type: 'rejected', id, reason: 'auth', target })
      client.answer('407 Proxy Authentication Required', [`Proxy-Authenticate: Basic realm="${REALM}"`])
      return
    }
    let url: URL | null = null
    try {
      url = new URL(target)
    } catch {
      url = null
    }
    if (url === null || url.protocol !== 'http:') {
      this.emit({ type: 'rejected', id, reason: 'bad-request', target })
      client.answer('400 Bad Request', ['Content-Type: text/plain'], 'cdp-session gateway: send an absolute http:// URL or use CONNECT\n', true)
      return
    }
    this.emit({ type: 'request', id, kind: 'forward', url: url.href })
    client.whenDone(() => this.emit({ type: 'closed', id }))
    const held = this.requestHold?.(head)
    if (held) await held.catch(() => undefined)
    const dest = destinationOf(url)
    // Without a body a request can be sent again when a pooled connection turns out stale.
    const replay = replayable(head)
    let choices: ProxyChoice[]
    try {
      const routed = this.choicesFor(url)
      choices = Array.isArray(routed) ? routed : await routed
      if (choices.length === 0) throw new UpstreamError('the proxy configuration gave no route', false, 'ENOROUTE')
    } catch (error: unknown) {
      this.answerFailure(id, url, client, error)
      return
    }
    const forward = this.authToDrop.size === 0 ? head : this.withoutCachedAuthorization(head, url)
    for (let i = 0; i < choices.length; i++) {
      const choice = choices[i] ?? { scheme: 'direct' }
      let outcome = await this.sendOnce(id, forward, client, choice, dest, url, true)
      if (!outcome.sent && outcome.stale && replay) outcome = await this.sendOnce(id, forward, client, choice, dest, url, false)
      if (outcome.sent) return
      // A body that has started to flow cannot be sent again through another route.
      const failover = outcome.error instanceof UpstreamError && outcome.error.failover && !client.bodyStarted
      this.emit({ type: 'attempt-failed', id, via: describeChoice(choice), error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error), failover })
      if (!failover || i === choices.length - 1) {
        this.answerFailure(id, url, client, outcome.error, choice)
        return
      }
      this.badProxies.set(describeChoice(choice), Date.now() + this.badProxyRetryMs)
    }
  }

  /** `head` without its Authorization when that is a cached credential being dropped. */
  private withoutCachedAuthorization(head: RequestHead, url: URL): RequestHead {
    const schemes = this.authToDrop.get(url.origin)
    const given = head.headers.authorization
    if (schemes === undefined || given === undefined) return head
    const scheme = given.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? ''
    if (!schemes.has(scheme)) return head
    const rawHeaders: string[] = []
    for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) {
      if ((head.rawHeaders[i] ?? '').toLowerCase() !== 'authorization') rawHeaders.push(head.rawHeaders[i] ?? '', head.rawHeaders[i + 1] ?? '')
    }
    const headers = { ...head.headers }
    delete headers.authorization
    return { ...head, rawHeaders, headers, onStatus: (status) => {
      if (status === 401) this.authToDrop.delete(url.origin)
    } }
  }

  /**
   * Sends one forward request through `choice`, on a pooled connection when `reuse` allows and
   * one is idle. Resolves `sent` once the response head was relayed; otherwise reports the
   * error, and `stale` when a reused connection closed before answering.
   */
  private async sendOnce(id: number, head: RequestHead, client: ClientConnection, choice: ProxyChoice, dest: Destination, url: URL, reuse: boolean): Promise<{ sent: true } | { sent: false; error: unknown; stale: boolean }> {
    const key = `${describeChoice(choice)} ${dest.host}:${dest.port}`
    // A request with a body is not retried on a stale connection, so it only takes one that was
    // in use moments ago.
    const pin = this.pinned.get(client)
    const pinnedHere = pin !== undefined && pin.key === key
    if (pinnedHere) this.pinned.delete(client)
    let socket = pinnedHere && !pin.socket.destroyed ? pin.socket : reuse ? this.pool.take(key, replayable(head) ? Number.POSITIVE_INFINITY : 2000) : undefined
    const reused = socket !== undefined
    let absoluteForm = choice.scheme === 'http' || choice.scheme === 'https'
    if (socket === undefined) {
      try {
        ;({ socket, absoluteForm } = await openForRequest(choice, dest, { ...this.dialOptions(), bulkReads: true }))
      } catch (error: unknown) {
        return { sent: false, error, stale: false }
      }
      this.track(socket)
    }
    if (!this.connectedIds.has(id)) {
      this.connectedIds.add(id)
      client.whenDone(() => this.connectedIds.delete(id))
      this.emit({ type: 'connected', id, via: describeChoice(choice) })
    }
    if (client.socket.destroyed || this.closing !== undefined) {
      // The client went away while the connection was being set up.
      socket.destroy()
      return { sent: true }
    }
    const upstream = socket
    let connectionAuth = pinnedHere
    const outcome = await exchange({
      head, client, url, socket: upstream, reused, absoluteForm,
      onResponseHead: (response) => {
        if (response.status !== 401 && response.status !== 407) return
        connectionAuth ||= challengesConnectionAuth(response.headers)
        if (response.status === 401 && !this.serverChallengesAnswered) {
          // Nobody answers the challenge: the browser gets the 401 as a page, as Electron shows
          // it when no 'login' listener takes it (a headless Chromium asked to authenticate with
          // nobody to ask fails the request with ERR_INVALID_AUTH_CREDENTIALS instead).
          for (let i = response.headers.length - 1; i >= 0; i--) if (response.headers[i]?.[2] === 'www-authenticate') response.headers.splice(i, 1)
          connectionAuth = pinnedHere
        }
      },
      release: (keep) => {
        if (!keep || this.closing !== undefined) return
        if (connectionAuth) this.pin(client, key, upstream)
        else this.pool.put(key, upstream)
      },
    })
    return outcome.ok ? { sent: true } : { sent: false, error: outcome.error, stale: outcome.stale }
  }

  /**
   * Whether 401 challenges of plain-http origins reach the browser as challenges (true, the
   * default) or as plain 401 pages (false: nobody would answer them; see serverChallengesAnswered).
   */
  setServerChallengesAnswered(answered: boolean): void {
    this.serverChallengesAnswered = answered
  }

  /** Binds `socket` to `client` for its next request to `key` (see `pinned`). */
  private pin(client: ClientConnection, key: string, socket: Socket): void {
    if (client.socket.destroyed) {
      socket.destroy()
      return
    }
    const previous = this.pinned.get(client)
    if (previous !== undefined && previous.socket !== socket) previous.socket.destroy()
    if (!this.pinWatched.has(client)) {
      this.pinWatched.add(client)
      client.socket.once('close', () => this.pinned.get(client)?.socket.destroy())
    }
    this.pinned.set(client, { key, socket })
  }

  private answerFailure(id: number, url: URL, client: ClientConnection, error: unknown, choice?: ProxyChoice): void {
    this.fail(id, url, error, choice)
    if (this.options.failureAnswer === 'network-error') {
      client.socket.destroy()
      return
    }
    const text = `cdp-session gateway: ${error instanceof Error ? error.message : String(error)}\n`
    client.answer('502 Bad Gateway', ['Content-Type: text/plain; charset=utf-8'], text)
  }

  /** Answers 407 on a raw socket (CONNECT, upgrade) when `head` lacks this gateway's credentials. */
  private refuseUnauthorized(head: RequestHead, client: Duplex, id: number, target: string): boolean {
    if (this.authorized(head)) return false
    this.emit({ type: 'rejected', id, reason: 'auth', target })
    client.end(rawReply('407 Proxy Authentication Required', [`Proxy-Authenticate: Basic realm="${REALM}"`]))
    return true
  }

  private async onConnect(req: RequestHead, client: Duplex, head: Buffer): Promise<void> {
    const id = this.nextId++
    const target = req.url
    if (this.refuseUnauthorized(req, client, id, target)) return
    const dest = parseAuthority(target)
    if (dest === null) {
      this.emit({ type: 'rejected', id, reason: 'bad-request', target })
      client.end(rawReply('400 Bad Request'))
      return
    }
    // The scheme inside a tunnel is unknown (https or wss); route it as https like the
    // browser would for a page load.
    const url = new URL(`https://${target}/`)
    this.emit({ type: 'request', id, kind: 'connect', url: url.href })
    const tunnel = this.held(id, url, dest, client as Socket, head)
    return this.tunnelHook !== null ? this.tunnelHook(tunnel) : tunnel.pass()
  }

  private held(id: number, url: URL, dest: Destination, client: Socket, head: Buffer): HeldTunnel {
    const tunnel: HeldTunnel = {
      dest,
      client,
      head,
      open: async () => {
        let value: Socket
        try {
          ;({ value } = await this.attempt(id, url, (choice) => openTunnel(choice, dest, this.dialOptions())))
        } catch (error: unknown) {
          tunnel.refuse(error)
          return undefined
        }
        this.track(value)
        if (client.destroyed) value.destroy()
        return value
      },
      splice: (upstream) => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        if (head.length > 0) upstream.write(head)
        this.splice(id, client, upstream)
      },
      pass: async () => {
        const upstream = await tunnel.open()
        if (upstream && !client.destroyed) tunnel.splice(upstream)
      },
      answer: () => void client.write('HTTP/1.1 200 Connection Established\r\n\r\n'),
      relay: (a, b) => this.splice(id, a, b),
      refuse: (error) => {
        this.fail(id, url, error, undefined)
        if (client.writable) client.end(rawReply('502 Bad Gateway'))
      },
    }
    return tunnel
  }

  private async onUpgrade(req: RequestHead, client: Duplex, head: Buffer): Promise<void> {
    const id = this.nextId++
    const target = req.url
    if (this.refuseUnauthorized(req, client, id, target)) return
    const parsed = URL.canParse(target) ? new URL(target) : null
    if (parsed === null || (parsed.protocol !== 'ws:' && parsed.protocol !== 'http:')) {
      this.emit({ type: 'rejected', id, reason: 'bad-request', target })
      client.end(rawReply('400 Bad Request'))
      return
    }
    // Route as ws:// (what the page asked for), even when the client wrote http://.
    const url = new URL(target)
    if (url.protocol === 'http:') url.protocol = 'ws:'
    this.emit({ type: 'request', id, kind: 'upgrade', url: url.href })
    const dest = destinationOf(url)
    let opened: { socket: Socket; absoluteForm: boolean }
    try {
      ;({ value: opened } = await this.attempt(id, url, (choice) => openForRequest(choice, dest, this.dialOptions())))
    } catch (error: unknown) {
      this.fail(id, url, error, undefined)
      if (client.writable) client.end(rawReply('502 Bad Gateway'))
      return
    }
    const upstream = opened.socket
    if (client.destroyed) {
      upstream.destroy()
      return
    }
    this.track(upstream)
    // Replay the request head; the upstream's 101 (or refusal) flows back through the splice.
    const requestTarget = opened.absoluteForm ? `http://${url.host}${url.pathname}${url.search}` : `${url.pathname}${url.search}`
    const lines = [`${req.method} ${requestTarget} HTTP/1.1`]
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] ?? ''
      const lower = name.toLowerCase()
      if (lower !== 'proxy-authorization' && lower !== 'proxy-connection') lines.push(`${name}: ${req.rawHeaders[i + 1] ?? ''}`)
    }
    upstream.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]))
    this.splice(id, client, upstream)
  }

  private splice(id: number, client: Duplex, upstream: Duplex): void {
    client.pipe(upstream)
    upstream.pipe(client)
    let reported = false
    const end = (): void => {
      client.destroy()
      upstream.destroy()
      if (!reported) {
        reported = true
        this.emit({ type: 'closed', id })
      }
    }
    client.once('close', end)
    upstream.once('close', end)
    upstream.resume()
  }

  private fail(id: number, url: URL, error: unknown, choice: ProxyChoice | undefined): void {
    const code = (error as { code?: unknown } | null)?.code
    const via = choice ?? this.lastChoice.get(id)
    this.lastChoice.delete(id)
    this.emit({
      type: 'failed',
      id,
      url: url.href,
      error: error instanceof Error ? error.message : String(error),
      code: typeof code === 'string' ? code : 'ERR_UNKNOWN',
      viaProxy: via !== undefined && via.scheme !== 'direct',
    })
  }

  private dialOptions(): { resolver: CachingResolver; timeoutMs: number } {
    return { resolver: this.resolverCache, timeoutMs: this.connectTimeoutMs }
  }
}
