import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Connection } from 'puppeteer-core/internal/cdp/Connection.js'
import { describe, expect, it } from 'vitest'
import { launchChromium } from '../src/cdp/launcher.js'
import { BrowserNotFoundError, LaunchError, ValidationError } from '../src/common/errors.js'

const CHROME = '/usr/bin/chromium'
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const childScript = fileURLToPath(new URL('./fixtures/launch-child.ts', import.meta.url))

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

function temporaryProfiles(): string[] {
  return fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('cdp-session-profile-'))
}

describe('launchChromium', () => {
  it('answers CDP over the pipe, then closes and removes its temporary profile', async () => {
    const started = performance.now()
    const browser = await launchChromium({ executablePath: CHROME })
    const launchMs = performance.now() - started
    console.info(`launch to first CDP answer: ${launchMs.toFixed(0)} ms`)

    expect(browser.isTemporaryUserDataDir).toBe(true)
    expect(fs.existsSync(browser.userDataDir)).toBe(true)
    expect(browser.wsEndpoint).toBeUndefined()
    expect(browser.pid).toBe(browser.process.pid)
    expect(browser.args).toContain('--remote-debugging-pipe')
    expect(browser.args).toContain(`--user-data-dir=${browser.userDataDir}`)
    expect(browser.args).toContain('--headless')
    if (process.getuid?.() === 0) expect(browser.args).toContain('--no-sandbox')
    // No start page (no new-tab page, no window): every argument is a flag.
    expect(browser.args).toContain('--no-startup-window')
    expect(browser.args.every((arg) => arg.startsWith('--'))).toBe(true)

    const connection = new Connection('pipe', browser.transport, 0, 30_000)
    const version = await connection.send('Browser.getVersion')
    expect(version.product).toMatch(/Chrome\/\d+/)
    const { targetInfos } = await connection.send('Target.getTargets')
    expect(targetInfos.filter((t) => t.type === 'page')).toEqual([])

    const closing = browser.close(async () => {
      await connection.send('Browser.close')
    })
    expect(browser.close()).toBe(closing)
    await closing
    const exit = await browser.exited
    expect(exit).toEqual({ code: 0, signal: null })
    expect(isGone(browser.pid)).toBe(true)
    expect(fs.existsSync(browser.userDataDir)).toBe(false)
    connection.dispose()
  })

  it('kill() ends the process with SIGKILL and is safe to call twice', async () => {
    const browser = await launchChromium({ executablePath: CHROME })
    browser.kill()
    browser.kill()
    expect(await browser.exited).toEqual({ code: null, signal: 'SIGKILL' })
    await browser.close()
    expect(fs.existsSync(browser.userDataDir)).toBe(false)
  })

  it('exposes a WebSocket endpoint on 127.0.0.1 and keeps a caller-owned profile', async () => {
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-test-own-'))
    try {
      const browser = await launchChromium({
        executablePath: CHROME,
        userDataDir,
        remoteDebuggingPort: 0,
        ignoreDefaultArgs: ['--mute-audio'],
        args: ['--disable-features=BackForwardCache'],
      })
      expect(browser.isTemporaryUserDataDir).toBe(false)
      expect(browser.args).not.toContain('--mute-audio')
      const features = browser.args.filter((arg) => arg.startsWith('--disable-features='))
      expect(features).toHaveLength(1)
      expect(features[0]).toContain('Translate')
      expect(features[0]).toContain('BackForwardCache')

      const endpoint = browser.wsEndpoint
      expect(endpoint).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/devtools\/browser\/[\w-]+$/)
      const port = new URL(endpoint ?? '').port
      const info = (await (await fetch(`http://127.0.0.1:${port}/json/version`)).json()) as { webSocketDebuggerUrl: string }
      expect(info.webSocketDebuggerUrl).toBe(endpoint)

      // Without a graceful step, close() asks Chromium to quit with SIGTERM.
      await browser.close()
      expect((await browser.exited).signal).toBeNull()
      expect(fs.existsSync(path.join(userDataDir, 'Default'))).toBe(true)
    } finally {
      // Chromium's helper processes can still be writing into the profile for a moment after the
      // browser exits: wait until none runs with this profile (10 s at most), then remove it.
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline && processesUsing(userDataDir) > 0) await new Promise((resolve) => setTimeout(resolve, 100))
      fs.rmSync(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
    }
  })

  it('fails clearly for a missing or unusable executable and a too-short timeout', async () => {
    const before = new Set(temporaryProfiles())

    const missing = launchChromium({ executablePath: '/nonexistent/chrome' })
    await expect(missing).rejects.toBeInstanceOf(BrowserNotFoundError)
    await expect(missing).rejects.toThrow(/executablePath '\/nonexistent\/chrome' does not exist/)

    const notBrowser = launchChromium({ executablePath: '/bin/false' })
    await expect(notBrowser).rejects.toBeInstanceOf(LaunchError)
    await expect(notBrowser).rejects.toThrow(/exited \(exit code 1\) before it answered[\s\S]*Command: \/bin\/false --headless/)

    const notExecutable = launchChromium({ executablePath: childScript })
    await expect(notExecutable).rejects.toBeInstanceOf(LaunchError)
    await expect(notExecutable).rejects.toThrow(/EACCES/)

    const tooSlow = launchChromium({ executablePath: CHROME, timeout: 1 })
    await expect(tooSlow).rejects.toThrow(/did not answer over the DevTools pipe within 1 ms/)

    // Failed launches delete the profiles they created.
    expect(temporaryProfiles().filter((name) => !before.has(name))).toEqual([])
  })

  it('names the bad option', async () => {
    const cases: Array<[unknown, string]> = [
      [{ timeout: -1 }, 'options.timeout'],
      [{ headles: false }, 'options.headles'],
      [{ args: ['--ok', 3] }, 'options.args'],
      [{ remoteDebuggingPort: 70000 }, 'options.remoteDebuggingPort'],
      [{ ignoreDefaultArgs: ['--remote-debugging-pipe'] }, 'options.ignoreDefaultArgs'],
      [null, 'options'],
    ]
    for (const [options, argument] of cases) {
      const attempt = launchChromium(options as never)
      await expect(attempt).rejects.toBeInstanceOf(ValidationError)
      await expect(attempt).rejects.toMatchObject({ argument })
      await expect(attempt).rejects.toThrow(/^launchChromium: argument/)
    }
  })

  describe.each([
    ['exits normally', 'exit', undefined, { code: 0, signal: null }],
    ['gets SIGTERM', 'wait', 'SIGTERM', { code: null, signal: 'SIGTERM' }],
    ['gets SIGINT', 'wait', 'SIGINT', { code: null, signal: 'SIGINT' }],
  ] as const)('a Node process that %s', (_label, mode, signal, expectedExit) => {
    it('leaves no Chromium process or profile behind', { timeout: 40_000 }, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', childScript, mode], {
        cwd: packageDir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TEST_CHROME_PATH: CHROME },
      })
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal })),
      )
      const report = await new Promise<{ pid: number; userDataDir: string }>((resolve, reject) => {
        let stdout = ''
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk
          const line = stdout.split('\n')[0]
          if (stdout.includes('\n') && line) resolve(JSON.parse(line) as { pid: number; userDataDir: string })
        })
        void exited.then((exit) => reject(new Error(`child ended early (${JSON.stringify(exit)}): ${stderr}`)))
      })
      expect(isGone(report.pid)).toBe(false)
      if (signal !== undefined) child.kill(signal)

      expect(await exited).toEqual(expectedExit)
      // An orphaned zombie is reaped by init, which can take about a second here.
      await expect.poll(() => isGone(report.pid), { timeout: 15_000, interval: 100 }).toBe(true)
      await expect.poll(() => fs.existsSync(report.userDataDir), { timeout: 15_000, interval: 100 }).toBe(false)
    })
  })
})

/** Processes whose command line names `dir` (Chromium and its helpers use --user-data-dir=dir). */
function processesUsing(dir: string): number {
  let count = 0
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) count += 1
    } catch {
      // The process ended meanwhile.
    }
  }
  return count
}
