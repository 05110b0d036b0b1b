/**
 * session-page-load: the life of one isolated session.
 * new browser context → new page → load a local page (until `load`) → close the context.
 */
import {
  launchCdpSession,
  launchPlaywright,
  launchPuppeteer,
  launchRaw,
  quietly,
  rawLoadInContext,
} from '../lib/browsers.js'
import { serveStaticPages } from '../lib/server.js'
import type { Contender, Scenario } from '../lib/types.js'

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>bench page</title></head>
<body>
<h1>cdp-session bench</h1>
<p>A small static page served from 127.0.0.1.</p>
<ul><li>one</li><li>two</li><li>three</li></ul>
</body>
</html>
`

function contenders(url: string): Contender[] {
  return [
    {
      id: 'cdp-session',
      label: 'cdp-session',
      async start() {
        const browser = await launchCdpSession()
        return {
          async iteration(n) {
            const ses = await browser.session.fromPartition(`bench-${n}`)
            try {
              const wc = await ses.createWebContents()
              await wc.loadURL(url)
            } finally {
              await ses.close()
            }
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
        return {
          async iteration() {
            const context = await browser.newContext()
            try {
              const page = await context.newPage()
              await page.goto(url, { waitUntil: 'load' })
            } finally {
              await context.close()
            }
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
        return {
          async iteration() {
            const context = await browser.createBrowserContext()
            try {
              const page = await context.newPage()
              await page.goto(url, { waitUntil: 'load' })
            } finally {
              await context.close()
            }
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
        return {
          async iteration() {
            const { browserContextId } = await conn.send('Target.createBrowserContext')
            try {
              await rawLoadInContext(conn, browserContextId, url)
            } finally {
              await conn.send('Target.disposeBrowserContext', { browserContextId })
            }
          },
          close: () => raw.close(),
        }
      },
    },
  ]
}

export const sessionPageLoad: Scenario = {
  id: 'session-page-load',
  title: 'Isolated session: create → open page → load → close',
  description:
    'Per iteration: create an isolated in-memory session (browser context), open a page in it, ' +
    'load a small static HTML page from a local HTTP server on 127.0.0.1 and wait for its `load` event, ' +
    'then close the session. cdp-session: `session.fromPartition()` → `createWebContents()` → ' +
    '`loadURL()` → `ses.close()`; Playwright: `newContext()` → `newPage()` → `goto()` → `context.close()`; ' +
    'Puppeteer: `createBrowserContext()` → `newPage()` → `goto()` → `context.close()`; raw CDP: ' +
    '`Target.createBrowserContext` → `Target.createTarget` → `Target.attachToTarget` (flat) → `Page.enable` → ' +
    '`Page.navigate` + `Page.loadEventFired` → `Target.disposeBrowserContext`.',
  async prepare() {
    const server = await serveStaticPages({ '/page.html': PAGE })
    return {
      contenders: contenders(`${server.origin}/page.html`),
      dispose: () => server.close(),
    }
  },
}
