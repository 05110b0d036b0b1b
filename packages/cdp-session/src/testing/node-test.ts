/**
 * A browser for a node:test suite: `useBrowser()` with `withSession()` and `withPage()`.
 * @module cdp-session/node-test
 */
// `cdp-session/node-test`: the same lifecycle for node:test, which has no fixtures.
//
//   import { describe, test } from 'node:test'
//   import { useBrowser } from 'cdp-session/node-test'
//   describe('login', () => {
//     const cdp = useBrowser()            // before(): launch; after(): close
//     test('works', () => cdp.withSession(async (session) => { … }))
//   })
import { after, before } from 'node:test'
import type { Browser, LaunchOptions, Session, WebContents } from '../index.js'
import { launchWorkerBrowser, withPage, withSession } from './shared.js'

export interface BrowserHandle {
  /** The suite's browser (available inside tests, after `before` ran). */
  readonly browser: Browser
  /** Runs `body` with a fresh in-memory session, closed afterwards. */
  withSession<T>(body: (session: Session) => Promise<T>): Promise<T>
  /** Runs `body` with a page of a fresh session; both closed afterwards. */
  withPage<T>(body: (page: WebContents, session: Session) => Promise<T>): Promise<T>
}

/** Registers before/after hooks in the current suite that launch and close one browser. */
export function useBrowser(options: LaunchOptions = {}): BrowserHandle {
  let browser: Browser | undefined
  before(async () => {
    browser = await launchWorkerBrowser(options)
  })
  after(async () => {
    await browser?.close()
  })
  const current = (): Browser => {
    if (!browser) throw new Error('cdp-session/node-test: the browser is not launched yet; use it inside a test, after useBrowser() registered its before() hook.')
    return browser
  }
  return {
    get browser() {
      return current()
    },
    withSession: (body) => withSession(current(), body),
    withPage: (body) => withSession(current(), (session) => withPage(session, (page) => body(page, session))),
  }
}
