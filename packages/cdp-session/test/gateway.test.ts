// The session gateway with Node clients only: forwarding, CONNECT, WebSocket upgrades,
// upstream HTTP and SOCKS proxies (the e2e fixtures, which record what reached them),
// fail-over, authentication, live route changes, the resolver cache and shutdown.
// Everything listens on and talks to 127.0.0.1; fake names resolve through a fake lookup.
import { readFileSync } from 'node:fs'
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect as netConnect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { viaGateway, type Reply } from './fixtures/gateway-client.js'
import { SessionGateway, type GatewayEvent, type GatewayOptions, type ProxyChoice, type RouteFn } from '../src/net/gateway.js'
import { compilePac, PAC_FALLBACK } from '../src/net/pac.js'

// The e2e fixtures (test server, recording HTTP and SOCKS5 proxies) live outside this
// package's tsconfig rootDir, so they are loaded at run time and typed by the parts used here.
interface TestServer {
  readonly port: number
  readonly https: { port: number; certificatePem: string }
  readonly requests: { path: string; url: string; headers: IncomingHttpHeaders; body: Buffer }[]
  readonly errors: Error[]
  url(path: string): string
  setContent(path: string, body: string): void
  setRoute(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void
  waitForRequest(path: string): Promise<{ body: Buffer }>
  reset(): void
  close(): Promise<void>
}
interface TestProxy {
  readonly port: number
  readonly requests: { kind: string; target: string; headers?: IncomingHttpHeaders }[]
  readonly errors: Error[]
  mapHost(name: string, address: string): void
  reset(): void
  close(): Promise<void>
}
interface Reader {
  read(size: number): Promise<Buffer>
  readUntil(marker: string): Promise<string>
  release(): Buffer
}
const FIXTURES = '../../../e2e/fixtures/'
const serverModule = (await import(/* @vite-ignore */ `${FIXTURES}server.js`)) as {
  startTestServer(): Promise<TestServer>
  startHttpProxy(): Promise<TestProxy>
  startSocks5Proxy(): Promise<TestProxy>
}
const clientsModule = (await import(/* @vite-ignore */ `${FIXTURES}clients.js`)) as {
  Reader: new (socket: Socket) => Reader
  maskedTextFrame(text: string): Buffer
}
const { startHttpProxy, startSocks5Proxy, startTestServer } = serverModule
const { Reader, maskedTextFrame } = clientsModule

const DIRECT: ProxyChoice[] = [{ scheme: 'direct' }]

let server: TestServer
let httpProxy: TestProxy
let socksProxy: TestProxy
/** A port nothing listens on (a dead proxy). */
let deadPort: number
const lookups: string[] = []
/** Fake DNS for the gateway: `*.test` names map here; anything else fails. */
const fakeDns = new Map<string, string[]>()
const gateways: SessionGateway[] = []

async function startGateway(route: RouteFn = () => DIRECT, events?: GatewayEvent[], options: Partial<GatewayOptions> = {}): Promise<SessionGateway> {
  const gateway = await SessionGateway.start({
    ...options,
    route,
    lookup: (host) => {
      lookups.push(host)
      const found = fakeDns.get(host) ?? (host === 'localhost' ? ['127.0.0.1'] : undefined)
      return found === undefined ? Promise.reject(new Error(`fake DNS has no ${host}`)) : Promise.resolve(found)
    },
    onEvent: events === undefined ? undefined : (e) => events.push(e),
  })
  gateways.push(gateway)
  return gateway
}

/** CONNECT through the gateway; resolves with the status line's code and the raw socket. */
async function connectThrough(gateway: SessionGateway, target: string, auth: string | null = gateway.authorization): Promise<{ status: number; socket: Socket; reader: Reader; head: string }> {
  const socket = netConnect({ host: '127.0.0.1', port: gateway.port })
  socket.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const reader = new Reader(socket)
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth === null ? '' : `Proxy-Authorization: ${auth}\r\n`}\r\n`)
  const head = await reader.readUntil('\r\n\r\n')
  return { status: Number(head.slice(9, 12)), socket, reader, head }
}

function tlsOver(socket: Socket, reader: Reader): Promise<TLSSocket> {
  const leftover = reader.release()
  if (leftover.length > 0) socket.unshift(leftover)
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({ socket, ca: server.https.certificatePem, servername: 'localhost' }, () => resolve(tls))
    tls.once('error', reject)
  })
}

/** Sends a WebSocket upgrade + one text frame over `socket`; resolves with the echoed text. */
async function websocketEcho(socket: Socket | TLSSocket, requestTarget: string, host: string, extraHeaders: string[], text: string): Promise<string> {
  const reader = new Reader(socket)
  socket.write([
    `GET ${requestTarget} HTTP/1.1`, `Host: ${host}`, 'Upgrade: websocket', 'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', ...extraHeaders, '', '',
  ].join('\r\n'))
  const head = await reader.readUntil('\r\n\r\n')
  expect(head).toMatch(/^HTTP\/1\.1 101/)
  socket.write(maskedTextFrame(text))
  const [, length = 0] = await reader.read(2)
  return (await reader.read(length)).toString('utf8')
}

beforeAll(async () => {
  ;[server, httpProxy, socksProxy] = await Promise.all([startTestServer(), startHttpProxy(), startSocks5Proxy()])
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  deadPort = typeof address === 'object' && address !== null ? address.port : 1
  await new Promise<void>((resolve) => probe.close(() => resolve()))
})

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()))
  const errors = [...server.errors, ...httpProxy.errors, ...socksProxy.errors]
  server.reset()
  httpProxy.reset()
  socksProxy.reset()
  fakeDns.clear()
  lookups.length = 0
  expect(errors).toEqual([])
})

afterAll(async () => {
  await Promise.all([server.close(), httpProxy.close(), socksProxy.close()])
})

describe('forwarding', () => {
  it('forwards an absolute-URI GET directly to the server', async () => {
    const events: GatewayEvent[] = []
    const gateway = await startGateway(() => DIRECT, events)
    server.setContent('/hello.txt', 'hello through the gateway')
    const reply = await viaGateway(gateway, server.url('/hello.txt?x=1'))
    expect(reply.status).toBe(200)
    expect(reply.body.toString()).toBe('hello through the gateway')
    const seen = server.requests.find((r) => r.path === '/hello.txt')
    expect(seen?.url).toBe(server.url('/hello.txt?x=1'))
    expect(seen?.headers['proxy-authorization']).toBeUndefined()
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['request', 'connected', 'closed']))
  })

  it('forwards request bodies (POST)', async () => {
    const events: GatewayEvent[] = []
    const gateway = await startGateway(() => DIRECT, events)
    const body = Buffer.alloc(300_000, 7)
    const waiting = server.waitForRequest('/upload')
    // The server reads the whole body before answering, as upload endpoints do.
    server.setRoute('/upload', (req, res) => {
      req.resume()
      req.once('end', () => res.end('ok'))
    })
    const reply = await viaGateway(gateway, server.url('/upload'), { method: 'POST', body })
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(reply.body.toString()).toBe('ok')
    expect(reply.status).toBe(200)
    expect((await waiting).body.equals(body)).toBe(true)
  })

  it('relays an early answer to an upload and keeps the client connection usable', async () => {
    const gateway = await startGateway()
    server.setContent('/early', 'too large')
    server.setContent('/after', 'next')
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const reply = await viaGateway(gateway, server.url('/early'), { method: 'POST', body: Buffer.alloc(4 * 1024 * 1024, 1), agent })
      expect(reply.body.toString()).toBe('too large')
      const next = await viaGateway(gateway, server.url('/after'), { agent })
      expect(next.body.toString()).toBe('next')
      // The server saw the upload cut short (as it would from Chromium); that is expected here.
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(server.errors.map((e) => (e as { code?: string }).code)).toEqual(['HPE_INVALID_EOF_STATE'])
      server.reset()
    } finally {
      agent.destroy()
    }
  })

  it('routes through an upstream HTTP proxy', async () => {
    const gateway = await startGateway(() => [{ scheme: 'http', host: '127.0.0.1', port: httpProxy.port }])
    httpProxy.mapHost('a.test', '127.0.0.1')
    const target = `http://a.test:${server.port}/empty.html`
    const reply = await viaGateway(gateway, target)
    expect(reply.status).toBe(200)
    expect(httpProxy.requests).toMatchObject([{ kind: 'http', target }])
    expect(httpProxy.requests[0]?.headers?.['proxy-authorization']).toBeUndefined()
    // The name went to the proxy unresolved: the gateway never looked it up.
    expect(lookups).not.toContain('a.test')
  })

  it('routes through SOCKS5 with the name resolved remotely', async () => {
    const gateway = await startGateway(() => [{ scheme: 'socks5', host: '127.0.0.1', port: socksProxy.port }])
    socksProxy.mapHost('a.test', '127.0.0.1')
    const reply = await viaGateway(gateway, `http://a.test:${server.port}/empty.html`)
    expect(reply.status).toBe(200)
    expect(socksProxy.requests).toMatchObject([{ kind: 'socks5', target: `a.test:${server.port}` }])
    expect(lookups).not.toContain('a.test')
    expect(server.requests.at(-1)?.headers.host).toBe(`a.test:${server.port}`)
  })

  it('routes through SOCKS4 with the name resolved locally', async () => {
    // A tiny SOCKS4 server: reads the request, records it, connects and splices.
    const seen: string[] = []
    const socks4: NetServer = createNetServer((client) => {
      client.on('error', () => undefined)
      client.once('data', (chunk: Buffer) => {
        const port = chunk.readUInt16BE(2)
        const ip = [...chunk.subarray(4, 8)].join('.')
        seen.push(`${ip}:${port}`)
        const upstream = netConnect({ host: ip === '127.0.0.1' ? ip : '0.0.0.0', port }, () => {
          client.write(Buffer.from([0, 0x5a, 0, 0, 0, 0, 0, 0]))
          client.pipe(upstream).pipe(client)
        })
        upstream.on('error', () => client.destroy())
        client.once('close', () => upstream.destroy())
      })
    })
    await new Promise<void>((resolve) => socks4.listen(0, '127.0.0.1', resolve))
    try {
      const address = socks4.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      fakeDns.set('a.test', ['127.0.0.1'])
      const gateway = await startGateway(() => [{ scheme: 'socks4', host: '127.0.0.1', port }])
      const reply = await viaGateway(gateway, `http://a.test:${server.port}/empty.html`)
      expect(reply.status).toBe(200)
      expect(seen).toEqual([`127.0.0.1:${server.port}`])
      expect(lookups).toContain('a.test')
    } finally {
      // The gateway keeps its upstream connection alive; close it first so the server can stop.
      await Promise.all(gateways.map((g) => g.close()))
      await new Promise<void>((resolve) => socks4.close(() => resolve()))
    }
  })

  it('fails over past a dead proxy to the next entry, and remembers it as bad', async () => {
    const events: GatewayEvent[] = []
    const dead: ProxyChoice = { scheme: 'http', host: '127.0.0.1', port: deadPort }
    const gateway = await startGateway(() => [dead, { scheme: 'socks5', host: '127.0.0.1', port: deadPort }, { scheme: 'http', host: '127.0.0.1', port: httpProxy.port }, { scheme: 'direct' }], events)
    const reply = await viaGateway(gateway, server.url('/empty.html'))
    expect(reply.status).toBe(200)
    expect(httpProxy.requests).toHaveLength(1)
    const failed = events.filter((e) => e.type === 'attempt-failed')
    expect(failed).toMatchObject([
      { via: `http://127.0.0.1:${deadPort}`, failover: true },
      { via: `socks5://127.0.0.1:${deadPort}`, failover: true },
    ])
    // Next request: the bad proxies are tried last, so the live one answers at once.
    events.length = 0
    expect((await viaGateway(gateway, server.url('/empty.html'))).status).toBe(200)
    expect(events.filter((e) => e.type === 'attempt-failed')).toEqual([])
  })

  it("with failureAnswer 'network-error' an unroutable request gets no answer at all (the connection closes)", async () => {
    const gateway = await startGateway(() => [{ scheme: 'direct' }], undefined, { failureAnswer: 'network-error' })
    await expect(viaGateway(gateway, `http://127.0.0.1:${deadPort}/`)).rejects.toThrow(/socket hang up|ECONNRESET/)
    expect((await viaGateway(gateway, server.url('/empty.html'))).status).toBe(200)
  })

  it('a DIRECT failure is not skipped over, and an empty route is an error', async () => {
    const gateway = await startGateway(() => [{ scheme: 'direct' }, { scheme: 'http', host: '127.0.0.1', port: httpProxy.port }])
    const reply = await viaGateway(gateway, `http://127.0.0.1:${deadPort}/`)
    expect(reply.status).toBe(502)
    expect(httpProxy.requests).toHaveLength(0)
    gateway.setRoute(() => [])
    expect((await viaGateway(gateway, server.url('/'))).status).toBe(502)
  })

  it('switching the route takes effect for the next request on a kept-alive connection', async () => {
    let route: ProxyChoice[] = DIRECT
    const gateway = await startGateway(() => route)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const first = await viaGateway(gateway, server.url('/empty.html'), { agent })
      expect(first.status).toBe(200)
      expect(httpProxy.requests).toHaveLength(0)
      route = [{ scheme: 'http', host: '127.0.0.1', port: httpProxy.port }]
      const second = await viaGateway(gateway, server.url('/empty.html?second'), { agent })
      expect(second.status).toBe(200)
      expect(second.reusedSocket).toBe(true)
      expect(httpProxy.requests).toMatchObject([{ kind: 'http', target: server.url('/empty.html?second') }])
    } finally {
      agent.destroy()
    }
  })

  it('a request hold keeps the request from the server until it settles; others pass at once', async () => {
    let release!: () => void
    const asked: string[] = []
    const gateway = await startGateway()
    server.setContent('/hello.txt', 'hello')
    gateway.setRequestHold((head) => {
      asked.push(head.url)
      return head.url.includes('held') ? new Promise<void>((resolve) => (release = resolve)) : undefined
    })
    const held = viaGateway(gateway, server.url('/hello.txt?held'))
    expect((await viaGateway(gateway, server.url('/hello.txt?free'))).status).toBe(200)
    expect(server.requests.map((r) => r.url)).toEqual([server.url('/hello.txt?free')])
    release()
    expect((await held).status).toBe(200)
    expect(server.requests.map((r) => r.url)).toEqual([server.url('/hello.txt?free'), server.url('/hello.txt?held')])
    expect(asked.sort()).toEqual([server.url('/hello.txt?free'), server.url('/hello.txt?held')])
    gateway.setRequestHold(null)
    expect((await viaGateway(gateway, server.url('/hello.txt?after'))).status).toBe(200)
    expect(asked).toHaveLength(2)
  })
})

describe('with a PAC script as the route', () => {
  /** Just enough of a PAC result parser for this test (the real one belongs to proxy-config). */
  function choicesFromPac(result: string): ProxyChoice[] {
    return result.split(';').map((entry) => entry.trim()).filter((entry) => entry !== '').map((entry): ProxyChoice => {
      const [type = '', hostPort = ''] = entry.split(/\s+/)
      const colon = hostPort.lastIndexOf(':')
      const host = hostPort.slice(0, colon)
      const port = Number(hostPort.slice(colon + 1))
      if (type === 'PROXY') return { scheme: 'http', host, port }
      if (type === 'SOCKS5') return { scheme: 'socks5', host, port }
      return { scheme: 'direct' }
    })
  }

  it('picks a proxy per host, fails over, and falls back to DIRECT when the script fails', async () => {
    const pac = await compilePac(`function FindProxyForURL(url, host) {
      if (host === 'via-http.test') return 'PROXY 127.0.0.1:${deadPort}; PROXY 127.0.0.1:${httpProxy.port}';
      if (host === 'via-socks.test') return 'SOCKS5 127.0.0.1:${socksProxy.port}';
      if (host === 'broken.test') throw new Error('bad script');
      return 'DIRECT';
    }`, { timeoutMs: 1000 })
    try {
      const gateway = await startGateway(async (url) => choicesFromPac(await pac.findProxy(url.href).catch(() => PAC_FALLBACK)))
      httpProxy.mapHost('via-http.test', '127.0.0.1')
      socksProxy.mapHost('via-socks.test', '127.0.0.1')
      fakeDns.set('broken.test', ['127.0.0.1'])
      for (const host of ['via-http.test', 'via-socks.test', 'broken.test', '127.0.0.1']) {
        expect((await viaGateway(gateway, `http://${host}:${server.port}/empty.html`)).status).toBe(200)
      }
      expect(httpProxy.requests.map((r) => r.target)).toEqual([`http://via-http.test:${server.port}/empty.html`])
      expect(socksProxy.requests.map((r) => r.target)).toEqual([`via-socks.test:${server.port}`])
      expect(server.requests.map((r) => r.headers.host)).toEqual(['via-http.test', 'via-socks.test', 'broken.test', '127.0.0.1'].map((h) => `${h}:${server.port}`))
    } finally {
      pac.dispose()
    }
  })
})

describe('authentication', () => {
  it('answers 407 with a Basic challenge without or with wrong credentials', async () => {
    const gateway = await startGateway()
    const none = await viaGateway(gateway, server.url('/'), { auth: null })
    expect(none.status).toBe(407)
    expect(none.headers['proxy-authenticate']).toBe('Basic realm="cdp-session"')
    const wrong = await viaGateway(gateway, server.url('/'), { auth: `Basic ${Buffer.from('cdp-session:nope').toString('base64')}` })
    expect(wrong.status).toBe(407)
    const connect = await connectThrough(gateway, `127.0.0.1:${server.port}`, null)
    expect(connect.status).toBe(407)
    expect(connect.head).toContain('Proxy-Authenticate: Basic realm="cdp-session"')
    connect.socket.destroy()
    expect(server.requests).toHaveLength(0)
    // Two gateways never share credentials.
    const other = await startGateway()
    expect(other.authorization).not.toBe(gateway.authorization)
    expect((await viaGateway(gateway, server.url('/'), { auth: other.authorization })).status).toBe(407)
  })

  it('rejects origin-form requests with 400', async () => {
    const gateway = await startGateway()
    expect((await viaGateway(gateway, '/relative')).status).toBe(400)
  })
})

describe('tunnels and WebSockets', () => {
  it('CONNECT tunnels TLS to the HTTPS server, directly and through upstreams', async () => {
    const routes: ProxyChoice[][] = [DIRECT, [{ scheme: 'http', host: '127.0.0.1', port: httpProxy.port }], [{ scheme: 'socks5', host: '127.0.0.1', port: socksProxy.port }]]
    let route = routes[0] ?? DIRECT
    const gateway = await startGateway(() => route)
    for (const next of routes) {
      route = next
      const { status, socket, reader } = await connectThrough(gateway, `localhost:${server.https.port}`)
      expect(status).toBe(200)
      const tls = await tlsOver(socket, reader)
      tls.write(`GET /title.html?title=tunnel HTTP/1.1\r\nHost: localhost:${server.https.port}\r\nConnection: close\r\n\r\n`)
      const text = await new Promise<string>((resolve) => {
        let data = ''
        tls.on('data', (c: Buffer) => (data += c.toString()))
        tls.once('end', () => resolve(data))
      })
      expect(text).toMatch(/^HTTP\/1\.1 200/)
      expect(text).toContain('<title>tunnel</title>')
      tls.destroy()
    }
    expect(httpProxy.requests).toMatchObject([{ kind: 'connect', target: `localhost:${server.https.port}` }])
    expect(socksProxy.requests).toMatchObject([{ kind: 'socks5', target: `localhost:${server.https.port}` }])
  })

  it('the route sees CONNECT targets as https://host:port/', async () => {
    const seen: string[] = []
    const gateway = await startGateway((url) => {
      seen.push(url.href)
      return DIRECT
    })
    const { status, socket } = await connectThrough(gateway, `127.0.0.1:${server.https.port}`)
    expect(status).toBe(200)
    socket.destroy()
    expect(seen).toEqual([`https://127.0.0.1:${server.https.port}/`])
  })

  it('CONNECT fails over past a dead proxy too', async () => {
    const events: GatewayEvent[] = []
    const gateway = await startGateway(() => [{ scheme: 'http', host: '127.0.0.1', port: deadPort }, { scheme: 'socks5', host: '127.0.0.1', port: socksProxy.port }], events)
    const { status, socket } = await connectThrough(gateway, `127.0.0.1:${server.port}`)
    expect(status).toBe(200)
    socket.destroy()
    expect(socksProxy.requests).toMatchObject([{ kind: 'socks5', target: `127.0.0.1:${server.port}` }])
    expect(events.filter((e) => e.type === 'attempt-failed')).toMatchObject([{ via: `http://127.0.0.1:${deadPort}`, failover: true }])
  })

  it('a refused CONNECT answers 502', async () => {
    const gateway = await startGateway()
    const { status, socket } = await connectThrough(gateway, `127.0.0.1:${deadPort}`)
    expect(status).toBe(502)
    socket.destroy()
  })

  it('ws:// through the forward proxy path echoes, directly and via the upstream HTTP proxy', async () => {
    let route: ProxyChoice[] = DIRECT
    const gateway = await startGateway(() => route)
    for (const next of [DIRECT, [{ scheme: 'http', host: '127.0.0.1', port: httpProxy.port } as ProxyChoice]]) {
      route = next
      const socket = netConnect({ host: '127.0.0.1', port: gateway.port })
      await new Promise<void>((resolve) => socket.once('connect', resolve))
      const echoed = await websocketEcho(socket, `ws://127.0.0.1:${server.port}/ws`, `127.0.0.1:${server.port}`, [`Proxy-Authorization: ${gateway.authorization}`], 'ping over ws')
      expect(echoed).toBe('ping over ws')
      socket.destroy()
    }
    expect(httpProxy.requests).toMatchObject([{ kind: 'http', target: `http://127.0.0.1:${server.port}/ws` }])
    expect(httpProxy.requests[0]?.headers?.['proxy-authorization']).toBeUndefined()
  })

  it('wss:// through a CONNECT tunnel echoes', async () => {
    const gateway = await startGateway()
    const { status, socket, reader } = await connectThrough(gateway, `localhost:${server.https.port}`)
    expect(status).toBe(200)
    const tls = await tlsOver(socket, reader)
    expect(await websocketEcho(tls, '/ws', `localhost:${server.https.port}`, [], 'ping over wss')).toBe('ping over wss')
    tls.destroy()
  })
})

describe('resolver and connections', () => {
  it('caches names; clearHostResolverCache makes the next request look the name up again', async () => {
    fakeDns.set('a.test', ['127.0.0.1'])
    const gateway = await startGateway()
    const url = `http://a.test:${server.port}/empty.html`
    expect((await viaGateway(gateway, url)).status).toBe(200)
    expect((await viaGateway(gateway, url)).status).toBe(200)
    expect(lookups.filter((h) => h === 'a.test')).toHaveLength(1)
    // The answer changes (the name disappears); the cached answer still serves...
    fakeDns.delete('a.test')
    expect((await viaGateway(gateway, url)).status).toBe(200)
    // ...until the cache is cleared, when the new answer is seen by the next new connection
    // (pooled connections are closed too, or the request would reuse one).
    gateway.clearHostResolverCache()
    gateway.closeAllConnections()
    expect((await viaGateway(gateway, url)).status).toBe(502)
    expect(lookups.filter((h) => h === 'a.test')).toHaveLength(2)
  })

  it('resolveHost answers in Electron\'s shape through the same cache', async () => {
    fakeDns.set('dual.test', ['127.0.0.1', '::1'])
    const gateway = await startGateway()
    expect(await gateway.resolveHost('dual.test')).toEqual({ endpoints: [{ address: '127.0.0.1', family: 'ipv4' }, { address: '::1', family: 'ipv6' }] })
    await gateway.resolveHost('dual.test')
    expect(lookups).toEqual(['dual.test'])
    await expect(gateway.resolveHost('missing.test')).rejects.toThrow(/missing\.test/)
  })

  it('closeAllConnections kills an open tunnel; the gateway keeps serving', async () => {
    const gateway = await startGateway()
    const { status, socket, reader } = await connectThrough(gateway, `localhost:${server.https.port}`)
    expect(status).toBe(200)
    const tls = await tlsOver(socket, reader)
    tls.on('error', () => undefined)
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    gateway.closeAllConnections()
    await closed
    expect((await viaGateway(gateway, server.url('/empty.html'))).status).toBe(200)
  })

  it('close() is idempotent and quick, even with open tunnels', async () => {
    const gateway = await startGateway()
    const { socket } = await connectThrough(gateway, `127.0.0.1:${server.port}`)
    const started = Date.now()
    await Promise.all([gateway.close(), gateway.close()])
    await gateway.close()
    expect(Date.now() - started).toBeLessThan(500)
    expect(socket.destroyed || socket.readableEnded || (await new Promise((r) => socket.once('close', () => r(true))))).toBeTruthy()
    await expect(viaGateway(gateway, server.url('/'))).rejects.toThrow(/ECONNREFUSED/)
  })

  it('listens only on 127.0.0.1', async () => {
    const gateway = await startGateway()
    expect(gateway.host).toBe('127.0.0.1')
    expect(gateway.proxyServer).toBe(`127.0.0.1:${gateway.port}`)
    // Every listening socket on this port (Linux /proc), IPv4 and IPv6, is bound to 127.0.0.1.
    const portHex = gateway.port.toString(16).toUpperCase().padStart(4, '0')
    const listeners: string[] = []
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let table: string
      try {
        table = readFileSync(file, 'utf8')
      } catch {
        continue
      }
      for (const line of table.split('\n').slice(1)) {
        const [, local, , state] = line.trim().split(/\s+/)
        if (local?.endsWith(`:${portHex}`) && state === '0A') listeners.push(local)
      }
    }
    expect(listeners).toEqual(['0100007F:' + portHex])
  })
})

describe('overhead (measured, not asserted)', () => {
  it('bulk transfer and per-request latency through the gateway vs direct', async () => {
    const size = 50 * 1024 * 1024
    const gateway = await startGateway()
    const directAgent = new Agent({ keepAlive: true, maxSockets: 1 })
    const gatewayAgent = new Agent({ keepAlive: true, maxSockets: 1 })
    const fetchDirect = (path: string): Promise<Reply> => new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: server.port, path, agent: directAgent }, (res) => {
        let bytes = 0
        res.on('data', (c: Buffer) => (bytes += c.length))
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0), reusedSocket: bytes > 0 }))
      })
      req.once('error', reject)
      req.end()
    })
    const fetchGateway = (path: string): Promise<Reply> => viaGateway(gateway, server.url(path), { agent: gatewayAgent })
    const time = async (run: () => Promise<unknown>): Promise<number> => {
      const t = process.hrtime.bigint()
      await run()
      return Number(process.hrtime.bigint() - t) / 1e6
    }
    try {
      await fetchDirect(`/bytes?size=${1024 * 1024}`)
      await fetchGateway(`/bytes?size=${1024 * 1024}`)
      const directMs = await time(() => fetchDirect(`/bytes?size=${size}`))
      const gatewayMs = await time(() => fetchGateway(`/bytes?size=${size}`))
      const p50 = async (run: () => Promise<unknown>): Promise<number> => {
        const samples: number[] = []
        for (let i = 0; i < 200; i++) samples.push(await time(run))
        samples.sort((a, b) => a - b)
        return samples[100] ?? 0
      }
      const directP50 = await p50(() => fetchDirect('/empty.html'))
      const gatewayP50 = await p50(() => fetchGateway('/empty.html'))
      const connectP50 = await p50(async () => {
        const { socket } = await connectThrough(gateway, `127.0.0.1:${server.port}`)
        socket.destroy()
      })
      // Bulk through a CONNECT tunnel (how https traffic passes): plain HTTP inside the tunnel.
      const tunnelMs = await time(async () => {
        const { socket, reader } = await connectThrough(gateway, `127.0.0.1:${server.port}`)
        const leftover = reader.release()
        socket.resume()
        let received = leftover.length
        await new Promise<void>((resolve) => {
          socket.on('data', (chunk: Buffer) => {
            received += chunk.length
            if (received >= size) resolve()
          })
          socket.write(`GET /bytes?size=${size} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
        })
        socket.destroy()
      })
      const mib = size / 1024 / 1024
      const report = {
        bulkDirectMiBps: Math.round(mib / (directMs / 1000)),
        bulkGatewayMiBps: Math.round(mib / (gatewayMs / 1000)),
        throughputRatio: Number((directMs / gatewayMs).toFixed(2)),
        bulkTunnelMiBps: Math.round(mib / (tunnelMs / 1000)),
        p50DirectMs: Number(directP50.toFixed(3)),
        p50GatewayMs: Number(gatewayP50.toFixed(3)),
        addedP50Ms: Number((gatewayP50 - directP50).toFixed(3)),
        connectSetupP50Ms: Number(connectP50.toFixed(3)),
      }
      console.log('gateway overhead', JSON.stringify(report))
      expect(report.bulkGatewayMiBps).toBeGreaterThan(0)
    } finally {
      directAgent.destroy()
      gatewayAgent.destroy()
    }
  }, 60_000)
})
