/**
 * live-sessions: 100 isolated sessions opened one after the other in one browser and all kept
 * open, each with a page that loaded a small page. Does the 100th cost what the first did, and
 * how much Node memory does each live session hold?
 */
import { launchCdpSession, launchPlaywright, launchPuppeteer, launchRaw, quietly, rawLoadInContext } from '../lib/browsers.js'
import { serveStaticPages } from '../lib/server.js'
import type { Contender, ContenderRun, Scenario } from '../lib/types.js'

const SESSIONS = 100
const HTML = '<!doctype html><html><head><meta charset="utf-8"><title>live</title></head><body><p>live</p></body></html>'

interface Loadable {
  loadURL(url: string): Promise<unknown>
}
interface SessionLike {
  createWebContents(): Promise<Loadable>
}

/** Node heap in use, after a full collection when the bench runs with --expose-gc. */
function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  return process.memoryUsage().heapUsed
}

/**
 * Wraps a contender's per-session step with the heap bookkeeping for the notes column. After its
 * last session the contender closes them all (not timed), so that its 100 renderers do not
 * weigh on the contenders that run after it.
 */
function counted(open: (n: number) => Promise<() => Promise<unknown>>, close: () => Promise<void>): ContenderRun {
  let before: number | undefined
  let notes = ''
  const opened: Array<() => Promise<unknown>> = []
  return {
    async iteration(n) {
      before ??= heapUsed()
      const t0 = performance.now()
      opened.push(await open(n))
      const elapsed = performance.now() - t0
      if (opened.length === SESSIONS) {
        const perSession = (heapUsed() - before) / opened.length
        notes = `Node heap +${(perSession / 1024).toFixed(0)} KiB per live session${(globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: rough)'}`
        for (const release of opened.splice(0)) await quietly(release)
      }
      return elapsed
    },
    notes: () => notes,
    close,
  }
}

function contenders(url: string): Contender[] {
  return [
    {
      id: 'cdp-session',
      label: 'cdp-session (fromPartition → createWebContents → loadURL)',
      async start() {
        const browser = await launchCdpSession()
        return counted(async (n) => {
          const ses = (await browser.session.fromPartition(`live-${n}`)) as unknown as SessionLike
          const wc = await ses.createWebContents()
          await wc.loadURL(url)
          return () => (ses as unknown as { close(): Promise<unknown> }).close()
        }, () => quietly(() => browser.close()))
      },
    },
    {
      id: 'playwright',
      label: 'Playwright (newContext → newPage → goto)',
      async start() {
        const browser = await launchPlaywright()
        return counted(async () => {
          const context = await browser.newContext()
          const page = await context.newPage()
          await page.goto(url, { waitUntil: 'load' })
          return () => context.close()
        }, () => quietly(() => browser.close()))
      },
    },
    {
      id: 'puppeteer',
      label: 'Puppeteer (createBrowserContext → newPage → goto)',
      async start() {
        const browser = await launchPuppeteer()
        return counted(async () => {
          const context = await browser.createBrowserContext()
          const page = await context.newPage()
          await page.goto(url, { waitUntil: 'load' })
          return () => context.close()
        }, () => quietly(() => browser.close()))
      },
    },
    {
      id: 'raw-cdp',
      label: 'raw CDP (createBrowserContext → createTarget → attach → navigate)',
      async start() {
        const raw = await launchRaw()
        const conn = raw.connection
        return counted(async () => {
          const { browserContextId } = await conn.send('Target.createBrowserContext')
          await rawLoadInContext(conn, browserContextId, url)
          return () => conn.send('Target.disposeBrowserContext', { browserContextId })
        }, () => raw.close())
      },
    },
  ]
}

export const liveSessions: Scenario = {
  id: 'live-sessions',
  title: `${SESSIONS} live sessions: the first 10 vs the last 10`,
  description:
    `Each contender opens ${SESSIONS} isolated sessions (browser contexts) in one browser, one after the other, each ` +
    'with a page that loads a small static page from 127.0.0.1, and keeps them all open. An iteration is one more ' +
    'session; the goal compares the median of the last 10 with the median of the first 10. The notes give the Node ' +
    'heap each live session holds (heap after the last minus heap before the first, after a full GC, divided by the ' +
    `count). One round: each contender's ${SESSIONS} sessions in a row, no warm-up; then it closes them (not timed) ` +
    'before the next contender starts.',
  goals: { lastVsFirst: 1.2 },
  rounds: 1,
  fixed: { iterations: SESSIONS, warmup: 0 },
  async prepare() {
    const server = await serveStaticPages({ '/live.html': HTML })
    return { contenders: contenders(`${server.origin}/live.html`), dispose: () => server.close() }
  },
}
