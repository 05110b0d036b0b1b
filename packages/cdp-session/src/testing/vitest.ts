/**
 * Fixtures for vitest: `browser` per worker, `session` and `page` per test.
 * @module cdp-session/vitest
 */
// `cdp-session/vitest`: Playwright-style fixtures for vitest.
//
//   import { test, expect } from 'cdp-session/vitest'
//   test('logs in', async ({ session, page }) => { await page.loadURL(url); … })
//
// `browser` is shared by the tests of a worker (scope 'worker'); `session` (a fresh in-memory
// partition) and `page` (a WebContents of it) are made for each test that asks for them and
// closed after it. `launchOptions` is an option fixture: `test.extend({ launchOptions: [{ args }, { scope: 'worker' }] })`.
import { test as base } from 'vitest'
import type { Browser, LaunchOptions, Session, WebContents } from '../index.js'
import { withBrowser, withSession } from './shared.js'

export interface CdpSessionTestFixtures {
  /** A fresh in-memory session, closed after the test. */
  session: Session
  /** A page (about:blank) of `session`. */
  page: WebContents
}

export interface CdpSessionWorkerFixtures {
  /** How the worker's browser is launched (default: `{}`). */
  launchOptions: LaunchOptions
  /** The worker's browser, launched on first use and closed when the worker ends. */
  browser: Browser
}

export const test = base.extend<CdpSessionTestFixtures & CdpSessionWorkerFixtures>({
  launchOptions: [{}, { scope: 'worker' }],
  browser: [
    async ({ launchOptions }, use) => withBrowser(launchOptions, use),
    { scope: 'worker' },
  ],
  session: async ({ browser }, use) => withSession(browser, use),
  page: async ({ session }, use) => {
    const page = await session.createWebContents()
    await use(page)
  },
})

export { expect, describe } from 'vitest'
