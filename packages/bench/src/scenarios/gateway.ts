/**
 * The session gateway's cost (issue #5): the same page work in a session whose traffic goes
 * through its gateway (the default) and in one made with `{ gateway: false }` (Chromium
 * connects directly), in one browser. The "raw floor" column is the direct session.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { CHROMIUM_PATH, describeError, quietly } from '../lib/browsers.js'
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
  session: { fromPartition(partition: string, options?: { gateway?: boolean }): GatewaySession }
  close(): Promise<unknown>
}

async function launch(): Promise<GatewayBrowser> {
  const specifier: string = 'cdp-session'
  try {
    const mod = (await import(specifier)) as { launch(options: { executablePath: string }): Promise<GatewayBrowser> }
    return await mod.launch({ executablePath: CHROMIUM_PATH })
  } catch (error) {
    throw new Error(`cannot launch cdp-session: ${describeError(error)}`)
  }
}

/** /big (32 MiB), /small (2 bytes), / (a page), and a bare WebSocket endpoint on any path. */
async function serve(): Promise<LocalServer> {
  const big = Buffer.alloc(BIG_BYTES, 0x61)
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
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

/** Two contenders: the gateway session ('cdp-session') and the direct one (the floor). */
function contenders(origin: string, work: (page: Page) => Promise<unknown>): Contender[] {
  const variant = (gateway: boolean): Contender => ({
    id: gateway ? 'cdp-session' : 'raw-cdp',
    label: gateway ? 'cdp-session (gateway)' : 'cdp-session, gateway: false (direct)',
    async start() {
      const browser = await launch()
      const session = browser.session.fromPartition(`bench-gateway-${String(gateway)}`, { gateway })
      const page = await session.createWebContents()
      await page.loadURL(`${origin}/`)
      return {
        iteration: () => work(page).then(() => undefined),
        close: () => quietly(() => browser.close()),
      }
    },
  })
  return [variant(true), variant(false)]
}

function scenario(id: string, title: string, description: string, work: (page: Page) => Promise<unknown>, goals: Goals): Scenario {
  return {
    id,
    title,
    description,
    goals,
    async prepare(): Promise<PreparedScenario> {
      const fixture = await serve()
      return { contenders: contenders(fixture.origin, work), dispose: () => fixture.close() }
    },
  }
}

export const gatewayThroughput = scenario(
  'gateway-throughput',
  'Gateway: bulk transfer (32 MiB fetch) through the gateway vs direct',
  `A page of the session fetches a ${BIG_BYTES / 1024 / 1024} MiB body from 127.0.0.1 and reads it to the end. ` +
    'Goal: at least 0.9× direct throughput, i.e. at most 1.11× the direct time.',
  (page) => page.executeJavaScript(`fetch('/big').then((r) => r.arrayBuffer()).then((b) => b.byteLength)`),
  { vsRaw: 1.11 },
)

export const gatewayLatency = scenario(
  'gateway-latency',
  `Gateway: ${SMALL_FETCHES} sequential small requests`,
  `A page of the session makes ${SMALL_FETCHES} sequential fetch() calls for a 2-byte body (keep-alive). ` +
    `Added latency per request = (gateway median − direct median) / ${SMALL_FETCHES}; goal < 1 ms.`,
  (page) => page.executeJavaScript(`(async () => { for (let i = 0; i < ${SMALL_FETCHES}; i++) await (await fetch('/small?' + i)).text() })()`),
  { addedMs: { ms: 1, units: SMALL_FETCHES, unit: 'request' } },
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
  { vsRaw: 2 },
)
