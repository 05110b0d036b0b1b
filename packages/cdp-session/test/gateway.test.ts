// The session gateway with Node clients only: forwarding, CONNECT, WebSocket upgrades,
// upstream HTTP and SOCKS proxies (the e2e fixtures, which record what reached them),
// fail-over, authentication, live route changes, the resolver cache and shutdown.
// Everything listens on and talks to 127.0.0.1; fake names resolve through a fake lookup.
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect as netConnect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SessionGateway, type GatewayEvent, type ProxyChoice, type RouteFn } from '../src/net/gateway.js'
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

async function startGateway(route: RouteFn = () => DIRECT, events?: GatewayEvent[]): Promise<SessionGateway> {
  const gateway = await SessionGateway.start({
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

interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  reusedSocket: boolean
}

/** A forward-proxy request (absolute URI) to the gateway. */
function viaGateway(gateway: SessionGateway, url: string, options: { auth?: string | null; agent?: Agent; method?: string; body?: Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {}
    const auth = options.auth === undefined ? gateway.authorization : options.auth
    if (auth !== null) headers['proxy-authorization'] = auth
    const req = httpRequest({ host: '127.0.0.1', port: gateway.port, path: url, method: options.method ?? 'GET', headers, agent: options.agent ?? false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), reusedSocket: req.reusedSocket }))
      res.once('error', reject)
    })
    req.once('error', reject)
    req.end(options.body)
  })
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
})

/** One request as a raw upstream server saw it: which connection (0, 1, ...), its head and body. */
interface RawExchange {
  connection: number
  head: string
  body: Buffer
}

/**
 * An HTTP/1.1 server on a bare socket, so the tests control framing byte by byte. It splits
 * requests (Content-Length or chunked bodies) and hands each to `answer` with its socket.
 */
async function rawUpstream(answer: (exchange: RawExchange, socket: Socket) => void): Promise<{ port: number; seen: RawExchange[]; closed: number[]; close(): Promise<void> }> {
  const seen: RawExchange[] = []
  const closed: number[] = []
  let connections = 0
  const sockets = new Set<Socket>()
  const netServer = createNetServer((socket) => {
    const connection = connections++
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.once('close', () => {
      sockets.delete(socket)
      closed.push(connection)
    })
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = buffered.subarray(0, end).toString('latin1')
        let rest = buffered.subarray(end + 4)
        let body = Buffer.alloc(0)
        const length = /\r\ncontent-length: *(\d+)/i.exec(head)
        if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
          const pieces: Buffer[] = []
          let at = 0
          for (;;) {
            const eol = rest.indexOf('\r\n', at)
            if (eol < 0) return
            const size = Number.parseInt(rest.subarray(at, eol).toString('latin1'), 16)
            if (size === 0) {
              if (rest.length < eol + 4) return
              rest = rest.subarray(eol + 4)
              break
            }
            if (rest.length < eol + 2 + size + 2) return
            pieces.push(rest.subarray(eol + 2, eol + 2 + size))
            at = eol + 2 + size + 2
          }
          body = Buffer.concat(pieces)
        } else if (length !== null) {
          const size = Number(length[1])
          if (rest.length < size) return
          body = rest.subarray(0, size)
          rest = rest.subarray(size)
        }
        buffered = rest
        const exchange = { connection, head, body }
        seen.push(exchange)
        answer(exchange, socket)
      }
    })
  })
  await new Promise<void>((resolve) => netServer.listen(0, '127.0.0.1', resolve))
  const address = netServer.address()
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    seen,
    closed,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      netServer.close(() => resolve())
    }),
  }
}

const rawServers: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(rawServers.splice(0).map((s) => s.close()))
})

async function withRawUpstream(answer: (exchange: RawExchange, socket: Socket) => void): Promise<{ port: number; seen: RawExchange[]; closed: number[]; url(path: string): string }> {
  const upstream = await rawUpstream(answer)
  rawServers.push(upstream)
  return { ...upstream, url: (path) => `http://127.0.0.1:${upstream.port}${path}` }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('forward relay framing', () => {
  it('writes an origin-form head with the URL\'s Host and no proxy or hop-by-hop headers, and reuses the connection', async () => {
    const upstream = await withRawUpstream((_e, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Up: 1\r\nKeep-Alive: timeout=5\r\n\r\nhello'))
    const gateway = await startGateway()
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const headers = { 'x-custom': 'kept', 'x-hop': 'dropped', 'connection': 'x-hop', 'proxy-connection': 'keep-alive', 'host': 'wrong.example' }
      const reply = await new Promise<Reply>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: gateway.port, path: upstream.url('/a?b=1'), agent, headers: { ...headers, 'proxy-authorization': gateway.authorization } }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), reusedSocket: req.reusedSocket }))
        })
        req.once('error', reject)
        req.end()
      })
      expect(reply.body.toString()).toBe('hello')
      expect(reply.headers['x-up']).toBe('1')
      expect((await viaGateway(gateway, upstream.url('/second'), { agent })).body.toString()).toBe('hello')
      const [first, second] = upstream.seen
      expect(first?.head.split('\r\n')[0]).toBe('GET /a?b=1 HTTP/1.1')
      expect(first?.head).toContain(`\r\nHost: 127.0.0.1:${upstream.port}`)
      expect(first?.head).toContain('\r\nx-custom: kept')
      expect(first?.head.toLowerCase()).not.toMatch(/proxy-|x-hop|wrong\.example/)
      expect(second?.connection).toBe(0)
    } finally {
      agent.destroy()
    }
  })

  it('relays large bodies byte for byte, to fast and to slow readers (Content-Length and chunked)', async () => {
    const data = randomBytes(6 * 1024 * 1024 + 13)
    const upstream = await withRawUpstream((exchange, socket) => {
      if (exchange.head.startsWith('GET /sized')) {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`)
        socket.write(data)
        return
      }
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')
      for (let at = 0; at < data.length; at += 300_000) {
        const piece = data.subarray(at, at + 300_000)
        socket.write(`${piece.length.toString(16)}\r\n`)
        socket.write(piece)
        socket.write('\r\n')
      }
      socket.write('0\r\n\r\n')
    })
    const gateway = await startGateway()
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const fetchBody = (path: string, slow: boolean): Promise<Buffer> => new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: gateway.port, path: upstream.url(path), agent, headers: { 'proxy-authorization': gateway.authorization } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => {
          chunks.push(c)
          if (slow && chunks.length % 8 === 0) {
            res.pause()
            setTimeout(() => res.resume(), 2)
          }
        })
        res.once('end', () => resolve(Buffer.concat(chunks)))
        res.once('error', reject)
      })
      req.once('error', reject)
      req.end()
    })
    const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
    try {
      for (const path of ['/sized', '/chunked']) {
        for (const slow of [false, true]) expect(digest(await fetchBody(path, slow))).toBe(digest(data))
      }
      expect(upstream.seen.map((e) => e.connection)).toEqual([0, 0, 0, 0])
    } finally {
      agent.destroy()
    }
  })

  it('relays a chunked response split at awkward places, then reuses the upstream connection', async () => {
    const upstream = await withRawUpstream((exchange, socket) => {
      if (exchange.head.startsWith('GET /next')) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext')
        return
      }
      const parts = ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5', ';ext=1\r\nhel', 'lo\r', '\n6\r\n wor', 'ld\r\n0\r\nX-Trailer: t\r\n', '\r\n']
      let i = 0
      const next = (): void => {
        const part = parts[i++]
        if (part === undefined) return
        socket.write(part)
        setTimeout(next, 5)
      }
      next()
    })
    const gateway = await startGateway()
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const reply = await viaGateway(gateway, upstream.url('/chunked'), { agent })
      expect(reply.body.toString()).toBe('hello world')
      expect(reply.headers['transfer-encoding']).toBe('chunked')
      expect((await viaGateway(gateway, upstream.url('/next'), { agent })).body.toString()).toBe('next')
      expect(upstream.seen.map((e) => e.connection)).toEqual([0, 0])
    } finally {
      agent.destroy()
    }
  })

  it('relays a body delimited by the connection closing, and does not reuse that connection', async () => {
    const upstream = await withRawUpstream((_e, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ')
      setTimeout(() => socket.end('close'), 10)
    })
    const gateway = await startGateway()
    expect((await viaGateway(gateway, upstream.url('/1'))).body.toString()).toBe('until close')
    expect((await viaGateway(gateway, upstream.url('/2'))).body.toString()).toBe('until close')
    expect(upstream.seen.map((e) => e.connection)).toEqual([0, 1])
  })

  it('does not reuse a connection the upstream marked close, or an HTTP/1.0 one', async () => {
    const upstream = await withRawUpstream((exchange, socket) => {
      if (exchange.head.startsWith('GET /close')) socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok')
      else socket.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')
    })
    const gateway = await startGateway()
    for (const path of ['/close', '/close', '/old', '/old']) expect((await viaGateway(gateway, upstream.url(path))).body.toString()).toBe('ok')
    expect(upstream.seen.map((e) => e.connection)).toEqual([0, 1, 2, 3])
  })

  it('expects no body after HEAD, 204 and 304 (the next request reuses the connection)', async () => {
    const upstream = await withRawUpstream((exchange, socket) => {
      const path = exchange.head.split(' ')[1]
      if (path === '/head') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n')
      else if (path === '/204') socket.write('HTTP/1.1 204 No Content\r\n\r\n')
      else if (path === '/304') socket.write('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n')
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    })
    const gateway = await startGateway()
    const head = await viaGateway(gateway, upstream.url('/head'), { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe('1234')
    expect((await viaGateway(gateway, upstream.url('/204'))).status).toBe(204)
    const notModified = await viaGateway(gateway, upstream.url('/304'))
    expect(notModified.status).toBe(304)
    expect(notModified.headers.etag).toBe('"x"')
    expect((await viaGateway(gateway, upstream.url('/end'))).body.toString()).toBe('ok')
    expect(upstream.seen.map((e) => e.connection)).toEqual([0, 0, 0, 0])
  })

  it('skips interim 1xx responses before the final one', async () => {
    const upstream = await withRawUpstream((_e, socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n')
      setTimeout(() => socket.write('HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone'), 5)
    })
    const gateway = await startGateway()
    const reply = await viaGateway(gateway, upstream.url('/interim'), { method: 'POST', body: Buffer.from('x') })
    expect(reply.status).toBe(201)
    expect(reply.body.toString()).toBe('done')
  })

  it('sends a chunked request body on as chunked, and a Content-Length body as it is', async () => {
    const upstream = await withRawUpstream((exchange, socket) => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${exchange.body.length}\r\n\r\n${exchange.body.toString('latin1')}`))
    const gateway = await startGateway()
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: gateway.port, method: 'POST', path: upstream.url('/chunked-up'), agent: false, headers: { 'proxy-authorization': gateway.authorization, 'transfer-encoding': 'chunked', 'expect': '100-continue' } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.once('end', () => resolve(Buffer.concat(chunks)))
      })
      req.once('error', reject)
      req.once('continue', () => {
        req.write('part one, ')
        setTimeout(() => req.end('part two'), 10)
      })
    })
    expect(reply.toString()).toBe('part one, part two')
    expect(upstream.seen[0]?.head).toMatch(/\r\nTransfer-Encoding: chunked/)
    expect(upstream.seen[0]?.head.toLowerCase()).not.toContain('expect')
    const sized = await viaGateway(gateway, upstream.url('/sized'), { method: 'PUT', body: Buffer.from('twelve bytes') })
    expect(sized.body.toString()).toBe('twelve bytes')
    expect(upstream.seen[1]?.head).toMatch(/\r\ncontent-length: 12/i)
  })

  it('cuts the client response short when the upstream resets mid-body, and keeps serving', async () => {
    const upstream = await withRawUpstream((exchange, socket) => {
      if (exchange.head.startsWith('GET /ok')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
      else {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`)
        setTimeout(() => socket.resetAndDestroy(), 20)
      }
    })
    const gateway = await startGateway()
    // On a kept-alive client connection only an abort (not an early end) tells the client.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      await expect(viaGateway(gateway, upstream.url('/reset'), { agent })).rejects.toThrow(/aborted|ECONNRESET|socket hang up/)
      expect((await viaGateway(gateway, upstream.url('/ok'), { agent })).body.toString()).toBe('ok')
    } finally {
      agent.destroy()
    }
  })

  it('retries a bodyless request once when a pooled connection turns out stale, but not a POST', async () => {
    const events: GatewayEvent[] = []
    // Every connection answers its first request, then closes without answering the next.
    const answered = new Set<number>()
    const upstream = await withRawUpstream((exchange, socket) => {
      if (answered.has(exchange.connection)) {
        socket.destroy()
        return
      }
      answered.add(exchange.connection)
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    })
    const gateway = await startGateway(() => DIRECT, events)
    expect((await viaGateway(gateway, upstream.url('/1'))).status).toBe(200)
    expect((await viaGateway(gateway, upstream.url('/2'))).status).toBe(200)
    expect(upstream.seen.map((e) => e.connection)).toEqual([0, 0, 1])
    expect(events.filter((e) => e.type === 'attempt-failed' || e.type === 'failed')).toEqual([])
    const post = await viaGateway(gateway, upstream.url('/3'), { method: 'POST', body: Buffer.from('once') })
    expect(post.status).toBe(502)
    expect(upstream.seen.filter((e) => e.head.startsWith('POST'))).toHaveLength(1)
    expect(events.filter((e) => e.type === 'failed')).toMatchObject([{ code: 'ECONNRESET', viaProxy: false }])
  })

  it('answers 502 for a malformed response head or conflicting lengths', async () => {
    const upstream = await withRawUpstream((exchange, socket) => {
      if (exchange.head.startsWith('GET /garbage')) socket.end('SMTP ready\r\n\r\n')
      else socket.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd')
    })
    const gateway = await startGateway()
    expect((await viaGateway(gateway, upstream.url('/garbage'))).status).toBe(502)
    expect((await viaGateway(gateway, upstream.url('/lengths'))).status).toBe(502)
  })

  it('answers pipelined requests in order', async () => {
    const upstream = await withRawUpstream((exchange, socket) => {
      const path = exchange.head.split(' ')[1] ?? ''
      // The first answer is slow, so the second response (its body in two parts) waits in the
      // gateway's queue while it streams.
      if (path === '/first') setTimeout(() => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${path.length}\r\n\r\n${path}`), 50)
      else {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${path.length}\r\n\r\n${path.slice(0, 4)}`)
        setTimeout(() => socket.write(path.slice(4)), 10)
      }
    })
    const gateway = await startGateway()
    const socket = netConnect({ host: '127.0.0.1', port: gateway.port })
    socket.on('error', () => undefined)
    await new Promise<void>((resolve) => socket.once('connect', resolve))
    const reader = new Reader(socket)
    const request = (path: string): string => `GET ${upstream.url(path)} HTTP/1.1\r\nHost: 127.0.0.1\r\nProxy-Authorization: ${gateway.authorization}\r\n\r\n`
    socket.write(request('/first') + request('/second-one'))
    for (const body of ['/first', '/second-one']) {
      const head = await reader.readUntil('\r\n\r\n')
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1])
      expect((await reader.read(length)).toString()).toBe(body)
    }
    socket.destroy()
  })

  it('closes the upstream connection when the client goes away before the answer', async () => {
    const upstream = await withRawUpstream(() => undefined)
    const gateway = await startGateway()
    const req = httpRequest({ host: '127.0.0.1', port: gateway.port, path: upstream.url('/never'), agent: false, headers: { 'proxy-authorization': gateway.authorization } })
    req.once('error', () => undefined)
    req.end()
    for (let i = 0; i < 100 && upstream.seen.length === 0; i++) await pause(10)
    req.destroy()
    for (let i = 0; i < 100 && upstream.closed.length === 0; i++) await pause(10)
    expect(upstream.closed).toEqual([0])
  })

  it('closes the upstream connection when the client goes away mid-body', async () => {
    const upstream = await withRawUpstream((_e, socket) => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n${'x'.repeat(1000)}`))
    const gateway = await startGateway()
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: gateway.port, path: upstream.url('/slow'), agent: false, headers: { 'proxy-authorization': gateway.authorization } }, (res) => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.once('error', () => undefined)
      req.once('timeout', () => reject(new Error('no data')))
      req.end()
    })
    for (let i = 0; i < 50 && upstream.closed.length === 0; i++) await pause(10)
    expect(upstream.closed).toEqual([0])
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
