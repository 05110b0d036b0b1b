// Launching, killing and connecting to browsers. Every test starts its own browser(s): what is
// under test is the browser process itself. Process checks read /proc (Linux).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  BrowserClosedError,
  BrowserNotFoundError,
  CdpSessionError,
  connect,
  findChrome,
  launch,
  LaunchError,
  NotSupportedError,
  ValidationError,
  type Browser,
  type Session,
  type WebContents,
} from 'cdp-session'
import { processTree } from './fixtures/processes.js'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'

const CHILD_SCRIPT = fileURLToPath(new URL('./fixtures/launch-child.ts', import.meta.url))
// tsx is a dev dependency of the library package; resolve its ESM loader from there.
const TSX_LOADER = pathToFileURL(
  createRequire(fileURLToPath(new URL('../packages/cdp-session/package.json', import.meta.url))).resolve('tsx/package.json').replace(/package\.json$/, 'dist/loader.mjs'),
).href

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw error
  }
}

/**
 * False once `pid` has terminated: gone (ESRCH) or a zombie waiting to be reaped. An orphaned
 * browser is re-parented to PID 1 and only disappears when PID 1 reaps it; that latency is the
 * init system's, not ours (this machine's PID 1 takes 1–2 s, a zombie appears within ~20 ms).
 */
function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false
  try {
    const state = /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1]
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

/** Polls until `done()` holds; returns the time since `since`, or fails after `limitMs`. */
async function waitUntil(what: string, done: () => boolean, limitMs: number, since = performance.now()): Promise<number> {
  for (;;) {
    const elapsed = performance.now() - since
    if (done()) return elapsed
    if (elapsed > limitMs) throw new Error(`${what}: not after ${Math.round(elapsed)} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

async function pageAt(session: Session, url: string): Promise<WebContents> {
  const wc = await session.createWebContents()
  await wc.loadURL(url)
  return wc
}

/** Measures how long a call takes to reject and returns the error. */
async function rejection(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const start = performance.now()
  try {
    await call()
  } catch (error) {
    return { error, ms: performance.now() - start }
  }
  throw new Error('expected the call to reject, it resolved')
}

/**
 * Starts fixtures/launch-child.ts in `mode` from the library's sources. `firstLine` is the first
 * line it prints (its JSON report), or rejects, with its stderr, when it exits before printing.
 */
function startChild(mode: 'exit' | 'wait' | 'close'): {
  child: ChildProcess
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  firstLine: Promise<string>
  stderr: () => string
} {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CHILD_SCRIPT, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const firstLine = new Promise<string>((resolve, reject) => {
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const newline = stdout.indexOf('\n')
      if (newline !== -1) resolve(stdout.slice(0, newline))
    })
    void exited.then(({ code, signal }) => reject(new Error(`child exited (${code ?? signal}) before printing: ${stderr}`)))
  })
  return { child, exited, firstLine, stderr: () => stderr }
}

describe('browser lifecycle', () => {
  test('SIGKILL with 50 calls in flight: all reject within 1 s with BrowserClosedError, later calls fail at once', async ({ server }) => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason)
    }
    process.on('unhandledRejection', onUnhandled)
    const launchStart = performance.now()
    const browser = await launchTestBrowser()
    const launchMs = performance.now() - launchStart
    try {
      let disconnected = 0
      browser.on('disconnected', () => disconnected++)
      const ses = browser.session.fromPartition('sigkill')
      const url = server.url('/empty.html')
      const loaders = await Promise.all([0, 1, 2, 3].map(() => pageAt(ses, url)))
      const runners = await Promise.all([0, 1].map(() => pageAt(ses, url)))
      const destroyed = [...loaders, ...runners].map((wc) => new Promise<void>((resolve) => wc.once('destroyed', () => resolve())))

      // Every call gets its outcome handler at once, so a rejection is never unhandled on our side.
      type Outcome = { ok: true } | { ok: false; error: unknown; at: number }
      const outcomes: Array<Promise<Outcome>> = []
      const track = (call: Promise<unknown>): void => {
        outcomes.push(
          call.then(
            (): Outcome => ({ ok: true }),
            (error: unknown): Outcome => ({ ok: false, error, at: performance.now() }),
          ),
        )
      }
      // Distinct URLs: Chromium's HTTP cache lets only one request per URL through at a time.
      loaders.forEach((wc, i) => track(wc.loadURL(server.url(`/slow?ms=5000&page=${i}`))))
      for (let i = 0; i < 26; i++) track(runners[i % 2]!.executeJavaScript('new Promise(r => setTimeout(r, 5000))'))
      // The navigations are really in flight: the server holds all four requests.
      await expect.poll(() => server.requestCount('/slow'), { timeout: 10_000 }).toBe(4)
      for (let i = 0; i < 20; i++) track(ses.createWebContents())
      expect(outcomes).toHaveLength(50)

      const killedAt = performance.now()
      process.kill(browser.pid!, 'SIGKILL')
      const settled = await Promise.all(outcomes)
      const latencies = settled.map((o) => (o.ok ? Number.NaN : o.at - killedAt))
      const slowest = Math.max(...latencies)

      expect(settled.filter((o) => o.ok)).toHaveLength(0)
      for (const outcome of settled) {
        if (outcome.ok) continue
        expect(outcome.error).toBeInstanceOf(BrowserClosedError)
        // The pipe usually closes a moment before Node sees the exit, hence two possible wordings.
        expect((outcome.error as Error).message).toMatch(/: the browser (connection closed|process \d+ exited \(signal SIGKILL\))\. Launch or connect again\.$/)
      }
      expect(slowest).toBeLessThan(1000)
      await Promise.all(destroyed)

      expect(browser.connected).toBe(false)
      expect(disconnected).toBe(1)
      for (const wc of [...loaders, ...runners]) expect(wc.isDestroyed()).toBe(true)

      // Later calls fail at once, as rejections (never a synchronous throw).
      let returned: unknown
      expect(() => (returned = browser.createWebContents())).not.toThrow()
      await expect(returned).rejects.toBeInstanceOf(BrowserClosedError)
      await expect(returned).rejects.toThrow(/^browser\.createWebContents: the browser .*Launch or connect again\.$/)
      const later = [
        await rejection(() => ses.createWebContents()),
        await rejection(() => runners[0]!.executeJavaScript('1')),
        await rejection(() => browser.createWebContents()),
        await rejection(() => browser.session.defaultSession.createWebContents()),
      ]
      for (const { error, ms } of later) {
        expect(error).toBeInstanceOf(CdpSessionError)
        expect(ms).toBeLessThan(50)
      }
      expect(later[0]!.error).toBeInstanceOf(BrowserClosedError)
      expect(later[2]!.error).toBeInstanceOf(BrowserClosedError)
      expect(() => browser.session.fromPartition('after-kill')).toThrow(/browser is closed/)

      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(unhandled).toEqual([])
      console.info(`[lifecycle] launch ${launchMs.toFixed(0)} ms; 50 in-flight calls rejected ${Math.min(...latencies).toFixed(1)}–${slowest.toFixed(1)} ms after SIGKILL; later calls ${later.map((l) => l.ms.toFixed(2)).join('/')} ms`)
    } finally {
      process.off('unhandledRejection', onUnhandled)
      await browser.close()
    }
  })

  describe('no browser outlives the Node process that launched it', () => {
    for (const how of ['exit', 'SIGTERM', 'SIGINT'] as const) {
      test(how === 'exit' ? 'process.exit(0) without closing' : `${how} to the Node process`, async () => {
        const { child, exited, firstLine } = startChild(how === 'exit' ? 'exit' : 'wait')
        let chromiumPid: number | undefined
        try {
          const info = JSON.parse(await firstLine) as { pid: number; userDataDir: string }
          chromiumPid = info.pid
          const tree = processTree(info.pid)
          // The browser process and its helpers (zygotes, GPU, network, renderers of the open page).
          expect(tree.length).toBeGreaterThan(3)
          expect(existsSync(info.userDataDir)).toBe(true)

          const start = performance.now()
          if (how !== 'exit') child.kill(how)
          const exit = await exited
          expect(exit).toEqual(how === 'exit' ? { code: 0, signal: null } : { code: null, signal: how })

          const browserDeadMs = await waitUntil(`browser ${info.pid} terminated`, () => !isRunning(info.pid), 3000, start)
          const treeDeadMs = await waitUntil('every Chromium process terminated', () => !tree.some(isRunning), 3000, start)
          // ...and reaped: no pid of the tree exists any more (ESRCH).
          const treeGoneMs = await waitUntil('every Chromium pid gone (ESRCH)', () => !tree.some(isAlive), 10_000, start)
          // A detached helper deletes the temporary profile once the browser is gone.
          await expect.poll(() => existsSync(info.userDataDir), { timeout: 12_000, interval: 50 }).toBe(false)
          console.info(
            `[lifecycle] ${how}: browser terminated after ${browserDeadMs.toFixed(0)} ms, all ${tree.length} processes after ${treeDeadMs.toFixed(0)} ms, all reaped (ESRCH) after ${treeGoneMs.toFixed(0)} ms`,
          )
        } finally {
          child.kill('SIGKILL')
          if (chromiumPid !== undefined && isAlive(chromiumPid)) process.kill(chromiumPid, 'SIGKILL')
        }
      })
    }

    test('after browser.close() nothing of the library keeps Node running (the gateways of every session close too)', async () => {
      // The child loads a page through the gateways of the default, an in-memory and a persistent
      // session, closes the browser and its own server, and must then end by itself.
      const { child, exited, firstLine, stderr } = startChild('close')
      try {
        await firstLine
        expect(stderr()).toBe('')
        const closedAt = performance.now()
        const exit = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000))])
        expect(exit).toEqual({ code: 0, signal: null })
        console.info(`[lifecycle] the Node process ended ${(performance.now() - closedAt).toFixed(0)} ms after its pages were loaded (browser.close() included)`)
      } finally {
        child.kill('SIGKILL')
      }
    }, 60_000)

    test('browser.close() leaves no process behind and removes the temporary profile', async ({ server }) => {
      const browser = await launchTestBrowser()
      const wc = await browser.createWebContents()
      await wc.loadURL(server.url('/empty.html'))
      const pid = browser.pid!
      const profile = browser.session.defaultSession.getStoragePath()!
      expect(existsSync(profile)).toBe(true)
      const tree = processTree(pid)
      expect(tree.length).toBeGreaterThan(3)
      await browser.close()
      // Our own child: reaped by Node as soon as it exits.
      expect(isAlive(pid)).toBe(false)
      expect(existsSync(profile)).toBe(false)
      await waitUntil('every Chromium process terminated', () => !tree.some(isRunning), 3000)
      await waitUntil('every Chromium pid gone (ESRCH)', () => !tree.some(isAlive), 10_000)
      expect(browser.connected).toBe(false)
      await browser.close() // idempotent
    })
  })

  test('connect() by WebSocket endpoint and by browserURL works, and closing it never kills the browser', async ({ server }) => {
    const launched = await launchTestBrowser({ remoteDebuggingPort: 0 })
    try {
      const wsEndpoint = launched.wsEndpoint!
      expect(wsEndpoint).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/devtools\/browser\//)
      const browserURL = `http://${new URL(wsEndpoint).host}`

      for (const options of [{ browserWSEndpoint: wsEndpoint }, { browserURL }]) {
        const connected: Browser = await connect(options)
        let disconnected = 0
        connected.on('disconnected', () => disconnected++)
        expect(connected.connected).toBe(true)
        expect(connected.pid).toBeUndefined()
        expect(connected.version).toBe(launched.version)

        const ses = connected.session.fromPartition('via-connect')
        expect(ses.isPersistent()).toBe(false)
        const wc = await pageAt(ses, server.url('/title.html?title=connected'))
        expect(await wc.executeJavaScript('document.title')).toBe('connected')
        expect(server.requests.some((r) => r.url === server.url('/title.html?title=connected'))).toBe(true)

        expect(() => connected.session.fromPartition('persist:nope')).toThrow(NotSupportedError)
        expect(() => connected.session.fromPartition('persist:nope')).toThrow(/connect\(\)ed browser/)
        expect(() => connected.session.fromPath(join(tmpdir(), 'cdp-session-never-created'))).toThrow(NotSupportedError)

        await connected.close()
        expect(connected.connected).toBe(false)
        expect(disconnected).toBe(1)
        expect(wc.isDestroyed()).toBe(true)
        const after = await rejection(() => connected.session.defaultSession.createWebContents())
        expect(after.error).toBeInstanceOf(CdpSessionError)

        // The launched browser is untouched.
        expect(isAlive(launched.pid!)).toBe(true)
        expect(launched.connected).toBe(true)
        const own = await launched.createWebContents()
        await own.loadURL(server.url('/title.html?title=still-here'))
        expect(await own.executeJavaScript('document.title')).toBe('still-here')
        await own.close()
      }
    } finally {
      await launched.close()
    }
  })

  describe('launch errors', () => {
    test('a missing executablePath rejects with BrowserNotFoundError naming the path', async () => {
      const error = await launch({ executablePath: '/nonexistent/chrome' }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BrowserNotFoundError)
      expect((error as BrowserNotFoundError).message).toContain(`'/nonexistent/chrome' does not exist`)
      expect((error as BrowserNotFoundError).tried).toEqual(['/nonexistent/chrome'])
    })

    test('an executable that is not Chrome rejects with a LaunchError showing the command', async () => {
      const error = await launch({ executablePath: '/bin/false' }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(LaunchError)
      expect((error as LaunchError).message).toMatch(/exited \(exit code 1\) before it answered/)
      expect((error as LaunchError).message).toContain('Command: /bin/false --')
    })

    test('unknown launch options are rejected by name', async () => {
      const error = await launch({ headles: true } as unknown as { headless: boolean }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).argument).toBe('options.headles')
      expect((error as ValidationError).message).toContain('no such option')
    })

    test('CHROME_PATH pointing to a missing file → BrowserNotFoundError listing what was tried', async () => {
      const saved = process.env.CHROME_PATH
      process.env.CHROME_PATH = '/nonexistent/from-env/chromium'
      try {
        const error = await launch().catch((e: unknown) => e)
        expect(error).toBeInstanceOf(BrowserNotFoundError)
        expect((error as BrowserNotFoundError).tried).toEqual(['/nonexistent/from-env/chromium'])
        expect((error as BrowserNotFoundError).message).toMatch(/CHROME_PATH environment variable is set to '\/nonexistent\/from-env\/chromium'/)
      } finally {
        if (saved === undefined) delete process.env.CHROME_PATH
        else process.env.CHROME_PATH = saved
      }
      // The same through findChrome with a fake environment.
      expect(() => findChrome({ CHROME_PATH: '/nonexistent/x' })).toThrow(BrowserNotFoundError)
      expect(findChrome({ CHROME_PATH: '/usr/bin/chromium' })).toEqual({ path: '/usr/bin/chromium', tried: ['/usr/bin/chromium'] })
      // Nothing anywhere: every location and every PATH entry is listed.
      let thrown: unknown
      try {
        findChrome({ PATH: '/fake/bin:/other/bin' }, 'linux', () => false)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(BrowserNotFoundError)
      const { tried, message } = thrown as BrowserNotFoundError
      expect(tried).toContain('/usr/bin/chromium')
      expect(tried).toContain('/opt/google/chrome/chrome')
      expect(tried).toContain('/fake/bin/google-chrome')
      expect(tried).toContain('/other/bin/chromium')
      for (const path of tried) expect(message).toContain(`  - ${path}\n`)
      expect(message).toMatch(/CHROME_PATH/)
    })
  })
})
