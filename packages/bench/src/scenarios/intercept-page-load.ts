/**
 * intercept-page-load: a page with 200 subresources loaded under pass-through request interception.
 * cdp-session `webRequest.onBeforeRequest` vs Playwright `context.route('**', continue)` vs Puppeteer
 * `setRequestInterception` + `continue()`, with raw CDP (no interception at all) as the floor.
 */
import { createServer, type Server } from 'node:http'
import { listenLocal, type LocalServer } from '../lib/server.js'
import { launchCdpSession, launchPlaywright, launchPuppeteer, launchRaw, quietly } from '../lib/browsers.js'
import type { Contender, Scenario } from '../lib/types.js'

const SUBRESOURCES = 200
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>200 subresources</title></head><body>${Array.from(
  { length: SUBRESOURCES },
  (_, i) => `<img src="/img/${i}.gif">`,
).join('')}</body></html>`

/** The slice of cdp-session's webRequest the scenario uses (the bench does not import the library's types). */
interface Intercepting {
  webRequest: { onBeforeRequest(listener: (details: unknown, callback: (response: object) => void) => void): void }
}

/** Every image must have arrived: a lost request would leave an image broken. */
const COUNT_LOADED = `[...document.images].filter((img) => img.complete && img.naturalWidth === 1).length`

function check(label: string, loaded: unknown): void {
  if (loaded !== SUBRESOURCES) throw new Error(`${label}: ${String(loaded)} of ${SUBRESOURCES} subresources loaded`)
}

function contenders(origin: string): Contender[] {
  const url = (n: number): string => `${origin}/page.html?n=${n}`
  return [
    {
      id: 'cdp-session',
      label: 'cdp-session (webRequest.onBeforeRequest)',
      async start() {
        const browser = await launchCdpSession()
        const ses = await browser.session.fromPartition('bench-intercept')
        ;(ses as unknown as Intercepting).webRequest.onBeforeRequest((_details, callback) => callback({}))
        const wc = (await ses.createWebContents()) as { loadURL(url: string): Promise<unknown>; executeJavaScript(code: string): Promise<unknown> }
        return {
          async iteration(n) {
            await wc.loadURL(url(n))
            check('cdp-session', await wc.executeJavaScript(COUNT_LOADED))
          },
          close: () => quietly(() => browser.close()),
        }
      },
    },
    {
      id: 'playwright',
      label: "Playwright (context.route('**', continue))",
      async start() {
        const browser = await launchPlaywright()
        const context = await browser.newContext()
        await context.route('**', (route) => route.continue())
        const page = await context.newPage()
        return {
          async iteration(n) {
            await page.goto(url(n), { waitUntil: 'load' })
            check('Playwright', await page.evaluate(COUNT_LOADED))
          },
          close: () => quietly(() => browser.close()),
        }
      },
    },
    {
      id: 'puppeteer',
      label: 'Puppeteer (setRequestInterception + continue)',
      async start() {
        const browser = await launchPuppeteer()
        const context = await browser.createBrowserContext()
        const page = await context.newPage()
        await page.setRequestInterception(true)
        page.on('request', (request) => {
          void request.continue()
        })
        return {
          async iteration(n) {
            await page.goto(url(n), { waitUntil: 'load' })
            check('Puppeteer', await page.evaluate(COUNT_LOADED))
          },
          close: () => quietly(() => browser.close()),
        }
      },
    },
    {
      id: 'raw-cdp',
      label: 'raw CDP, no interception (floor)',
      async start() {
        const raw = await launchRaw()
        const conn = raw.connection
        const { browserContextId } = await conn.send('Target.createBrowserContext')
        const { targetId } = await conn.send('Target.createTarget', { url: 'about:blank', browserContextId })
        const { sessionId } = await conn.send('Target.attachToTarget', { targetId, flatten: true })
        const page = conn.session(sessionId)
        if (!page) throw new Error(`no CDP session object for ${sessionId}`)
        await page.send('Page.enable')
        return {
          async iteration(n) {
            const loaded = new Promise<void>((resolve) => page.once('Page.loadEventFired', () => resolve()))
            const nav = await page.send('Page.navigate', { url: url(n) })
            if (nav.errorText) throw new Error(`navigation failed: ${nav.errorText}`)
            await loaded
            const { result } = await page.send('Runtime.evaluate', { expression: COUNT_LOADED, returnByValue: true })
            check('raw CDP', result.value)
          },
          close: () => raw.close(),
        }
      },
    },
  ]
}

function serve(): Promise<LocalServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    if (path === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(PAGE), 'cache-control': 'no-store' }).end(PAGE)
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
    'arrived. Every request is intercepted and let through unchanged: cdp-session ' +
    '`ses.webRequest.onBeforeRequest((d, cb) => cb({}))`; Playwright `context.route("**", r => r.continue())`; ' +
    'Puppeteer `page.setRequestInterception(true)` + `request.continue()`. raw CDP loads the same page with no ' +
    'interception at all (the floor). cdp-session\'s context also sends every request through its session ' +
    'gateway (issue #5); the others go direct.',
  goals: { vsPlaywright: 0.8 },
  async prepare() {
    const server = await serve()
    return { contenders: contenders(server.origin), dispose: () => server.close() }
  },
}
