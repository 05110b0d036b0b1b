// Connect to a Chrome that is already running (started by someone else with
// --remote-debugging-port): cdp-session attaches, works in a session of its own, and leaves the
// browser running when it disconnects.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { connect, findChrome } from 'cdp-session'
import { isMain, startSite } from './site.js'

export async function runConnectRunning(log: (line: string) => void = console.log) {
  const site = await startSite()
  const userDataDir = await mkdtemp(join(tmpdir(), 'cdp-session-running-'))
  // The "already running" Chrome: a plain child process with a DevTools port (0 = any free one).
  const args = ['--headless', '--remote-debugging-port=0', `--user-data-dir=${userDataDir}`, '--no-first-run', 'about:blank']
  if (process.getuid?.() === 0) args.unshift('--no-sandbox')
  const chrome = spawn(findChrome().path, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: chrome.stderr })
      lines.on('line', (line) => {
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(line)
        if (match?.[1]) resolve(match[1])
      })
      chrome.once('exit', (code) => reject(new Error(`Chrome exited (${String(code)}) before listening`)))
    })
    const browser = await connect({ browserURL: `http://${new URL(endpoint).host}` })
    const session = browser.session.fromPartition('visitor')
    session.setUserAgent('ConnectedBot/1.0')
    const page = await session.createWebContents()
    await page.loadURL(`${site.origin}/hello`)
    const title = await page.executeJavaScript('document.title')
    await browser.close() // disconnects; a connect()ed browser is never killed
    const report = {
      version: browser.version,
      title,
      userAgentSeen: site.requests.find((r) => r.path === '/hello')?.headers['user-agent'],
      stillRunning: chrome.exitCode === null && chrome.signalCode === null && process.kill(chrome.pid!, 0),
    }
    log(`connected to ${report.version}; loaded '${String(report.title)}' as ${String(report.userAgentSeen)}; Chrome still running after close(): ${String(report.stillRunning)}`)
    return report
  } finally {
    chrome.kill('SIGKILL')
    await new Promise((resolve) => (chrome.exitCode !== null || chrome.signalCode !== null ? resolve(undefined) : chrome.once('exit', resolve)))
    await rm(userDataDir, { recursive: true, force: true })
    await site.close()
  }
}

if (isMain(import.meta.url)) await runConnectRunning()
