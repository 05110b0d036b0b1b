// What the three test-runner fixtures share: one browser per worker (launched lazily, closed
// when the worker ends), a fresh in-memory session per test with a name no other test uses,
// and one page in it; both closed after the test, whatever it did.
import { launch, type Browser, type LaunchOptions, type Session, type WebContents } from '../index.js'

let counter = 0

/** A partition name unique in this process and across parallel workers. */
export function freshPartition(prefix = 'test'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`
}

/** Launches the worker's browser (headless, pipe, found as launch() finds it). */
export function launchWorkerBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return launch(options)
}

/** Runs `body` with a browser launched with `options`, then closes the browser. */
export async function withBrowser<T>(options: LaunchOptions, body: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await launchWorkerBrowser(options)
  try {
    return await body(browser)
  } finally {
    await browser.close()
  }
}

/** Runs `body` with a fresh session of `browser`, then closes the session. */
export async function withSession<T>(browser: Browser, body: (session: Session) => Promise<T>): Promise<T> {
  const session = browser.session.fromPartition(freshPartition())
  try {
    return await body(session)
  } finally {
    await session.close()
  }
}

/** Runs `body` with a new page of `session`; the page closes with the session afterwards. */
export async function withPage<T>(session: Session, body: (page: WebContents) => Promise<T>): Promise<T> {
  const page = await session.createWebContents()
  try {
    return await body(page)
  } finally {
    if (!page.isDestroyed()) await page.close()
  }
}
