/**
 * The session gateway's cost (issue #5): the same page work in a session whose traffic goes
 * through its gateway (the default) and in one made with `{ gateway: false }` (Chromium
 * connects directly), in one browser. The "raw floor" column is the direct session.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { CHROMIUM_PATH, describeError, quietly } from '../lib/browsers.js'
import { RELAY_LABELS, relayProxyArgs, startRelay, type RelayMode } from '../lib/relay.js'
import { listenLocal, type LocalServer } from '../lib/server.js'
import type { Contender, Goals, PreparedScenario, Scenario } from '../lib/types.js'

const BIG_BYTES = 32 * 1024 * 1024
const SMALL_FETCHES = 50
const SOCKETS = 10

interface Page {
  loadURL(url: string): Promise<unknown>
  executeJavaScript(code: string): Promise<unknown>
}
interface GatewaySession {
  createWebContents(): Promise<Page>
  close(): Promise<unknown>
}
interface GatewayBrowser {
  session: { defaultSession: GatewaySession; fromPartition(partition: string, options?: { gateway?: boolean }): GatewaySession }
  close(): Promise<unknown>
}
interface LaunchOptions {
  executablePath: string
  gateway?: boolean
  args?: string[]
}

async function launch(options: Omit<LaunchOptions, 'executablePath'> = {}): Promise<GatewayBrowser> {
  const specifier: string = 'cdp-session'
  try {
    const mod = (await import(specifier)) as { launch(options: LaunchOptions): Promise<GatewayBrowser> }
    return await mod.launch({ executablePath: CHROMIUM_PATH, ...options })
  } catch (error) {
    throw new Error(`cannot launch cdp-session: ${describeError(error)}`)
  }
}

/**
 * /big (32 MiB), /small (2 bytes), / (a page), and a bare WebSocket endpoint on any path. Paths
 * also come in absolute form (`GET http://127.0.0.1:PORT/big`), as a relay passes them on.
 */
async function serve(): Promise<LocalServer> {
  const big = Buffer.alloc(BIG_BYTES, 0x61)
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://base.invalid').pathname
    if (path === '/big') res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length, 'cache-control': 'no-store' }).end(big)
    else if (path === '/small') res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2, 'cache-control': 'no-store' }).end('ok')
    else res.writeHead(200, { 'content-type': 'text/html', 'content-length': 15 }).end('<!doctype html>')
  })
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    const key = req.headers['sec-websocket-key'] ?? ''
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
    socket.on('data', () => socket.destroy())
    socket.on('error', () => socket.destroy())
  })
  return listenLocal(server)
}

/**
 * The gateway session ('cdp-session'), the direct one (the floor) and, with `relays`, the
 * default session of a browser launched with a reference relay as its proxy.
 */
function contenders(origin: string, work: (page: Page) => Promise<unknown>, relays: boolean): Contender[] {
  const opened = async (session: GatewaySession): Promise<() => Promise<unknown>> => {
    const page = await session.createWebContents()
    await page.loadURL(`${origin}/`)
    return () => work(page)
  }
  const variant = (gateway: boolean): Contender => ({
    id: gateway ? 'cdp-session' : 'raw-cdp',
    label: gateway ? 'cdp-session (gateway)' : 'cdp-session, gateway: false (direct)',
    async start() {
      const browser = await launch()
      const run = await opened(browser.session.fromPartition(`bench-gateway-${String(gateway)}`, { gateway }))
      return {
        iteration: () => run().then(() => undefined),
        close: () => quietly(() => browser.close()),
      }
    },
  })
  const relayed = (mode: RelayMode): Contender => ({
    id: `relay-${mode}`,
    label: RELAY_LABELS[mode],
    async start() {
      const relay = await startRelay(Number(new URL(origin).port), mode)
      try {
        const browser = await launch({ gateway: false, args: relayProxyArgs(relay) })
        const run = await opened(browser.session.defaultSession).catch(async (error: unknown) => {
          await quietly(() => browser.close())
          throw error
        })
        return {
          iteration: () => run().then(() => undefined),
          close: async () => {
            await quietly(() => browser.close())
            await relay.close()
          },
        }
      } catch (error) {
        await relay.close()
        throw error
      }
    },
  })
  return [variant(true), variant(false), ...(relays ? [relayed('splice'), relayed('copy'), relayed('node')] : [])]
}

interface Options {
  goals: Goals
  /** Also time the reference relays (they pass bytes only: no CONNECT). */
  relays: boolean
  rounds?: number
}

function scenario(id: string, title: string, description: string, work: (page: Page) => Promise<unknown>, options: Options): Scenario {
  return {
    id,
    title,
    description,
    goals: options.goals,
    ...(options.rounds === undefined ? {} : { rounds: options.rounds }),
    async prepare(): Promise<PreparedScenario> {
      const fixture = await serve()
      return { contenders: contenders(fixture.origin, work, options.relays), dispose: () => fixture.close() }
    },
  }
}

const RELAYS =
  ' Beside the direct floor, the same work goes through a reference relay in C in front of the server, ' +
  'once moving bytes with splice(2) (zero-copy) and once with read/write: what any proxy hop costs on this machine; ' +
  'and through its Node counterpart (`stream.pipe`, no HTTP parsing): what a hop through Node costs before any proxy logic.'

export const gatewayThroughput = scenario(
  'gateway-throughput',
  'Gateway: bulk transfer (32 MiB fetch) through the gateway vs direct',
  `A page of the session fetches a ${BIG_BYTES / 1024 / 1024} MiB body from 127.0.0.1 and reads it to the end. ` +
    'Goal (issue #17): at least 0.95× direct throughput, i.e. at most 1.053× the direct time. ' +
    'The contenders alternate every iteration.' +
    RELAYS,
  (page) => page.executeJavaScript(`fetch('/big').then((r) => r.arrayBuffer()).then((b) => b.byteLength)`),
  { goals: { vsRaw: 1.053 }, relays: true, rounds: Number.MAX_SAFE_INTEGER },
)

export const gatewayLatency = scenario(
  'gateway-latency',
  `Gateway: ${SMALL_FETCHES} sequential small requests`,
  `A page of the session makes ${SMALL_FETCHES} sequential fetch() calls for a 2-byte body (keep-alive). ` +
    `Added latency per request = (gateway median − direct median) / ${SMALL_FETCHES}; goal (issue #17) < 0.3 ms. ` +
    'The contenders alternate every iteration.' +
    RELAYS,
  (page) => page.executeJavaScript(`(async () => { for (let i = 0; i < ${SMALL_FETCHES}; i++) await (await fetch('/small?' + i)).text() })()`),
  { goals: { addedMs: { ms: 0.3, units: SMALL_FETCHES, unit: 'request' } }, relays: true, rounds: Number.MAX_SAFE_INTEGER },
)

export const gatewayConnect = scenario(
  'gateway-connect',
  `Gateway: ${SOCKETS} WebSocket connections (CONNECT setup)`,
  `A page of the session opens ${SOCKETS} WebSockets one after the other and closes each once open: through the gateway ` +
    'each is a CONNECT tunnel (Chromium tunnels ws:// through HTTP proxies).',
  (page) =>
    page.executeJavaScript(`(async () => {
      const origin = location.origin.replace('http', 'ws')
      for (let i = 0; i < ${SOCKETS}; i++) {
        await new Promise((resolve, reject) => {
          const ws = new WebSocket(origin + '/ws' + i)
          ws.onopen = () => { ws.close(); resolve() }
          ws.onerror = () => reject(new Error('websocket failed'))
        })
      }
    })()`),
  { goals: { vsRaw: 2 }, relays: false },
)
