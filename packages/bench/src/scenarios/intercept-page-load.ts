/**
 * A page with 200 subresources, twice: page-load-200 with no hook at all (what interception and
 * the gateway cost while idle), and intercept-page-load under pass-through request interception
 * (cdp-session `webRequest.onBeforeRequest` vs Playwright `context.route('**', continue)` vs
 * Puppeteer `setRequestInterception` + `continue()`). raw CDP loads the page with no
 * interception in both (the floor). The server counts each iteration's requests: a lost one fails it.
 */
import { createServer, type Server } from 'node:http'
import { listenLocal, type LocalServer } from '../lib/server.js'
import { launchCdpSession, launchPlaywright, launchPuppeteer, launchRaw, quietly } from '../lib/browsers.js'
import { relayProxyArgs, startRelay, type Relay, type RelayMode } from '../lib/relay.js'
import type { Contender, Scenario } from '../lib/types.js'

const SUBRESOURCES = 200
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
const page = (n: string): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>200 subresources</title></head><body>${Array.from(
    { length: SUBRESOURCES },
    (_, i) => `<img src="/img/${i}.gif?n=${n}">`,
  ).join('')}</body></html>`

/** The slice of cdp-session's webRequest the scenario uses (the bench does not import the library's types). */
interface Intercepting {
  webRequest: { onBeforeRequest(listener: (details: unknown, callback: (response: object) => void) => void): void }
}

/** Every image must have arrived: a lost request would leave an image broken. */
const COUNT_LOADED = `[...document.images].filter((img) => img.complete && img.naturalWidth === 1).length`

/** Requests the fixture server received per iteration number (page + images). */
type Counts = Map<string, number>

function contenders(origin: string, counts: Counts, hook: boolean): Contender[] {
  // Iteration numbers restart per contender: the key names the contender too.
  const key = (label: string, n: number): string => `${label.replaceAll(' ', '-')}.${n}`
  const url = (label: string, n: number): string => `${origin}/page.html?n=${key(label, n)}`
  const check = (label: string, loaded: unknown, n: number): void => {
    if (loaded !== SUBRESOURCES) throw new Error(`${label}: ${String(loaded)} of ${SUBRESOURCES} subresources loaded`)
    // Every request reached the server exactly once (no lost request, none served twice).
    const received = counts.get(key(label, n)) ?? 0
    if (received !== SUBRESOURCES + 1) throw new Error(`${label}: the server received ${received} of ${SUBRESOURCES + 1} requests`)
  }
  /**
   * Raw CDP on one page of its own context; with `intercept`, every request paused and continued;
   * with `relayed`, the browser's proxy is that reference relay in front of the server: the
   * least any proxy hop (relay.c, read/write) or any hop through Node (relay.mjs) costs on this page.
   */
  const rawContender = (id: 'raw-cdp' | 'raw-cdp-fetch' | 'relay-copy' | 'relay-node', label: string, intercept: boolean, relayed?: RelayMode): Contender => ({
    id,
    label,
    async start() {
      const relay: Relay | undefined = relayed ? await startRelay(Number(new URL(origin).port), relayed) : undefined
      const raw = await launchRaw(relay ? relayProxyArgs(relay) : []).catch(async (error: unknown) => {
        await relay?.close()
        throw error
      })
      const closeAll = async (): Promise<void> => {
        await raw.close()
        await relay?.close()
      }
      const conn = raw.connection
      const { browserContextId } = await conn.send('Target.createBrowserContext')
      const { targetId } = await conn.send('Target.createTarget', { url: 'about:blank', browserContextId })
      const { sessionId } = await conn.send('Target.attachToTarget', { targetId, flatten: true })
      const page = conn.session(sessionId)
      if (!page) throw new Error(`no CDP session object for ${sessionId}`)
      if (intercept) {
        page.on('Fetch.requestPaused', (event: { requestId: string }) => {
          page.send('Fetch.continueRequest', { requestId: event.requestId }).catch(() => undefined)
        })
      }
      await Promise.all([page.send('Page.enable'), intercept ? page.send('Fetch.enable', { patterns: [{ urlPattern: '*' }] }) : undefined])
      return {
        async iteration(n) {
          const loaded = new Promise<void>((resolve) => page.once('Page.loadEventFired', () => resolve()))
          const nav = await page.send('Page.navigate', { url: url(id, n) })
          if (nav.errorText) throw new Error(`navigation failed: ${nav.errorText}`)
          await loaded
          const { result } = await page.send('Runtime.evaluate', { expression: COUNT_LOADED, returnByValue: true })
          check(id, result.value, n)
        },
        close: closeAll,
      }
    },
  })
  const all: Contender[] = [
    {
      id: 'cdp-session',
      label: hook ? 'cdp-session (webRequest.onBeforeRequest)' : 'cdp-session (no hook)',
      async start() {
        const browser = await launchCdpSession()
        const ses = await browser.session.fromPartition('bench-intercept')
        if (hook) (ses as unknown as Intercepting).webRequest.onBeforeRequest((_details, callback) => callback({}))
        const wc = (await ses.createWebContents()) as { loadURL(url: string): Promise<unknown>; executeJavaScript(code: string): Promise<unknown> }
        return {
          async iteration(n) {
            await wc.loadURL(url('cdp-session', n))
            check('cdp-session', await wc.executeJavaScript(COUNT_LOADED), n)
          },
          close: () => quietly(() => browser.close()),
        }
      },
    },
    {
      id: 'playwright',
      label: hook ? "Playwright (context.route('**', continue))" : 'Playwright (no route)',
      async start() {
        const browser = await launchPlaywright()
        const context = await browser.newContext()
        if (hook) await context.route('**', (route) => route.continue())
        const page = await context.newPage()
        return {
          async iteration(n) {
            await page.goto(url('Playwright', n), { waitUntil: 'load' })
            check('Playwright', await page.evaluate(COUNT_LOADED), n)
          },
          close: () => quietly(() => browser.close()),
        }
      },
    },
    {
      id: 'puppeteer',
      label: hook ? 'Puppeteer (setRequestInterception + continue)' : 'Puppeteer (no interception)',
      async start() {
        const browser = await launchPuppeteer()
        const context = await browser.createBrowserContext()
        const page = await context.newPage()
        if (hook) {
          await page.setRequestInterception(true)
          page.on('request', (request) => {
            void request.continue()
          })
        }
        return {
          async iteration(n) {
            await page.goto(url('Puppeteer', n), { waitUntil: 'load' })
            check('Puppeteer', await page.evaluate(COUNT_LOADED), n)
          },
          close: () => quietly(() => browser.close()),
        }
      },
    },
    rawContender('raw-cdp', 'raw CDP, no interception (floor)', false),
  ]
  // The floor of interception itself: the fewest commands that pause and continue every request.
  if (hook) all.push(rawContender('raw-cdp-fetch', 'raw CDP, Fetch.requestPaused → continueRequest (interception floor)', true))
  // The floor of a proxy hop: raw CDP, no interception, every request through a relay in C;
  // and the floor of a hop through Node, the gateway's runtime, before any proxy logic.
  if (!hook) {
    all.push(rawContender('relay-copy', 'raw CDP through a reference relay in C, read/write (proxy-hop floor)', false, 'copy'))
    all.push(rawContender('relay-node', 'raw CDP through a reference relay in Node, stream.pipe (Node-hop floor)', false, 'node'))
  }
  {
    // The same library without its session gateway: what the gateway's hop costs on this page.
    all.splice(1, 0, {
      id: 'cdp-session-baseline',
      label: hook ? 'cdp-session (webRequest.onBeforeRequest, gateway: false)' : 'cdp-session (no hook, gateway: false)',
      async start() {
        const browser = await launchCdpSession({ gateway: false })
        const ses = await browser.session.fromPartition('bench-direct')
        if (hook) (ses as unknown as Intercepting).webRequest.onBeforeRequest((_details, callback) => callback({}))
        const wc = (await ses.createWebContents()) as { loadURL(url: string): Promise<unknown>; executeJavaScript(code: string): Promise<unknown> }
        return {
          async iteration(n) {
            await wc.loadURL(url('cdp-session-direct', n))
            check('cdp-session-direct', await wc.executeJavaScript(COUNT_LOADED), n)
          },
          close: () => quietly(() => browser.close()),
        }
      },
    })
  }
  return all
}

function serve(counts: Counts): Promise<LocalServer> {
  const server: Server = createServer((req, res) => {
    // Through the reference relay requests come in absolute form (`GET http://127.0.0.1:PORT/img/…`).
    const { pathname: path, searchParams } = new URL(req.url ?? '/', 'http://base.invalid')
    const n = searchParams.get('n')
    if (n !== null) counts.set(n, (counts.get(n) ?? 0) + 1)
    if (path === '/page.html') {
      const body = page(n ?? '')
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' }).end(body)
    } else if (path.startsWith('/img/')) {
      res.writeHead(200, { 'content-type': 'image/gif', 'content-length': GIF.length, 'cache-control': 'no-store' }).end(GIF)
    } else {
      res.writeHead(404, { 'content-length': '0' }).end()
    }
  })
  return listenLocal(server)
}

export const interceptPageLoad: Scenario = {
  id: 'intercept-page-load',
  title: 'A page with 200 subresources under pass-through interception',
  description:
    `Per iteration: load a page with ${SUBRESOURCES} images (1×1 GIFs, \`no-store\`, from a local HTTP server on ` +
    '127.0.0.1) in an already open page of an isolated context, wait for `load`, and check that every image ' +
    'arrived and that the server received each of the iteration\'s 201 requests once. Every request is intercepted and let through unchanged: cdp-session ' +
    '`ses.webRequest.onBeforeRequest((d, cb) => cb({}))`; Playwright `context.route("**", r => r.continue())`; ' +
    'Puppeteer `page.setRequestInterception(true)` + `request.continue()`. raw CDP loads the same page with no ' +
    'interception at all (the floor). cdp-session\'s context also sends every request through its session ' +
    'gateway (issue #5); the others go direct.',
  goals: { vsPlaywright: 0.75 },
  async prepare() {
    const counts: Counts = new Map()
    const server = await serve(counts)
    return { contenders: contenders(server.origin, counts, true), dispose: () => server.close() }
  },
}

export const pageLoad200: Scenario = {
  id: 'page-load-200',
  title: 'A page with 200 subresources, no hook',
  description:
    `The same page and checks as intercept-page-load (${SUBRESOURCES} images, every request counted by the server), ` +
    'with nothing intercepted by anyone: cdp-session with no webRequest hook, protocol handler or login listener ' +
    '(its context still goes through its session gateway; also shown with `launch({ gateway: false })`, no goal), Playwright with no route, Puppeteer with no request ' +
    'interception, raw CDP as the floor. Issue #17: what an idle session costs. The last two rows load the page with raw CDP through ' +
    'the bench\'s reference relays (the browser\'s `--proxy-server`): relay.c (read/write), what any proxy hop costs on this page, ' +
    'and relay.mjs (Node, `stream.pipe`, no HTTP parsing), what a hop through Node costs before any proxy logic.',
  goals: { vsPlaywright: 0.8, vsRaw: 1.1 },
  async prepare() {
    const counts: Counts = new Map()
    const server = await serve(counts)
    return { contenders: contenders(server.origin, counts, false), dispose: () => server.close() }
  },
}
