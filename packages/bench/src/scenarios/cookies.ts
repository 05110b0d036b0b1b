/**
 * cookies: write and read back 1,000 cookies in one isolated session.
 * Electron's API is one `cookies.set()` per cookie; cdp-session sends the calls made in one tick
 * as a single `Storage.setCookies`, so the floor is the raw batch command.
 */
import { launchCdpSession, launchPlaywright, launchPuppeteer, launchRaw, quietly } from '../lib/browsers.js'
import type { Contender, Scenario } from '../lib/types.js'

const COUNT = 1000
// Chromium keeps at most 180 cookies per domain: spread them over 10 sites (the limit is per registrable domain).
const HOSTS = 10

interface Spec {
  name: string
  url: string
  domain: string
}

const specs: Spec[] = Array.from({ length: COUNT }, (_, i) => {
  const domain = `h${i % HOSTS}.test`
  return { name: `c${i}`, url: `http://${domain}/`, domain }
})

function check(count: number, label: string): void {
  if (count !== COUNT) throw new Error(`${label}: read back ${count} cookies, expected ${COUNT}`)
}

/** The slice of cdp-session's cookie API used here (the bench does not import the library's types). */
interface CookieSession {
  cookies: {
    set(details: { url: string; name: string; value: string }): Promise<void>
    get(filter: object): Promise<unknown[]>
  }
  close(): Promise<unknown>
}

function contenders(): Contender[] {
  return [
    {
      id: 'cdp-session',
      label: 'cdp-session',
      async start() {
        const browser = await launchCdpSession()
        const ses = (await browser.session.fromPartition('bench-cookies')) as unknown as CookieSession
        return {
          async iteration(n) {
            const value = String(n)
            await Promise.all(specs.map((s) => ses.cookies.set({ url: s.url, name: s.name, value })))
            check((await ses.cookies.get({})).length, 'cdp-session')
          },
          close: () => quietly(() => browser.close()),
        }
      },
    },
    {
      id: 'playwright',
      label: 'Playwright',
      async start() {
        const browser = await launchPlaywright()
        const context = await browser.newContext()
        return {
          async iteration(n) {
            const value = String(n)
            await context.addCookies(specs.map((s) => ({ url: s.url, name: s.name, value })))
            check((await context.cookies()).length, 'playwright')
          },
          close: () => quietly(() => browser.close()),
        }
      },
    },
    {
      id: 'puppeteer',
      label: 'Puppeteer',
      async start() {
        const browser = await launchPuppeteer()
        const context = await browser.createBrowserContext()
        return {
          async iteration(n) {
            const value = String(n)
            await context.setCookie(...specs.map((s) => ({ domain: s.domain, path: '/', name: s.name, value })))
            check((await context.cookies()).length, 'puppeteer')
          },
          close: () => quietly(() => browser.close()),
        }
      },
    },
    {
      id: 'raw-cdp',
      label: 'raw CDP (floor)',
      async start() {
        const raw = await launchRaw()
        const conn = raw.connection
        const { browserContextId } = await conn.send('Target.createBrowserContext')
        return {
          async iteration(n) {
            const value = String(n)
            await conn.send('Storage.setCookies', { cookies: specs.map((s) => ({ url: s.url, name: s.name, value, path: '/' })), browserContextId })
            const { cookies } = await conn.send('Storage.getCookies', { browserContextId })
            check(cookies.length, 'raw-cdp')
          },
          close: () => raw.close(),
        }
      },
    },
  ]
}

export const cookies: Scenario = {
  id: 'cookies',
  // Issue #3: within 1.1× of the raw Storage.* floor.
  goals: { vsRaw: 1.1 },
  title: 'Cookies: set 1,000 → read them back',
  description:
    `Per iteration, in one isolated session (created once): write ${COUNT} session cookies spread over ${HOSTS} hosts ` +
    '(Chromium keeps at most 180 per registrable domain), then read every cookie back and check the count. ' +
    'cdp-session: `Promise.all` of 1,000 `ses.cookies.set({ url, name, value })` (Electron\'s per-cookie API) → ' +
    '`ses.cookies.get({})`; Playwright: `context.addCookies([...1000])` → `context.cookies()`; ' +
    'Puppeteer: `browserContext.setCookie(...1000)` → `browserContext.cookies()`; raw CDP: one ' +
    '`Storage.setCookies({ cookies, browserContextId })` → `Storage.getCookies({ browserContextId })` on the browser session.',
  prepare() {
    return Promise.resolve({ contenders: contenders(), dispose: () => Promise.resolve() })
  },
}
