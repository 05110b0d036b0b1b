import { spawn } from 'node:child_process'

/**
 * Every Chromium process this module launched and that has not exited yet.
 *
 * What keeps a launched browser from outliving Node:
 * - Node exits (`process.exit()`, an uncaught exception): the `exit` hook
 *   below SIGKILLs every browser and leaves the temporary profiles to a
 *   detached cleanup process.
 * - SIGINT / SIGTERM / SIGHUP (per-launch opt-out): the hooks kill the browsers
 *   that opted in, then, if nobody else listens for that signal, re-raise it so
 *   Node still terminates as it would have without us.
 * - Node itself is SIGKILLed or crashes natively: no JavaScript runs. Chromium
 *   is spawned attached (same process group, so a terminal's Ctrl-C reaches it
 *   too) and reads CDP from a pipe whose other end dies with Node; Chromium
 *   treats end-of-file on `--remote-debugging-pipe` as a request to quit
 *   (measured on Chromium 156: gone within ~1 s). The temporary profile
 *   directory is left behind in that case.
 * - Not covered: Node stopped (SIGSTOP) or hung while keeping the pipe open,
 *   and Chromium helper processes that a hung browser process fails to reap.
 */
export interface RegisteredBrowser {
  readonly pid: number
  /** Signals on which this browser should be killed. */
  readonly signals: ReadonlySet<HandledSignal>
  /** SIGKILL, synchronous, safe to call on a dead process. */
  kill(): void
  /** A temporary profile to delete when Node goes down, if any. */
  readonly temporaryDir: string | undefined
}

export type HandledSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP'

const HANDLED_SIGNALS: readonly HandledSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

const live = new Set<RegisteredBrowser>()
const signalListeners = new Map<HandledSignal, () => void>()
let exitListenerInstalled = false

/** Adds a browser; returns the function that removes it again (idempotent). */
export function registerBrowser(browser: RegisteredBrowser): () => void {
  live.add(browser)
  syncListeners()
  return () => {
    if (live.delete(browser)) syncListeners()
  }
}

function syncListeners(): void {
  if (live.size > 0 && !exitListenerInstalled) {
    process.on('exit', onExit)
    exitListenerInstalled = true
  } else if (live.size === 0 && exitListenerInstalled) {
    process.removeListener('exit', onExit)
    exitListenerInstalled = false
  }
  for (const signal of HANDLED_SIGNALS) {
    const wanted = [...live].some((browser) => browser.signals.has(signal))
    const installed = signalListeners.get(signal)
    if (wanted && !installed) {
      const listener = (): void => onSignal(signal, listener)
      signalListeners.set(signal, listener)
      process.on(signal, listener)
    } else if (!wanted && installed) {
      signalListeners.delete(signal)
      process.removeListener(signal, installed)
    }
  }
}

function killAll(browsers: Iterable<RegisteredBrowser>): void {
  for (const browser of browsers) browser.kill()
}

/**
 * Removes temporary profiles of browsers that were just SIGKILLed while Node
 * itself is going away. It cannot be done here: after the browser process
 * dies, its helper processes (network service, storage) notice a few
 * milliseconds later and may still write into the profile, so an immediate
 * delete fails with ENOTEMPTY (measured), and an `exit` hook can only run
 * synchronous code. A small detached Node process waits until the browser
 * pids are gone (at most 10 s) and then deletes the directories.
 */
function reapProfiles(browsers: readonly RegisteredBrowser[]): void {
  const dirs = browsers.flatMap((browser) => (browser.temporaryDir === undefined ? [] : [browser.temporaryDir]))
  if (dirs.length === 0) return
  const job = JSON.stringify({ pids: browsers.map((browser) => browser.pid), dirs })
  const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1' }
  delete env.NODE_OPTIONS
  try {
    const reaper = spawn(process.execPath, ['-e', REAPER_SOURCE, job], { detached: true, stdio: 'ignore', env, windowsHide: true })
    reaper.on('error', (error) => process.stderr.write(`cdp-session: could not start profile cleanup: ${error.message}\n`))
    reaper.unref()
  } catch (error) {
    // Node is exiting: there is no caller left to report to except stderr.
    process.stderr.write(`cdp-session: could not start profile cleanup for ${dirs.join(', ')}: ${String(error)}\n`)
  }
}

/** Runs in the detached cleanup process (plain CommonJS for `node -e`). */
const REAPER_SOURCE = `
const fs = require('node:fs')
const { pids, dirs } = JSON.parse(process.argv[process.argv.length - 1])
const deadline = Date.now() + 10000
const alive = (pid) => { try { process.kill(pid, 0); return true } catch (error) { return error.code === 'EPERM' } }
const removeAll = () => {
  for (const dir of dirs) {
    // Nobody is left to tell about a failure; the directory simply stays.
    fs.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }, () => undefined)
  }
}
const wait = () => (pids.some(alive) && Date.now() < deadline ? setTimeout(wait, 50) : removeAll())
wait()
`

function onExit(): void {
  const browsers = [...live]
  killAll(browsers)
  reapProfiles(browsers)
  live.clear()
  exitListenerInstalled = false
}

function onSignal(signal: HandledSignal, listener: () => void): void {
  const browsers = [...live].filter((browser) => browser.signals.has(signal))
  killAll(browsers)
  // Installing a listener turns off Node's default action for the signal
  // (terminate). If ours is the only one, hand the signal back to Node's
  // default so Ctrl-C and `kill` still end the program.
  if (process.listenerCount(signal) === 1 && process.listeners(signal)[0] === listener) {
    // Browsers that opted out of this signal lose their pipe when Node dies
    // and quit too, so every temporary profile is handed over.
    reapProfiles([...live])
    process.removeListener(signal, listener)
    signalListeners.delete(signal)
    process.kill(process.pid, signal)
  }
  // Otherwise the program goes on; each browser leaves the registry and has
  // its profile removed by the launcher when its exit is observed.
}
