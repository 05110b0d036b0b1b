import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { debuglog } from 'node:util'
import type { Transport } from './transport.js'
import { PipeTransport } from 'puppeteer-core/internal/node/PipeTransport.js'
import { z } from 'zod'
import { BrowserNotFoundError, LaunchError, ValidationError } from '../common/errors.js'
import { findChrome } from './find-chrome.js'
import { registerBrowser, type HandledSignal } from './process-registry.js'

const API = 'launchChromium'
const debug = debuglog('cdp-session')

export interface ChromiumLaunchOptions {
  /** Chrome/Chromium binary; default: `findChrome()`. */
  executablePath?: string
  /** Run new headless mode. Default true. */
  headless?: boolean
  /** Profile directory. Default: a fresh temporary directory, removed after the browser exits. */
  userDataDir?: string
  /** Extra command-line flags, appended after the defaults. */
  args?: string[]
  /** `true` drops every default flag except the pipe and the profile; an array drops the named flags. */
  ignoreDefaultArgs?: boolean | string[]
  /** Environment of the browser process. Default: `process.env`. */
  env?: NodeJS.ProcessEnv
  /**
   * Also listen for DevTools WebSocket connections on 127.0.0.1 at this port
   * (0 = any free port) and expose `wsEndpoint`. Default: pipe only.
   */
  remoteDebuggingPort?: number
  /** Milliseconds to wait for the first CDP answer (0 = no limit). Default 30000. */
  timeout?: number
  /** Forward the browser's stdout and stderr to ours. Default false. */
  dumpio?: boolean
  /** Kill the browser on these signals (then let Node's default action run). Default true. */
  handleSIGINT?: boolean
  handleSIGTERM?: boolean
  handleSIGHUP?: boolean
}

export interface ChromiumExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface LaunchedChromium {
  /** CDP over `--remote-debugging-pipe`; hand it to puppeteer-core's `Connection`. */
  readonly transport: Transport
  readonly process: ChildProcess
  readonly pid: number
  readonly userDataDir: string
  readonly isTemporaryUserDataDir: boolean
  /** `ws://127.0.0.1:PORT/devtools/browser/ID` when `remoteDebuggingPort` was set. */
  readonly wsEndpoint: string | undefined
  /** Settles when the browser process has exited; never rejects. */
  readonly exited: Promise<ChromiumExit>
  readonly executablePath: string
  /** The exact arguments the executable was started with. */
  readonly args: readonly string[]
  /**
   * The answers to the two commands sent with the start-up probe (`Browser.getVersion`,
   * `Target.getBrowserContexts`), so that the connection's owner need not ask again.
   */
  readonly firstAnswers: { version: { product: string; userAgent: string }; defaultBrowserContextId: string | undefined }
  /** SIGKILL now; does nothing if the process is already gone. */
  kill(): void
  /**
   * Ends the browser: runs `graceful` (e.g. send `Browser.close`) — or sends
   * SIGTERM when none is given — and SIGKILLs if that fails or the process is
   * still running after `timeoutMs` (default 5000). Resolves once the process
   * has exited and a temporary profile is removed. Calling it again returns
   * the same promise.
   */
  close(graceful?: () => Promise<void>, timeoutMs?: number): Promise<void>
}

/** Features that make Chromium talk to Google services or open UI in the background. */
const DISABLED_FEATURES = [
  'Translate', // translate bubble and its language-detection downloads
  'MediaRouter', // Cast discovery: mDNS/SSDP traffic on the local network
  'OptimizationHints', // fetches page-load hints from Google
  'AutofillServerCommunication', // uploads form signatures to Google
  'CertificateTransparencyComponentUpdater', // downloads CT logs in the background
  'InterestFeedContentSuggestions', // new-tab-page feed fetches
  'DialMediaRouteProvider', // DIAL device discovery on the LAN
  // Chromium 15x builds the omnibox popup as WebUI and loads it ahead of time in every browser
  // window, headless too: two `chrome://omnibox-popup.top-chrome/` renderers per browser context.
  // Idle, each keeps its main thread busy (measured on Chromium 156: 20 idle sessions cost 145% of
  // a core, 3.5% without them), so every session made the browser slower for all the others.
  'WebUIOmniboxPopup',
  'WebUIOmniboxFullPopup',
  'WebUIOmniboxAimPopup',
]

/**
 * The flags every launch gets unless `ignoreDefaultArgs` removes them. The
 * pipe and `--user-data-dir` are not in this list: they are always added.
 */
export function defaultChromiumArgs(headless: boolean, runningAsRoot: boolean): string[] {
  const flags: Array<string | false> = [
    // Chrome ≥ 132 has only the "new" headless mode: the full browser without a window.
    headless && '--headless',
    // Chromium refuses to start as root with its sandbox on; it has to be off there.
    runningAsRoot && '--no-sandbox',
    // Skip the first-run welcome tab and the "make me default" infobar.
    '--no-first-run',
    '--no-default-browser-check',
    // No variations seed, no safe-browsing list downloads, no other idle network traffic.
    '--disable-background-networking',
    // The component updater would fetch Widevine, CRLSets, etc. into the profile.
    '--disable-component-update',
    '--disable-sync',
    // Default apps and extensions would add their own targets and background pages.
    '--disable-default-apps',
    '--disable-extensions',
    // Component extensions with background pages would start (and be shut down) with every
    // browser; Playwright launches with the same switch.
    '--disable-component-extensions-with-background-pages',
    // Chromium's field-trial testing config would turn experiments on at start-up (Playwright
    // turns it off too): the same features on every launch.
    '--disable-field-trial-config',
    // Domain reliability uploads network error reports to Google.
    '--disable-domain-reliability',
    // The phishing classifier downloads models and scans pages.
    '--disable-client-side-phishing-detection',
    // No crash dumps and no crashpad handler writing into the profile.
    '--disable-breakpad',
    '--disable-crash-reporter',
    // Keep UMA recording local (it never uploads with this flag).
    '--metrics-recording-only',
    // Do not start background "autorun" services (e.g. on macOS login items).
    '--no-service-autorun',
    // Store passwords and cookie keys in plain files instead of the desktop
    // keyring (Linux) or Keychain (macOS), which could block on a prompt.
    '--password-store=basic',
    '--use-mock-keychain',
    `--disable-features=${DISABLED_FEATURES.join(',')}`,
    // Hidden/headless pages would otherwise get throttled timers, frozen
    // renderers and low priority, which makes automation slow and flaky.
    '--disable-background-timer-throttling',
    '--disable-backgrounding-occluded-windows',
    '--disable-renderer-backgrounding',
    // Chromium drops IPC from a renderer that sends "too many" messages, e.g.
    // fast navigations or history.pushState loops driven over CDP.
    '--disable-ipc-flooding-protection',
    // The hang monitor would show "page unresponsive" dialogs while a page is
    // paused in the debugger.
    '--disable-hang-monitor',
    // window.open from scripts must create targets instead of being blocked.
    '--disable-popup-blocking',
    // Re-posting a form on reload would open a confirmation dialog.
    '--disable-prompt-on-repost',
    // No GPU is needed without a window; avoids GPU-process start-up failures on servers.
    headless && '--disable-gpu',
    '--mute-audio',
    // <a ping> hyperlink auditing requests.
    '--no-pings',
    // QUIC to servers that advertise it would bypass a local HTTP(S) proxy (TCP only).
    '--disable-quic',
  ]
  return flags.filter((flag): flag is string => flag !== false)
}

/** Flags the launcher cannot work without. */
const ESSENTIAL_FLAGS = ['--remote-debugging-pipe', '--user-data-dir']

const optionsSchema = z.strictObject({
  executablePath: z.string().min(1).optional(),
  headless: z.boolean().optional(),
  userDataDir: z.string().min(1).optional(),
  args: z.array(z.string()).optional(),
  ignoreDefaultArgs: z.union([z.boolean(), z.array(z.string())]).optional(),
  env: z.record(z.string(), z.string().optional()).optional(),
  remoteDebuggingPort: z.int().min(0).max(65535).optional(),
  timeout: z.number().min(0).optional(),
  dumpio: z.boolean().optional(),
  handleSIGINT: z.boolean().optional(),
  handleSIGTERM: z.boolean().optional(),
  handleSIGHUP: z.boolean().optional(),
})

type ParsedOptions = z.output<typeof optionsSchema>

const EXPECTED: Record<keyof ParsedOptions, string> = {
  executablePath: 'a non-empty path to a Chrome or Chromium executable',
  headless: 'a boolean',
  userDataDir: 'a non-empty directory path',
  args: 'an array of strings',
  ignoreDefaultArgs: 'a boolean or an array of flag strings',
  env: 'an object of environment variables with string values',
  remoteDebuggingPort: 'an integer port from 0 to 65535 (0 = any free port)',
  timeout: 'a number of milliseconds >= 0 (0 = no limit)',
  dumpio: 'a boolean',
  handleSIGINT: 'a boolean',
  handleSIGTERM: 'a boolean',
  handleSIGHUP: 'a boolean',
}

function parseOptions(options: unknown): ParsedOptions {
  if (options === undefined) return {}
  const result = optionsSchema.safeParse(options)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const record = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>
  if (issue?.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? ''
    throw new ValidationError(API, `options.${key}`, record[key], `no such option (known: ${Object.keys(EXPECTED).join(', ')})`)
  }
  const key = issue?.path[0]
  if (typeof key === 'string' && key in EXPECTED) {
    throw new ValidationError(API, `options.${key}`, record[key], EXPECTED[key as keyof ParsedOptions])
  }
  throw new ValidationError(API, 'options', options, 'an object of launch options or undefined')
}

function flagName(flag: string): string {
  const equals = flag.indexOf('=')
  return equals === -1 ? flag : flag.slice(0, equals)
}

function valueOf(args: readonly string[], name: string): string | undefined {
  let found: string | undefined
  for (const arg of args) if (arg.startsWith(`${name}=`)) found = arg.slice(name.length + 1)
  return found
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`
}

/** Keeps the last lines Chromium printed, for launch diagnostics. */
class OutputTail {
  readonly #lines: string[] = []
  #partial = ''
  constructor(readonly maxLines: number) {}
  /** Adds a chunk; returns the complete lines it finished. */
  push(chunk: string): string[] {
    const pieces = (this.#partial + chunk).split('\n')
    this.#partial = pieces.pop() ?? ''
    for (const line of pieces) {
      this.#lines.push(line)
      if (this.#lines.length > this.maxLines) this.#lines.shift()
    }
    return pieces
  }
  text(): string {
    const lines = this.#partial ? [...this.#lines, this.#partial] : this.#lines
    return lines.join('\n').trim()
  }
}

const PROBE_ID = -1 // puppeteer-core's Connection numbers its commands from 1 upwards
/** Sent with the probe, in the same write: the default context's id is the next thing every owner asks. */
const CONTEXTS_ID = -2

interface Resolved {
  executablePath: string
  args: string[]
  userDataDir: string
  isTemporaryUserDataDir: boolean
  wantsWsEndpoint: boolean
}

async function resolveLaunch(options: ParsedOptions): Promise<Resolved> {
  const headless = options.headless ?? true
  const userArgs = [...(options.args ?? [])]
  const ignore = options.ignoreDefaultArgs ?? false
  if (Array.isArray(ignore)) {
    const essential = ignore.find((flag) => ESSENTIAL_FLAGS.includes(flagName(flag)))
    if (essential !== undefined) {
      throw new ValidationError(API, 'options.ignoreDefaultArgs', ignore, `flags other than ${ESSENTIAL_FLAGS.join(' and ')}`)
    }
  }

  // A profile given as a flag counts as a caller-owned directory.
  const userDataFlag = valueOf(userArgs, '--user-data-dir')
  if (userDataFlag !== undefined && options.userDataDir !== undefined && path.resolve(userDataFlag) !== path.resolve(options.userDataDir)) {
    throw new ValidationError(API, 'options.args', userArgs, `no --user-data-dir flag that differs from options.userDataDir ('${options.userDataDir}')`)
  }
  const givenDir = options.userDataDir ?? userDataFlag
  const withoutDataDir = userArgs.filter((arg) => flagName(arg) !== '--user-data-dir' && arg !== '--remote-debugging-pipe')

  let defaults = ignore === true ? [] : defaultChromiumArgs(headless, process.getuid?.() === 0)
  if (Array.isArray(ignore)) defaults = defaults.filter((flag) => !ignore.some((drop) => drop === flag || drop === flagName(flag)))

  // Chromium honours only the last --disable-features; fold the caller's into ours.
  let extra = withoutDataDir
  const ownFeatures = defaults.findIndex((flag) => flagName(flag) === '--disable-features')
  if (ownFeatures !== -1 && extra.some((arg) => flagName(arg) === '--disable-features')) {
    const callerFeatures = extra.filter((arg) => flagName(arg) === '--disable-features').map((arg) => arg.slice('--disable-features='.length))
    defaults[ownFeatures] = `--disable-features=${[...DISABLED_FEATURES, ...callerFeatures].filter(Boolean).join(',')}`
    extra = extra.filter((arg) => flagName(arg) !== '--disable-features')
  }

  let executablePath = options.executablePath
  if (executablePath === undefined) {
    executablePath = findChrome().path
  } else if (!fs.existsSync(executablePath)) {
    throw new BrowserNotFoundError(
      `${API}: executablePath '${executablePath}' does not exist. ` +
        'Pass the path of an installed Chrome or Chromium executable, or omit executablePath to search the usual locations.',
      [executablePath],
    )
  }

  const userDataDir = givenDir !== undefined ? path.resolve(givenDir) : await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cdp-session-profile-'))
  const portFlag = options.remoteDebuggingPort !== undefined ? [`--remote-debugging-port=${options.remoteDebuggingPort}`] : []
  // Without a URL Chromium opens its start page (in headless the new-tab page, which fails to an
  // error page). With none asked for, it opens no window at all (as Playwright launches it): that
  // is ~70 ms less to the first answer and ~30 ms less to close than a blank first page (measured
  // on 156, docs/benchmarks.md), and the default session starts with no page, like Electron's app
  // before its first BrowserWindow.
  const startUrl = extra.some((arg) => !arg.startsWith('-')) || extra.includes('--no-startup-window') ? [] : ['--no-startup-window']
  const args = [...defaults, '--remote-debugging-pipe', `--user-data-dir=${userDataDir}`, ...portFlag, ...extra, ...startUrl]
  return {
    executablePath,
    args,
    userDataDir,
    isTemporaryUserDataDir: givenDir === undefined,
    wantsWsEndpoint: valueOf(args, '--remote-debugging-port') !== undefined,
  }
}

class Launched implements LaunchedChromium {
  readonly transport: Transport
  readonly process: ChildProcess
  readonly pid: number
  readonly userDataDir: string
  readonly isTemporaryUserDataDir: boolean
  readonly wsEndpoint: string | undefined
  readonly exited: Promise<ChromiumExit>
  readonly executablePath: string
  readonly args: readonly string[]
  readonly firstAnswers: LaunchedChromium['firstAnswers']
  /** Process gone and temporary profile removed. */
  readonly #cleanedUp: Promise<void>
  #closing: Promise<void> | undefined

  constructor(
    child: ChildProcess,
    pid: number,
    transport: Transport,
    exited: Promise<ChromiumExit>,
    resolved: Resolved,
    wsEndpoint: string | undefined,
    firstAnswers: LaunchedChromium['firstAnswers'],
  ) {
    this.firstAnswers = firstAnswers
    this.process = child
    this.wsEndpoint = wsEndpoint
    this.pid = pid
    this.transport = transport
    this.exited = exited
    this.executablePath = resolved.executablePath
    this.args = Object.freeze([...resolved.args])
    this.userDataDir = resolved.userDataDir
    this.isTemporaryUserDataDir = resolved.isTemporaryUserDataDir
    this.#cleanedUp = exited.then(() => this.#removeTemporaryProfile())
  }

  get #running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null
  }

  kill(): void {
    if (this.#running) this.process.kill('SIGKILL')
  }

  close(graceful?: () => Promise<void>, timeoutMs = 5000): Promise<void> {
    if (graceful !== undefined && typeof graceful !== 'function') {
      throw new ValidationError('LaunchedChromium.close', 'graceful', graceful, 'a function returning a promise, or undefined')
    }
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
      throw new ValidationError('LaunchedChromium.close', 'timeoutMs', timeoutMs, 'a finite number of milliseconds >= 0')
    }
    this.#closing ??= this.#close(graceful, timeoutMs)
    return this.#closing
  }

  async #close(graceful: (() => Promise<void>) | undefined, timeoutMs: number): Promise<void> {
    if (this.#running) {
      const outcome = await new Promise<'exited' | 'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), timeoutMs)
        void this.exited.then(() => {
          clearTimeout(timer)
          resolve('exited')
        })
        if (graceful === undefined) {
          // SIGTERM is Chromium's session-end shutdown: quick, and it saves localStorage and
          // IndexedDB, but not cookies written since the store's last flush (measured on 156;
          // docs/decisions.md). A profile that must keep them is closed with Browser.close.
          this.process.kill('SIGTERM')
        } else {
          Promise.resolve()
            .then(graceful)
            .then(undefined, (error: unknown) => {
              // Browser.close often loses its answer: Chromium closes the pipe as it exits. So a
              // failure here still waits for the exit (until the timeout) before any SIGKILL,
              // which would cut short a browser flushing its profile.
              debug('graceful browser close of pid %d reported %s; waiting for the exit', this.pid, error instanceof Error ? error.message : String(error))
            })
        }
      })
      if (outcome !== 'exited') this.kill()
    }
    await this.#cleanedUp
  }

  async #removeTemporaryProfile(): Promise<void> {
    const pipeWrite = this.process.stdio[3] as Writable | null
    pipeWrite?.destroy()
    if (!this.isTemporaryUserDataDir) return
    // Helper processes (network service, storage) can still be writing for a
    // moment after the browser process exits, so a first attempt may hit
    // ENOTEMPTY; rm retries with a growing delay.
    await removeProfile(this.userDataDir)
  }
}

/** Deletes a temporary profile; a failure becomes a process warning, not an error. */
async function removeProfile(dir: string): Promise<void> {
  try {
    await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
  } catch (error) {
    process.emitWarning(`could not remove temporary Chromium profile ${dir}: ${String(error)}`, { code: 'CDP_SESSION_PROFILE_CLEANUP' })
  }
}

/**
 * Starts a Chromium process that speaks CDP over `--remote-debugging-pipe`
 * and resolves once it has answered a first command.
 *
 * @throws ValidationError for bad options, BrowserNotFoundError when no
 *   executable exists, LaunchError when the process fails to start or answer.
 */
export async function launchChromium(options?: ChromiumLaunchOptions): Promise<LaunchedChromium> {
  const parsed = parseOptions(options)
  const resolved = await resolveLaunch(parsed)
  const dumpio = parsed.dumpio ?? false
  const timeout = parsed.timeout ?? 30_000
  const commandLine = [resolved.executablePath, ...resolved.args].map(shellQuote).join(' ')

  const removeFailedProfile = async (): Promise<void> => {
    if (resolved.isTemporaryUserDataDir) await removeProfile(resolved.userDataDir)
  }

  // Attached (not detached): Chromium stays in our process group, so a
  // terminal's Ctrl-C reaches it as well. fd 3 is the pipe Chromium reads
  // CDP commands from, fd 4 the one it writes answers and events to.
  const child = spawn(resolved.executablePath, resolved.args, {
    stdio: ['ignore', dumpio ? 'inherit' : 'ignore', 'pipe', 'pipe', 'pipe'],
    env: parsed.env ?? process.env,
    detached: false,
    windowsHide: true,
  })

  let spawnError: Error | undefined
  const exited = new Promise<ChromiumExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
    child.on('error', (error) => {
      spawnError ??= error
      // A process that never started emits no 'exit'.
      if (child.pid === undefined) resolve({ code: null, signal: null })
      else debug('chromium pid %d: %s', child.pid, error.message)
    })
  })

  const pid = child.pid
  if (pid === undefined) {
    await exited
    await removeFailedProfile()
    throw new LaunchError(
      `${API}: could not start '${resolved.executablePath}': ${spawnError?.message ?? 'unknown error'}. ` +
        'Check that the file is a Chrome or Chromium executable and that it is executable.',
      { cause: spawnError },
    )
  }

  const signals = new Set<HandledSignal>()
  if (parsed.handleSIGINT ?? true) signals.add('SIGINT')
  if (parsed.handleSIGTERM ?? true) signals.add('SIGTERM')
  if (parsed.handleSIGHUP ?? true) signals.add('SIGHUP')
  const unregister = registerBrowser({
    pid,
    signals,
    temporaryDir: resolved.isTemporaryUserDataDir ? resolved.userDataDir : undefined,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  })
  void exited.then(unregister)

  // Chromium's stderr must be drained for its whole life: once the pipe
  // buffer (64 KiB) is full, Chromium blocks on its next log line.
  const stderrTail = new OutputTail(40)
  let wsEndpoint: string | undefined
  let onWsEndpoint: (() => void) | undefined
  const stderr = child.stderr as Readable
  stderr.setEncoding('utf8')
  stderr.on('data', (chunk: string) => {
    if (dumpio) process.stderr.write(chunk)
    for (const line of stderrTail.push(chunk)) {
      const match = wsEndpoint === undefined ? /DevTools listening on (ws:\/\/\S+)/.exec(line) : null
      if (match?.[1] !== undefined) {
        wsEndpoint = match[1]
        onWsEndpoint?.()
      }
    }
  })

  const transport = new PipeTransport(child.stdio[3] as Writable, child.stdio[4] as Readable)
  const failure = (what: string, hint: string): LaunchError =>
    new LaunchError(
      `${API}: ${what}. ${hint}\nCommand: ${commandLine}\n` + (stderrTail.text() ? `Last stderr output:\n${stderrTail.text()}` : 'Chromium printed nothing on stderr.'),
      spawnError ? { cause: spawnError } : undefined,
    )

  let timer: NodeJS.Timeout | undefined
  let version: { product: string; userAgent: string } | undefined
  let defaultBrowserContextId: string | undefined
  let contextsAnswered = false
  try {
    await new Promise<void>((resolve, reject) => {
      let answered = false
      const settleIfReady = (): void => {
        if (answered && contextsAnswered && (!resolved.wantsWsEndpoint || wsEndpoint !== undefined)) resolve()
      }
      onWsEndpoint = settleIfReady
      transport.onmessage = (message: string) => {
        let parsed: { id?: unknown; result?: { product?: unknown; userAgent?: unknown; defaultBrowserContextId?: unknown } }
        try {
          parsed = JSON.parse(message) as typeof parsed
        } catch (error) {
          reject(failure(`Chromium sent a message that is not JSON (${String(error)})`, 'Check that the executable is Chrome or Chromium.'))
          return
        }
        const { id, result } = parsed
        if (id === PROBE_ID) {
          answered = true
          version = { product: String(result?.product ?? ''), userAgent: String(result?.userAgent ?? '') }
          settleIfReady()
        } else if (id === CONTEXTS_ID) {
          contextsAnswered = true
          defaultBrowserContextId = typeof result?.defaultBrowserContextId === 'string' ? result.defaultBrowserContextId : undefined
          settleIfReady()
        }
      }
      void exited.then(({ code, signal }) => {
        const how = signal !== null ? `signal ${signal}` : `exit code ${String(code)}`
        reject(failure(`Chromium exited (${how}) before it answered over the DevTools pipe`, 'See its output below; as root, Chromium needs --no-sandbox.'))
      })
      if (timeout > 0) {
        timer = setTimeout(() => {
          const what = answered
            ? `Chromium did not print its DevTools WebSocket address within ${timeout} ms`
            : `Chromium did not answer over the DevTools pipe within ${timeout} ms`
          reject(failure(what, 'Raise the timeout option on a slow machine, or look at the output below.'))
        }, timeout)
      }
      transport.send(JSON.stringify({ id: PROBE_ID, method: 'Browser.getVersion' }))
      transport.send(JSON.stringify({ id: CONTEXTS_ID, method: 'Target.getBrowserContexts' }))
    })
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    await removeFailedProfile()
    throw error
  } finally {
    clearTimeout(timer)
    onWsEndpoint = undefined
    transport.onmessage = undefined
  }

  return new Launched(child, pid, transport, exited, resolved, wsEndpoint, { version: version ?? { product: '', userAgent: '' }, defaultBrowserContextId })
}
