// ses.enableNetworkEmulation / disableNetworkEmulation against real Chromium: offline, latency and
// download throughput as seen from inside a page, its cross-site iframe, its dedicated worker and
// a service worker, for pages that exist when the setting changes and pages created afterwards.
import { NavigationError, type Session, type WebContents } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'
import type { TestServer } from './fixtures/server.js'

/** What every fetcher (page, iframe, worker, service worker) reports for one fetch. */
interface FetchResult {
  ok: boolean
  bytes?: number
  error?: string
  ms: number
  onLine: boolean
}

type Where = 'page' | 'frame' | 'worker' | 'sw'
const EVERYWHERE: Where[] = ['page', 'frame', 'worker', 'sw']

// Runs inside each context. The answer goes back over a MessagePort handed along with the request.
const MEASURED_FETCH = String.raw`
async function measuredFetch(url) {
  const start = performance.now()
  try {
    const response = await fetch(url, { cache: 'no-store' })
    const body = await response.arrayBuffer()
    return { ok: response.ok, bytes: body.byteLength, ms: performance.now() - start, onLine: navigator.onLine }
  } catch (error) {
    return { ok: false, error: String(error), ms: performance.now() - start, onLine: navigator.onLine }
  }
}
`

const WORKER_SCRIPT = `${MEASURED_FETCH}
self.onmessage = (event) => { measuredFetch(event.data.url).then((result) => event.ports[0].postMessage(result)) }
`

const SERVICE_WORKER_SCRIPT = `${MEASURED_FETCH}
self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()))
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))
self.addEventListener('message', (event) => {
  event.waitUntil(measuredFetch(event.data.url).then((result) => event.ports[0].postMessage(result)))
})
`

const FRAME_PAGE = `<!doctype html><script>${MEASURED_FETCH}
window.onmessage = (event) => { measuredFetch(event.data.url).then((result) => event.ports[0].postMessage(result)) }
</script><p>frame</p>`

/**
 * /net/page.html?sw=NAME on 127.0.0.1 (a secure context, so service workers are allowed): a page
 * with a cross-site iframe (b.test), a dedicated worker and its own service worker registration
 * (scope /net/NAME/, so a page made later gets a new service worker, not the first one's).
 * `window.ready` resolves once all three run; `window.measure(where, url)` fetches from one.
 */
function topPage(frameOrigin: string): string {
  return `<!doctype html><script>${MEASURED_FETCH}
const scope = '/net/' + new URLSearchParams(location.search).get('sw') + '/'
let frameLoaded
const frameReady = new Promise((resolve) => { frameLoaded = resolve })
const worker = new Worker('/net/worker.js')
async function startServiceWorker() {
  const registration = await navigator.serviceWorker.register('/net/sw.js?scope=' + encodeURIComponent(scope), { scope })
  const sw = registration.installing || registration.waiting || registration.active
  if (sw.state !== 'activated') {
    await new Promise((resolve) => sw.addEventListener('statechange', () => { if (sw.state === 'activated') resolve() }))
  }
  return sw
}
const serviceWorker = startServiceWorker()
window.ready = Promise.all([frameReady, serviceWorker]).then(() => true)
function ask(send) {
  const channel = new MessageChannel()
  const answer = new Promise((resolve) => { channel.port1.onmessage = (event) => resolve(event.data) })
  send(channel.port2)
  return answer
}
window.measure = async (where, url) => {
  if (where === 'page') return measuredFetch(url)
  if (where === 'worker') return ask((port) => worker.postMessage({ url }, [port]))
  if (where === 'frame') return ask((port) => document.getElementById('frame').contentWindow.postMessage({ url }, '*', [port]))
  const sw = await serviceWorker
  return ask((port) => sw.postMessage({ url }, [port]))
}
</script>
<iframe id="frame" src="${frameOrigin}/net/frame.html" onload="frameLoaded()"></iframe>`
}

function serveNetPages(server: TestServer): void {
  const frameOrigin = `http://b.test:${server.port}`
  server.setContent('/net/page.html', topPage(frameOrigin), 'text/html; charset=utf-8', { 'Cache-Control': 'no-store' })
  server.setContent('/net/frame.html', FRAME_PAGE, 'text/html; charset=utf-8', { 'Cache-Control': 'no-store' })
  server.setContent('/net/worker.js', WORKER_SCRIPT, 'text/javascript', { 'Cache-Control': 'no-store' })
  server.setContent('/net/sw.js', SERVICE_WORKER_SCRIPT, 'text/javascript', { 'Cache-Control': 'no-store' })
  server.setContent('/net/ping', 'pong', 'text/plain', { 'Cache-Control': 'no-store' })
}

/** A page of `session` with its iframe, dedicated worker and service worker running. */
async function openNetPage(session: Session, server: TestServer, sw: string): Promise<WebContents> {
  const wc = await session.createWebContents()
  await wc.loadURL(server.url(`/net/page.html?sw=${sw}`))
  expect(await wc.executeJavaScript('window.ready')).toBe(true)
  return wc
}

let pings = 0
/** A relative URL each context resolves against its own origin; unique so nothing is reused. */
function ping(): string {
  return `/net/ping?n=${++pings}`
}

function measure(wc: WebContents, where: Where, url: string): Promise<FetchResult> {
  return wc.executeJavaScript(`window.measure(${JSON.stringify(where)}, ${JSON.stringify(url)})`) as Promise<FetchResult>
}

/** The fastest of a few fetches: the cost of a request with no emulation on this machine. */
async function baseline(wc: WebContents, where: Where): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const result = await measure(wc, where, ping())
    expect(result.ok, `${where} baseline fetch`).toBe(true)
    times.push(result.ms)
  }
  return Math.min(...times)
}

describe('ses.enableNetworkEmulation', () => {
  test('offline: an existing page, its cross-site iframe, dedicated worker and service worker lose the network; disable restores it', async ({ session, server }) => {
    serveNetPages(server)
    const wc = await openNetPage(session, server, 'offline')
    for (const where of EVERYWHERE) {
      expect(await measure(wc, where, ping()), `${where} before`).toMatchObject({ ok: true, bytes: 4, onLine: true })
    }

    await session.enableNetworkEmulation({ offline: true })
    const seenBefore = server.requestCount('/net/ping')
    expect(await wc.executeJavaScript('navigator.onLine')).toBe(false)
    for (const where of EVERYWHERE) {
      const result = await measure(wc, where, ping())
      expect(result.ok, `${where} offline: ${JSON.stringify(result)}`).toBe(false)
      expect(result.error, where).toMatch(/TypeError: Failed to fetch/)
    }
    // None of them reached the server.
    expect(server.requestCount('/net/ping')).toBe(seenBefore)

    await session.disableNetworkEmulation()
    expect(await wc.executeJavaScript('navigator.onLine')).toBe(true)
    for (const where of EVERYWHERE) {
      expect(await measure(wc, where, ping()), `${where} after disable`).toMatchObject({ ok: true, bytes: 4, onLine: true })
    }
    expect(server.requestCount('/net/ping')).toBe(seenBefore + EVERYWHERE.length)
  })

  test('offline: the navigator of every context reports it', async ({ session, server }) => {
    serveNetPages(server)
    const wc = await openNetPage(session, server, 'online-flag')
    await session.enableNetworkEmulation({ offline: true })
    const flags = Object.fromEntries(await Promise.all(EVERYWHERE.map(async (where) => [where, (await measure(wc, where, ping())).onLine])))
    expect(flags).toEqual({ page: false, frame: false, worker: false, sw: false })
  })

  test('offline: a page created afterwards fails to load with ERR_INTERNET_DISCONNECTED; another session stays online', async ({ browser, session, server }) => {
    server.setContent('/net/ping', 'pong', 'text/plain', { 'Cache-Control': 'no-store' })
    await session.enableNetworkEmulation({ offline: true })
    const other = browser.session.fromPartition(`net-other-${process.pid}-${Date.now()}`)
    try {
      const wc = await session.createWebContents()
      expect(await wc.executeJavaScript('navigator.onLine')).toBe(false)
      const url = server.url('/title.html?offline')
      const error = await wc.loadURL(url).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(NavigationError)
      expect((error as NavigationError).errorCode).toBe(-106)
      expect((error as NavigationError).message).toBe(`ERR_INTERNET_DISCONNECTED (-106) loading '${url}'`)
      expect(server.requestCount('/title.html')).toBe(0)

      // At the same time, a page of another session loads and fetches normally.
      const theirs = await other.createWebContents()
      await theirs.loadURL(server.url('/title.html?other'))
      expect(await theirs.executeJavaScript('navigator.onLine')).toBe(true)
      expect(await theirs.executeJavaScript(`fetch('/net/ping', { cache: 'no-store' }).then((r) => r.text())`)).toBe('pong')

      await session.disableNetworkEmulation()
      await wc.loadURL(server.url('/title.html?online-again'))
      expect(await wc.executeJavaScript('navigator.onLine')).toBe(true)
    } finally {
      await other.close()
    }
  })

  // Chromium holds each response until `latency` ms after its request started: the latency
  // overlaps the server's own time instead of adding to it (measured: /slow?ms=100 takes 504-509 ms
  // under latency 500, 107-116 ms without). So a request takes ≥ 500 ms, which for this loopback
  // server (baseline 4-11 ms) is ~500 ms more than without; the margin over baseline+500 is only a
  // few ms, hence the 450 ms floor on the difference rather than 500.
  test('latency: +500 ms per request for existing and new pages, frames and workers; disable restores', async ({ session, server }) => {
    serveNetPages(server)
    const present = await openNetPage(session, server, 'latency-present')
    const base: Partial<Record<Where, number>> = {}
    for (const where of EVERYWHERE) base[where] = await baseline(present, where)

    await session.enableNetworkEmulation({ latency: 500 })
    const future = await openNetPage(session, server, 'latency-future')
    const slow: string[] = []
    for (const [name, wc] of [['present', present], ['future', future]] as const) {
      for (const where of EVERYWHERE) {
        const result = await measure(wc, where, ping())
        expect(result.ok, `${name} ${where}`).toBe(true)
        const detail = `${name} ${where}: ${Math.round(result.ms)} ms vs baseline ${Math.round(base[where] ?? 0)} ms`
        expect(result.ms, detail).toBeGreaterThanOrEqual(500)
        expect(result.ms - (base[where] ?? 0), detail).toBeGreaterThanOrEqual(450)
        slow.push(`${name} ${where} ${Math.round(result.ms)}`)
      }
    }

    await session.disableNetworkEmulation()
    const fast: string[] = []
    for (const [name, wc] of [['present', present], ['future', future]] as const) {
      for (const where of EVERYWHERE) {
        const result = await measure(wc, where, ping())
        expect(result.ok, `${name} ${where}`).toBe(true)
        expect(result.ms, `${name} ${where} after disable`).toBeLessThan(300)
        fast.push(`${name} ${where} ${Math.round(result.ms)}`)
      }
    }
    console.log(`[network-emulation] baseline ms ${JSON.stringify(base, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}; latency 500: ${slow.join(', ')}; disabled: ${fast.join(', ')}`)
  })

  test('downloadThroughput 16 KiB/s: 64 KiB take ≥ 3.5 s in existing and new pages, not in another session; disable restores', async ({ browser, session, server }) => {
    const url = '/bytes?size=65536'
    const fetch64k = (wc: WebContents): Promise<FetchResult> =>
      wc.executeJavaScript(`(async () => {
        const start = performance.now()
        const body = await fetch(${JSON.stringify(url)}, { cache: 'no-store' }).then((r) => r.arrayBuffer())
        return { ok: true, bytes: body.byteLength, ms: performance.now() - start, onLine: navigator.onLine }
      })()`) as Promise<FetchResult>
    const other = browser.session.fromPartition(`net-other-${process.pid}-${Date.now()}`)
    try {
      const present = await session.createWebContents()
      await present.loadURL(server.url('/title.html?present'))
      const theirs = await other.createWebContents()
      await theirs.loadURL(server.url('/title.html?theirs'))

      await session.enableNetworkEmulation({ downloadThroughput: 16 * 1024 })
      const future = await session.createWebContents()
      await future.loadURL(server.url('/title.html?future'))
      const [p, f, o] = await Promise.all([fetch64k(present), fetch64k(future), fetch64k(theirs)])
      console.log(`[network-emulation] 64 KiB at 16 KiB/s: present ${Math.round(p.ms)} ms, future ${Math.round(f.ms)} ms, other session ${Math.round(o.ms)} ms`)
      expect([p.bytes, f.bytes, o.bytes]).toEqual([65536, 65536, 65536])
      expect(p.ms).toBeGreaterThanOrEqual(3500)
      expect(f.ms).toBeGreaterThanOrEqual(3500)
      expect(o.ms).toBeLessThan(1000)

      await session.disableNetworkEmulation()
      const [p2, f2] = await Promise.all([fetch64k(present), fetch64k(future)])
      expect(p2.ms).toBeLessThan(1000)
      expect(f2.ms).toBeLessThan(1000)
    } finally {
      await other.close()
    }
  })
})
