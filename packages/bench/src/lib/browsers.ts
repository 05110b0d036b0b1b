/**
 * Launch helpers shared by all scenarios: each returns a freshly started
 * headless Chromium driven by one contender, plus a close() that never throws.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'

import { chromium, type Browser as PlaywrightBrowser } from 'playwright-core'
import { launch as puppeteerLaunch, type Browser as PuppeteerBrowser } from 'puppeteer-core'
import { Connection } from 'puppeteer-core/internal/cdp/Connection.js'
import { PipeTransport } from 'puppeteer-core/internal/node/PipeTransport.js'

export const CHROMIUM_PATH = process.env['BENCH_CHROMIUM'] ?? '/usr/bin/chromium'

/** Switches every contender's browser gets (as far as its launcher allows). */
export const COMMON_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
]

/**
 * The raw floor also turns off the omnibox popup WebUI that Chromium 15x preloads in every
 * window, as cdp-session's defaults do: two idle renderers per context that keep a core busy
 * (docs/benchmarks.md, Method). The floor is the least the work can cost on this browser, so it
 * must not carry them. Playwright and Puppeteer run with their own defaults.
 */
export const RAW_ARGS: readonly string[] = [
  ...COMMON_ARGS,
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup',
]

/** Playwright and Puppeteer add their own headless switch when `headless: true`. */
const FRAMEWORK_ARGS = COMMON_ARGS.filter((arg) => arg !== '--headless')

export async function quietly(action: () => Promise<unknown>): Promise<void> {
  try {
    await action()
  } catch {
    // Closing a browser that already went away is not worth reporting.
  }
}

// ---------------------------------------------------------------- Playwright

export async function launchPlaywright(): Promise<PlaywrightBrowser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...FRAMEWORK_ARGS] })
}

// ----------------------------------------------------------------- Puppeteer

export async function launchPuppeteer(): Promise<PuppeteerBrowser> {
  return puppeteerLaunch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    pipe: true,
    args: [...FRAMEWORK_ARGS],
  })
}

// --------------------------------------------------------------- cdp-session

/**
 * The slice of cdp-session's public API the benchmarks use. Declared here
 * (instead of imported) so the bench type-checks and runs even while the
 * library is unbuilt; a failed import just makes the contender unavailable.
 */
export interface CdpSessionWebContents {
  loadURL(url: string): Promise<unknown>
}
export interface CdpSessionSession {
  createWebContents(): Promise<CdpSessionWebContents>
  close(): Promise<unknown>
}
export interface CdpSessionBrowser {
  session: { fromPartition(partition: string): CdpSessionSession | Promise<CdpSessionSession> }
  close(): Promise<unknown>
}
interface CdpSessionModule {
  launch(options: { executablePath: string; gateway?: boolean }): Promise<CdpSessionBrowser>
}

export async function launchCdpSession(options: { gateway?: boolean } = {}): Promise<CdpSessionBrowser> {
  // A variable specifier keeps tsc from resolving the (maybe unbuilt) package.
  const specifier: string = 'cdp-session'
  let mod: Partial<CdpSessionModule>
  try {
    mod = (await import(specifier)) as Partial<CdpSessionModule>
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    if (code === 'ERR_MODULE_NOT_FOUND') throw new Error('cdp-session is not built yet (run `pnpm build`)')
    throw new Error(`cannot import cdp-session: ${describeError(error)}`)
  }
  if (typeof mod.launch !== 'function') throw new Error('cdp-session does not export launch() yet')
  return mod.launch({ executablePath: CHROMIUM_PATH, ...options })
}

// ------------------------------------------------------------------- raw CDP

/** A bare Chromium on --remote-debugging-pipe with puppeteer's low-level Connection. */
export interface RawBrowser {
  connection: Connection
  close(): Promise<void>
}

/** `extraArgs` go after the floor's own switches (e.g. a `--proxy-server` for a reference hop). */
export async function launchRaw(extraArgs: readonly string[] = []): Promise<RawBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'cdp-bench-raw-'))
  const child = spawn(
    CHROMIUM_PATH,
    [...RAW_ARGS, ...extraArgs, '--remote-debugging-pipe', `--user-data-dir=${userDataDir}`, 'about:blank'],
    // fd 3: we write commands, fd 4: the browser writes replies.
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  )
  // Keep the tail of stderr for error messages, and keep the pipe drained.
  let stderrTail = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-2000)
  })
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)

  const transport = new PipeTransport(child.stdio[3] as Writable, child.stdio[4] as Readable)
  const connection = new Connection('pipe', transport, 0, 30_000)

  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    if (child.exitCode === null && child.signalCode === null) {
      // The profile is temporary: SIGTERM, Chromium's session-end exit (quicker than Browser.close), as cdp-session does.
      child.kill('SIGTERM')
      if (!(await waitForExit(child, 5_000))) {
        child.kill('SIGKILL')
        await waitForExit(child, 5_000)
      }
    }
    connection.dispose()
    process.removeListener('exit', killOnExit)
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 })
  }

  try {
    const exited = new Promise<never>((_, reject) => {
      child.once('error', reject)
      child.once('exit', (code, signal) =>
        reject(new Error(`chromium exited early (code ${code}, signal ${signal}): ${stderrTail.trim()}`)),
      )
    })
    exited.catch(() => undefined)
    await withTimeout(Promise.race([connection.send('Browser.getVersion'), exited]), 30_000, 'raw launch')
  } catch (error) {
    await close()
    throw error
  }
  return { connection, close }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

// --------------------------------------------------------------------- utils

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name
  return String(error)
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The raw CDP floor's page load: a page in `browserContextId` (attached, flat), loaded to `url`
 * until its load event, with the fewest commands that do it.
 */
export async function rawLoadInContext(connection: Connection, browserContextId: string, url: string): Promise<void> {
  const { targetId } = await connection.send('Target.createTarget', { url: 'about:blank', browserContextId })
  const { sessionId } = await connection.send('Target.attachToTarget', { targetId, flatten: true })
  const page = connection.session(sessionId)
  if (!page) throw new Error(`no CDP session object for ${sessionId}`)
  await page.send('Page.enable')
  // Listen first, then navigate, so a fast load cannot slip past us.
  const loaded = new Promise<void>((resolve) => page.once('Page.loadEventFired', () => resolve()))
  const nav = await page.send('Page.navigate', { url })
  if (nav.errorText) throw new Error(`navigation failed: ${nav.errorText}`)
  await loaded
}
