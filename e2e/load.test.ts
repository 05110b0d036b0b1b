// Load (issue #19): 20 sessions × 50 requests at once under a pass-through webRequest hook. Each
// request is seen once, by its own session only. After the sessions close, Node's handles,
// Chromium's renderer processes and this process's sockets are back to where they started.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'

const SESSIONS = 20
const REQUESTS = 50

/** Renderer processes of the browser `pid` (its descendants started with --type=renderer). */
function renderers(pid: number): number {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // The process ended meanwhile.
    }
  }
  let count = 0
  const walk = (parent: number): void => {
    for (const child of children.get(parent) ?? []) {
      try {
        if (readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('--type=renderer')) count += 1
      } catch {
        // Ended meanwhile.
      }
      walk(child)
    }
  }
  walk(pid)
  return count
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
})
