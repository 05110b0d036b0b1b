// The gateway's door (issue #19): only its session's credentials get through, on every request of
// a connection and not just the first; what a client without them sends reaches nothing; message
// heads that could smuggle a second request are refused. Raw sockets on 127.0.0.1 only.
import { createServer, type Server } from 'node:http'
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SessionGateway, type ProxyChoice } from '../src/net/gateway.js'
import { parseProxyConfig, resolveProxyString } from '../src/net/proxy-config.js'
import { warningsOf } from './fixtures/warnings.js'

const DIRECT: ProxyChoice[] = [{ scheme: 'direct' }]
let upstream: Server
let upstreamPort = 0
const reached: string[] = []
let gateway: SessionGateway

beforeAll(async () => {
  upstream = createServer((req, res) => {
    reached.push(`${req.method} ${req.url}`)
    req.resume()
    req.on('end', () => res.end('ok'))
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  upstreamPort = (upstream.address() as AddressInfo).port
  gateway = await SessionGateway.start({ route: () => DIRECT, lookup: () => Promise.resolve(['127.0.0.1']) })
})
afterAll(async () => {
  await gateway.close()
  await new Promise<void>((resolve) => upstream.close(() => resolve()))
})

/** Writes `text` raw to the gateway and collects everything it answers until it closes or goes quiet. */
async function raw(text: string, quietMs = 400): Promise<string> {
  const socket: Socket = netConnect({ host: '127.0.0.1', port: gateway.port })
  socket.on('error', () => undefined)
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  let answer = ''
  socket.setEncoding('latin1')
  return new Promise((resolve) => {
    let timer = setTimeout(finish, quietMs)
    function finish(): void {
      socket.destroy()
      resolve(answer)
    }
    socket.on('data', (chunk: string) => {
      answer += chunk
      clearTimeout(timer)
      timer = setTimeout(finish, quietMs)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(answer)
    })
    socket.write(text)
  })
}

const statuses = (answer: string): number[] => [...answer.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]))

describe('the gateway lets only its session through', () => {
  const target = (path: string): string => `http://127.0.0.1:${upstreamPort}${path}`
  const auth = (): string => `Proxy-Authorization: ${gateway.authorization}\r\n`

  it('a request without credentials, with wrong ones, or with another scheme gets 407 and reaches nothing', async () => {
    reached.length = 0
    for (const header of ['', 'Proxy-Authorization: Basic Y2RwLXNlc3Npb246d3Jvbmc=\r\n', `Proxy-Authorization: Bearer ${gateway.password}\r\n`]) {
      const answer = await raw(`GET ${target('/no')} HTTP/1.1\r\nHost: 127.0.0.1\r\n${header}\r\n`)
      expect(statuses(answer)).toEqual([407])
      expect(answer).toMatch(/Proxy-Authenticate: Basic/)
    }
    expect(reached).toEqual([])
  })

  it('credentials are checked on every request of a kept-alive connection, pipelined ones included', async () => {
    reached.length = 0
    const answer = await raw(
      `GET ${target('/first')} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth()}\r\n` + `GET ${target('/second')} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    )
    expect(statuses(answer)).toEqual([200, 407])
    expect(reached).toEqual(['GET /first'])
  })

  it('CONNECT and WebSocket upgrades without credentials get 407 and dial nothing', async () => {
    reached.length = 0
    const connectAnswer = await raw(`CONNECT 127.0.0.1:${upstreamPort} HTTP/1.1\r\nHost: 127.0.0.1:${upstreamPort}\r\n\r\nGET /tunnelled HTTP/1.1\r\nHost: x\r\n\r\n`)
    expect(statuses(connectAnswer)).toEqual([407])
    const upgradeAnswer = await raw(`GET ${target('/ws')} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`)
    expect(statuses(upgradeAnswer)).toEqual([407])
    expect(reached).toEqual([])
  })

  it('heads that could smuggle a request are refused before any upstream sees them', async () => {
    reached.length = 0
    const smuggling = [
      // A bare CR inside a field value.
      `GET ${target('/cr')} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth()}X-Test: a\rGET /smuggled HTTP/1.1\r\n\r\n`,
      // Two different Content-Lengths.
      `POST ${target('/cl')} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth()}Content-Length: 3\r\nContent-Length: 40\r\n\r\nabc`,
      // A folded (obsolete line-folding) header.
      `GET ${target('/fold')} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth()}X-Test: a\r\n b\r\n\r\n`,
      // White space between a field name and its colon.
      `GET ${target('/space')} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth()}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
    ]
    for (const text of smuggling) {
      const answer = await raw(text)
      expect(statuses(answer), JSON.stringify(text)).toEqual([400])
    }
    expect(reached).toEqual([])
  })

  it('listens on 127.0.0.1 only', () => {
    expect(gateway.host).toBe('127.0.0.1')
    expect(gateway.proxyServer).toBe(`127.0.0.1:${gateway.port}`)
  })
})

describe('no header injection through settings', () => {
  it.each([
    ['http=evil.test:80\r\nX-Injected: 1'],
    ['evil.test:80\nHost: other.test'],
    ['socks5://a.test:1080\r\n\r\nGET / HTTP/1.1'],
  ])('proxy rules with CR/LF (%j): nothing with a line break survives into a route', (rules) => {
    let answer = ''
    warningsOf(() => {
      answer = resolveProxyString(parseProxyConfig({ proxyRules: rules }), 'http://example.com/')
    })
    expect(answer).not.toMatch(/[\r\n]/)
    expect(answer).not.toContain('X-Injected')
    expect(answer).not.toContain('Host:')
  })
})
