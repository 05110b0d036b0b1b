/**
 * Fixtures for @playwright/test: `cdpBrowser` per worker, `session` and `cdpPage` per test.
 * @module cdp-session/playwright-test
 */
// `cdp-session/playwright-test`: the same fixtures for @playwright/test.
//
//   import { test, expect } from 'cdp-session/playwright-test'
//   test('logs in', async ({ session, page }) => { await page.loadURL(url); … })
//
// Named `cdpBrowser`, `session` and `cdpPage` so they never shadow Playwright's own `browser`
// and `page` (which would start Playwright's browser download check); `launchOptions` is set with
// `test.use({ cdpLaunchOptions: { … } })`.
import { test as base } from '@playwright/test'
import type { Browser, LaunchOptions, Session, WebContents } from '../index.js'
import { withBrowser, withSession } from './shared.js'

export interface CdpSessionTestFixtures {
  /** A fresh in-memory session, closed after the test. */
  session: Session
  /** A page (about:blank) of `session`. */
  cdpPage: WebContents
}

export interface CdpSessionWorkerFixtures {
  cdpLaunchOptions: LaunchOptions
  /** The worker's browser, launched on first use and closed when the worker ends. */
  cdpBrowser: Browser
}

export const test = base.extend<CdpSessionTestFixtures, CdpSessionWorkerFixtures>({
  cdpLaunchOptions: [{}, { scope: 'worker', option: true }],
  cdpBrowser: [
    async ({ cdpLaunchOptions }, use) => withBrowser(cdpLaunchOptions, use),
    { scope: 'worker' },
  ],
  session: async ({ cdpBrowser }, use) => withSession(cdpBrowser, use),
  cdpPage: async ({ session }, use) => {
    await use(await session.createWebContents())
  },
})

export { expect } from '@playwright/test'
