/**
 * Hand a session's page to Puppeteer: `toPuppeteerPage(webContents, puppeteerBrowser)`.
 * @module cdp-session/puppeteer
 */
// `cdp-session/puppeteer`: hand a session's page to Puppeteer. Connect puppeteer-core to the same
// browser (`puppeteer.connect({ browserWSEndpoint: browser.wsEndpoint })`, with
// `launch({ remoteDebuggingPort: 0 })` or a browser reached by `connect()`), then
// `toPuppeteerPage(webContents, puppeteerBrowser)` gives its Puppeteer Page. Only Puppeteer's
// public API is used: each candidate target is asked its own id over a CDP session of its own.
import type { Browser as PuppeteerBrowser, Page as PuppeteerPage, Target as PuppeteerTarget } from 'puppeteer-core'
import { ValidationError } from '../common/errors.js'
import type { WebContents } from '../electron/web-contents.js'

async function targetIdOf(target: PuppeteerTarget): Promise<string | undefined> {
  const cdp = await target.createCDPSession()
  try {
    const { targetInfo } = await cdp.send('Target.getTargetInfo')
    return targetInfo.targetId
  } finally {
    await cdp.detach()
  }
}

/**
 * The Puppeteer Page of `webContents`. Puppeteer sees every page of the browser, including the
 * pages of cdp-session's sessions (their browser contexts appear in `browser.browserContexts()`).
 * Rejects with ValidationError if `puppeteerBrowser` is connected to another browser.
 */
export async function toPuppeteerPage(webContents: WebContents, puppeteerBrowser: PuppeteerBrowser): Promise<PuppeteerPage> {
  const api = 'toPuppeteerPage'
  if (webContents.isDestroyed()) throw new ValidationError(api, 'webContents', `webContents ${webContents.id}`, 'a live page (this one was destroyed)')
  const url = webContents.getURL()
  const targets = puppeteerBrowser.targets().filter((t) => t.type() === 'page')
  // Most likely first: the targets at the page's URL.
  targets.sort((a, b) => Number(b.url() === url) - Number(a.url() === url))
  for (const target of targets) {
    if ((await targetIdOf(target)) !== webContents.targetId) continue
    const page = await target.page()
    if (page) return page
  }
  throw new ValidationError(api, 'puppeteerBrowser', 'a Puppeteer browser', `the browser of webContents ${webContents.id} (target ${webContents.targetId}), connected through browser.wsEndpoint`)
}
