// Load (issue #19): 20 sessions × 50 requests at once under a pass-through webRequest hook. Each
// request is seen once, by its own session only. After the sessions close, Node's handles,
// Chromium's renderer processes and this process's sockets are back to where they started.
import { readdirSync, readlinkSync } from 'node:fs'
import { bindingOf } from './fixtures/internals.js'
import { cmdlineOf, cpuTicksOf, processTree } from './fixtures/processes.js'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'

const SESSIONS = 20
const REQUESTS = 50

/** Renderer processes of the browser `pid` (its descendants started with --type=renderer). */
function renderers(pid: number): number {
  return processTree(pid).filter((p) => cmdlineOf(p).includes('--type=renderer')).length
}

/** CPU clock ticks (user + system) used so far by the browser `pid` and all its descendants. */
function browserCpuTicks(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + cpuTicksOf(p), 0)
}

/** Sockets this Node process holds open. */
function sockets(): number {
  let count = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) count += 1
    } catch {
      // Closed meanwhile.
    }
  }
  return count
}

/** Polls `read` until it is at most `target` (things wind down asynchronously), up to 10 s. */
async function settlesTo(read: () => number, target: number): Promise<number> {
  const deadline = Date.now() + 10_000
  let value = read()
  while (value > target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    value = read()
  }
  return value
}

describe('load', () => {
  test(`${SESSIONS} sessions × ${REQUESTS} requests at once: each seen once by its own session; handles, renderers and sockets return to baseline`, async ({ server }) => {
    server.setRoute('/load', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('ok')
    })
    const browser = await launchTestBrowser()
    try {
      // Baseline: the browser with its default session's page, nothing else.
      await new Promise((resolve) => setTimeout(resolve, 500))
      const baseline = { renderers: renderers(browser.pid!), sockets: sockets(), handles: process.getActiveResourcesInfo().length }
      const seen = new Map<number, string[]>()
      const sessions = Array.from({ length: SESSIONS }, (_, n) => {
        const session = browser.session.fromPartition(`load-${process.pid}-${n}`)
        seen.set(n, [])
        session.webRequest.onBeforeRequest({ urls: [server.url('/load*')] }, (details, callback) => {
          seen.get(n)!.push(new URL(details.url).search)
          callback({})
        })
        return session
      })
      const pages = await Promise.all(sessions.map((s) => s.createWebContents()))
      await Promise.all(pages.map((p) => p.loadURL(server.url('/empty.html'))))
      const statuses = await Promise.all(
        pages.map((page, n) => page.executeJavaScript(`Promise.all(Array.from({ length: ${REQUESTS} }, (_, i) => fetch('/load?s=${n}&i=' + i).then((r) => r.status)))`) as Promise<number[]>),
      )
      expect(statuses.flat().filter((s) => s === 200)).toHaveLength(SESSIONS * REQUESTS)
      expect(server.requestCount('/load')).toBe(SESSIONS * REQUESTS)
      for (const [n, searches] of seen) {
        expect(searches.sort()).toEqual(Array.from({ length: REQUESTS }, (_, i) => `?s=${n}&i=${i}`).sort())
      }
      await Promise.all(sessions.map((s) => s.close()))
      const after = {
        renderers: await settlesTo(() => renderers(browser.pid!), baseline.renderers),
        sockets: await settlesTo(sockets, baseline.sockets),
        handles: await settlesTo(() => process.getActiveResourcesInfo().length, baseline.handles),
      }
      console.info(`[load] baseline ${JSON.stringify(baseline)}, after closing ${SESSIONS} sessions ${JSON.stringify(after)}`)
      expect(after.renderers).toBeLessThanOrEqual(baseline.renderers)
      expect(after.sockets).toBeLessThanOrEqual(baseline.sockets)
      expect(after.handles).toBeLessThanOrEqual(baseline.handles)
    } finally {
      await browser.close()
    }
  }, 180_000)

  // Issue #17: Chromium 15x preloads its omnibox popup as WebUI in every browser window, headless
  // too, so each session (browser context) brought two `chrome://omnibox-popup.top-chrome/`
  // renderers whose main threads stay busy while idle. The launch defaults turn them off.
  test('idle sessions: each page adds one renderer and no browser UI target, and the browser stays idle', async ({ server }) => {
    const browser = await launchTestBrowser()
    const count = 8
    try {
      await new Promise((resolve) => setTimeout(resolve, 500))
      const before = renderers(browser.pid!)
      const sessions = Array.from({ length: count }, (_, n) => browser.session.fromPartition(`idle-${process.pid}-${n}`))
      const pages = await Promise.all(sessions.map((s) => s.createWebContents()))
      await Promise.all(pages.map((p) => p.loadURL(server.url('/empty.html'))))
      await new Promise((resolve) => setTimeout(resolve, 500))
      const added = renderers(browser.pid!) - before
      const { browser: cdp } = await bindingOf(sessions[0]!)
      const { targetInfos } = await cdp.send('Target.getTargets', { filter: [{}] })
      const ui = targetInfos.filter((t) => t.type === 'browser_ui').map((t) => t.url)
      const cpuBefore = browserCpuTicks(browser.pid!)
      await new Promise((resolve) => setTimeout(resolve, 2_000))
      const cpuPercent = browserCpuTicks(browser.pid!) - cpuBefore // clock ticks are 1/100 s: over 2 s, ticks/2 = % of a core
      console.info(`[load] ${count} idle sessions: +${added} renderers, browser UI targets ${JSON.stringify(ui)}, browser CPU ${cpuPercent / 2}% of a core over 2 s`)
      expect(ui).toEqual([])
      // One renderer per session's page; Chromium may keep one spare renderer ready on top.
      expect(added).toBeGreaterThanOrEqual(count)
      expect(added).toBeLessThanOrEqual(count + 1)
      // With the omnibox WebUI these 8 sessions kept 198% of the 2 cores busy (measured); without it, ~2%.
      // The bound is loose so that a busy CI machine cannot fail it; the old behaviour cannot pass.
      expect(cpuPercent / 2).toBeLessThan(25)
    } finally {
      await browser.close()
    }
  }, 120_000)
})
