// Interop: Puppeteer and Playwright driving the same browser as cdp-session, through
// browser.wsEndpoint; a session's page handed to Puppeteer with toPuppeteerPage.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll } from 'vitest'
import puppeteer from 'puppeteer-core'
import { chromium } from 'playwright-core'
import { connect, ValidationError, type Browser } from 'cdp-session'
import { toPuppeteerPage } from 'cdp-session/puppeteer'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'

let browser: Browser
let server: Server
let origin: string

beforeAll(async () => {
  browser = await launchTestBrowser({ remoteDebuggingPort: 0 })
  server = createServer((req, res) => {
    res.setHeader('content-type', 'text/html')
    res.end(`<title>${req.url}</title><p id="ua">${req.headers['user-agent']}</p>`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await browser.close()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('interop', () => {
  test('browser.wsEndpoint: set by a launch with a debugging port, and kept by connect()', async () => {
    expect(browser.wsEndpoint).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/devtools\/browser\//)
    const port = new URL(browser.wsEndpoint!).port
    const byUrl = await connect({ browserURL: `http://127.0.0.1:${port}` })
    const byWs = await connect({ browserWSEndpoint: browser.wsEndpoint! })
    try {
      expect(byUrl.wsEndpoint).toBe(browser.wsEndpoint)
      expect(byWs.wsEndpoint).toBe(browser.wsEndpoint)
    } finally {
      await Promise.all([byUrl.close(), byWs.close()])
    }
  })

  test("toPuppeteerPage: Puppeteer drives a session's page, which keeps the session's settings", async () => {
    const session = browser.session.fromPartition('interop-pptr')
    session.setUserAgent('InteropBot/1.0')
    const other = await browser.session.fromPartition('interop-other').createWebContents()
    const wc = await session.createWebContents()
    await wc.loadURL(`${origin}/mine`)
    await other.loadURL(`${origin}/theirs`)
    const pptr = await puppeteer.connect({ browserWSEndpoint: browser.wsEndpoint!, defaultViewport: null })
    try {
      const page = await toPuppeteerPage(wc, pptr)
      expect(await page.title()).toBe('/mine')
      expect(await page.$eval('#ua', (el) => el.textContent)).toBe('InteropBot/1.0')
      // Puppeteer navigates; cdp-session sees it on its WebContents, under the session's UA.
      await page.goto(`${origin}/second`)
      expect(wc.getURL()).toBe(`${origin}/second`)
      expect(await wc.executeJavaScript('document.getElementById("ua").textContent')).toBe('InteropBot/1.0')
      // The other session's page is another Puppeteer page.
      expect(await (await toPuppeteerPage(other, pptr)).title()).toBe('/theirs')
      await wc.close()
      await expect(toPuppeteerPage(wc, pptr)).rejects.toBeInstanceOf(ValidationError)
    } finally {
      await pptr.disconnect()
      await Promise.all([session.close(), other.session.close()])
    }
  })

  test("chromium.connectOverCDP(browser.wsEndpoint): Playwright drives a session's page; its BrowserContext is Playwright's default one", async () => {
    const session = browser.session.fromPartition('interop-pw')
    const wc = await session.createWebContents()
    await wc.loadURL(`${origin}/pw`)
    await session.cookies.set({ url: origin, name: 'from', value: 'cdp-session' })
    const pw = await chromium.connectOverCDP(browser.wsEndpoint!)
    try {
      const page = pw.contexts().flatMap((context) => context.pages()).find((p) => p.url() === `${origin}/pw`)
      expect(page).toBeDefined()
      expect(await page!.title()).toBe('/pw')
      // Page-level calls reach the session's page, and cdp-session sees their effect …
      await page!.evaluate(() => (document.title = 'set by playwright'))
      expect(await wc.executeJavaScript('document.title')).toBe('set by playwright')
      expect(await page!.evaluate(() => document.cookie)).toBe('from=cdp-session')
      // … but Playwright only models contexts it created: it files the page under its default
      // context, whose cookie calls act on the browser's default context, not the session's
      // (docs/interop.md). Use ses.cookies for the session's store.
      expect(page!.context()).toBe(pw.contexts()[0])
      expect(await page!.context().cookies(origin)).toEqual([])
    } finally {
      await pw.close()
      await session.close()
    }
  })
})
