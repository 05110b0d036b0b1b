import { EventEmitter } from 'node:events'
import { isAbsolute, join, resolve } from 'node:path'
import { z } from 'zod'
import { LaunchError, NotSupportedError, SessionClosedError, ValidationError } from '../common/errors.js'
import { ElectronEvent } from '../common/event.js'
import { detach } from '../common/util.js'
import { validateArg } from '../common/validate.js'
import { BrowserProcess } from '../cdp/browser-process.js'
import type { ChromiumLaunchOptions } from '../cdp/launcher.js'
import { Session, type SessionBinding, type SessionHost } from './session.js'
import type { WebContents } from './web-contents.js'

export type LaunchOptions = ChromiumLaunchOptions

export interface ConnectOptions {
  /** e.g. `http://127.0.0.1:9222` — the `/json/version` endpoint gives the WebSocket URL. */
  browserURL?: string
  browserWSEndpoint?: string
}

export interface PartitionOptions {
  /** false: the HTTP cache is off for every page of the session. Default true. */
  cache?: boolean
}

export interface BrowserEvents {
  'web-contents-created': [event: ElectronEvent<Browser>, webContents: WebContents]
  /** The main browser process exited or the connection closed. */
  disconnected: []
}

const partitionSchema = z.string()
const partitionOptionsSchema = z.strictObject({ cache: z.boolean().optional() }).optional()
const connectSchema = z
  .strictObject({ browserURL: z.url().optional(), browserWSEndpoint: z.url().optional() })
  .refine((o) => (o.browserURL === undefined) !== (o.browserWSEndpoint === undefined), 'exactly one of browserURL or browserWSEndpoint')

const liveBrowsers = new Set<Browser>()

/**
 * Electron's `session` module: sessions by partition string, memoised.
 * `''` → the default session; `persist:NAME` → on disk (its own browser
 * process under `<userDataDir>/Partitions/NAME`); anything else → in memory.
 */
export class SessionModule {
  readonly #browser: Browser
  readonly #sessions = new Map<string, Session>()

  /** @internal */
  constructor(browser: Browser) {
    this.#browser = browser
  }

  get defaultSession(): Session {
    return this.fromPartition('')
  }

  fromPartition(partition: string, options?: PartitionOptions): Session {
    const api = 'session.fromPartition'
    validateArg(api, 'partition', partitionSchema, partition, "a string ('' for the default session, 'persist:NAME' for one on disk, any other for one in memory)")
    const parsed = validateArg(api, 'options', partitionOptionsSchema, options, '{ cache?: boolean }')
    const existing = this.#sessions.get(partition)
    if (existing && !existing.closed) return existing
    const session = this.#browser.createSession(partition, undefined, parsed?.cache ?? true)
    this.#sessions.set(partition, session)
    return session
  }

  /** A persistent session whose data lives in the absolute directory `path`. */
  fromPath(path: string, options?: PartitionOptions): Session {
    const api = 'session.fromPath'
    validateArg(api, 'path', z.string().refine(isAbsolute, 'not absolute'), path, 'an absolute directory path')
    const parsed = validateArg(api, 'options', partitionOptionsSchema, options, '{ cache?: boolean }')
    const key = `path:${resolve(path)}`
    const existing = this.#sessions.get(key)
    if (existing && !existing.closed) return existing
    const session = this.#browser.createSession(key, resolve(path), parsed?.cache ?? true)
    this.#sessions.set(key, session)
    return session
  }

  /** @internal */
  all(): Session[] {
    return [...this.#sessions.values()]
  }
}

/**
 * A Chromium browser driven over CDP: the root of everything. `launch()` owns
 * the process; `connect()` attaches to one the user started and never kills it.
 */
export class Browser extends EventEmitter<BrowserEvents> implements SessionHost {
  readonly session: SessionModule
  readonly webContents = {
    fromId: (id: number): WebContents | undefined => this.#webContents.get(id),
    getAllWebContents: (): WebContents[] => [...this.#webContents.values()],
  }
  readonly #main: BrowserProcess
  readonly #launchOptions: LaunchOptions | undefined
  readonly #webContents = new Map<number, WebContents>()
  readonly #partitionProcesses = new Set<BrowserProcess>()
  #nextWebContentsId = 1
  #closing: Promise<void> | undefined

  private constructor(main: BrowserProcess, launchOptions: LaunchOptions | undefined) {
    super()
    this.#main = main
    this.#launchOptions = launchOptions
    this.session = new SessionModule(this)
    liveBrowsers.add(this)
    main.whenClosed(() => this.#onMainGone())
  }

  /** @internal */
  static async create(main: BrowserProcess, launchOptions: LaunchOptions | undefined): Promise<Browser> {
    const browser = new Browser(main, launchOptions)
    // The default context's owner must exist before auto-attach reports the
    // pages already open in it.
    browser.session.fromPartition('')
    await main.start()
    return browser
  }

  get connected(): boolean {
    return !this.#main.closed
  }

  /** The browser's own user agent (what getUserAgent() returns without an override). */
  get userAgent(): string {
    return this.#main.userAgent
  }

  get version(): string {
    return this.#main.product
  }

  /** `ws://` endpoint when launched with `remoteDebuggingPort`, or the one connected to. */
  get wsEndpoint(): string | undefined {
    return this.#main.launched?.wsEndpoint
  }

  /** The launched browser's process id (undefined when connected). */
  get pid(): number | undefined {
    return this.#main.launched?.pid
  }

  /** Opens a page in a session (default: the default session). */
  createWebContents(options: { session?: Session; partition?: string } = {}): Promise<WebContents> {
    const api = 'browser.createWebContents'
    if (options.session !== undefined && !(options.session instanceof Session)) {
      return Promise.reject(new ValidationError(api, 'options.session', options.session, 'a Session of this browser'))
    }
    if (options.session && options.partition !== undefined) {
      return Promise.reject(new ValidationError(api, 'options', options, 'either session or partition, not both'))
    }
    // A Promise-returning API never throws synchronously: once the browser is
    // gone, fromPartition() would throw (it re-creates the closed default session).
    if (this.#main.closed) return Promise.reject(this.#main.connection.closedError(api))
    let session: Session
    try {
      session = options.session ?? this.session.fromPartition(options.partition ?? '')
    } catch (error) {
      return Promise.reject(error)
    }
    return session.createWebContents()
  }

  /**
   * Closes every session's browser process that we launched (waiting for
   * Chromium to save its data) or disconnects from a connected one. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#partitionProcesses].map((p) => p.close()))
    await this.#main.close()
    this.#onMainGone()
  }

  #onMainGone(): void {
    if (!liveBrowsers.delete(this)) return
    for (const session of this.session.all()) session.markBrowserGone((api) => this.#main.connection.closedError(api))
    for (const process of this.#partitionProcesses) detach(process.close(), 'close partition browser')
    for (const webContents of [...this.#webContents.values()]) webContents.markDestroyed()
    this.#webContents.clear()
    this.emit('disconnected')
  }

  // ---- SessionHost ---------------------------------------------------------

  /** @internal */
  allocateWebContentsId(): number {
    return this.#nextWebContentsId++
  }

  /** @internal */
  webContentsCreated(webContents: WebContents): void {
    this.#webContents.set(webContents.id, webContents)
    this.emit('web-contents-created', new ElectronEvent(this), webContents)
  }

  /** @internal */
  webContentsDestroyed(webContents: WebContents): void {
    this.#webContents.delete(webContents.id)
  }

  /** @internal Builds a Session for a partition key (see SessionModule). */
  createSession(partition: string, path: string | undefined, cache: boolean): Session {
    const defaultUserAgent = this.#main.userAgent
    if (this.#main.closed) throw new SessionClosedError(`session.fromPartition: the browser is closed.`)
    if (partition === '') {
      const main = this.#main
      const userDataDir = main.launched?.userDataDir ?? null
      const binding: SessionBinding = {
        manager: main.targets,
        interceptor: main.interceptor,
        browserContextId: undefined,
        contextId: main.defaultContextId,
        browser: main.connection.browser,
        dispose: () => Promise.reject(new NotSupportedError('the default session cannot be closed')),
      }
      const session = new Session(this, { partition, persistent: true, storagePath: userDataDir, cache, defaultUserAgent, closable: false }, Promise.resolve(binding))
      main.setOwner(undefined, session)
      return session
    }
    if (path !== undefined && !this.#launchOptions) {
      // Same limit as 'persist:' below, reported the same way (not as a LaunchError from a later call).
      throw new NotSupportedError(
        `session.fromPath: a session on disk needs a browser process of its own, which a connect()ed browser cannot start. Use launch(), or an in-memory partition.`,
      )
    }
    const persistentDir = path ?? this.#persistentDir(partition)
    if (persistentDir) {
      const session: Session = new Session(
        this,
        { partition, persistent: true, storagePath: persistentDir, cache, defaultUserAgent, closable: true },
        this.#launchPartition(persistentDir, () => session),
      )
      return session
    }
    const session: Session = new Session(
      this,
      { partition, persistent: false, storagePath: null, cache, defaultUserAgent, closable: true },
      this.#createContext(() => session),
    )
    return session
  }

  #persistentDir(partition: string): string | undefined {
    if (!partition.startsWith('persist:')) return undefined
    const name = partition.slice('persist:'.length)
    if (!name) throw new ValidationError('session.fromPartition', 'partition', partition, "'persist:' followed by a name")
    const launched = this.#main.launched
    if (!launched || !this.#launchOptions) {
      throw new NotSupportedError(
        `session.fromPartition: '${partition}' needs a browser process of its own (Chromium keeps only the default context on disk), which a connect()ed browser cannot start. Use launch(), or an in-memory partition.`,
      )
    }
    return join(launched.userDataDir, 'Partitions', encodeURIComponent(name))
  }

  async #createContext(session: () => Session): Promise<SessionBinding> {
    const main = this.#main
    const browserContextId = await main.targets.createBrowserContext()
    main.setOwner(browserContextId, session())
    return {
      manager: main.targets,
      interceptor: main.interceptor,
      browserContextId,
      contextId: browserContextId,
      browser: main.connection.browser,
      dispose: async () => {
        try {
          await main.targets.disposeBrowserContext(browserContextId)
        } finally {
          main.deleteOwner(browserContextId)
        }
      },
    }
  }

  async #launchPartition(userDataDir: string, session: () => Session): Promise<SessionBinding> {
    const options = this.#launchOptions
    if (!options) throw new LaunchError('a persistent partition needs launch options')
    const { remoteDebuggingPort: _port, ...rest } = options
    const process = await BrowserProcess.launch({ ...rest, userDataDir })
    this.#partitionProcesses.add(process)
    process.setOwner(undefined, session())
    await process.start()
    return {
      manager: process.targets,
      interceptor: process.interceptor,
      browserContextId: undefined,
      contextId: process.defaultContextId,
      browser: process.connection.browser,
      dispose: async () => {
        this.#partitionProcesses.delete(process)
        await process.close()
      },
    }
  }
}

/** Launches an installed Chrome/Chromium (headless by default) and owns its process. */
export async function launch(options: LaunchOptions = {}): Promise<Browser> {
  const main = await BrowserProcess.launch(options)
  try {
    return await Browser.create(main, options)
  } catch (error) {
    await main.close()
    throw error
  }
}

/** Attaches to a Chrome started with `--remote-debugging-port`; never kills it. */
export async function connect(options: ConnectOptions): Promise<Browser> {
  const parsed = validateArg('connect', 'options', connectSchema, options, '{ browserURL } or { browserWSEndpoint }')
  let browserWSEndpoint = parsed.browserWSEndpoint
  if (!browserWSEndpoint) {
    const versionUrl = new URL('/json/version', parsed.browserURL)
    let response: Response
    try {
      response = await fetch(versionUrl)
    } catch (error) {
      throw new LaunchError(`connect: cannot reach ${versionUrl.href}: ${(error as Error).message}. Is Chrome running with --remote-debugging-port?`, { cause: error })
    }
    const body = (await response.json()) as { webSocketDebuggerUrl?: string }
    if (!body.webSocketDebuggerUrl) throw new LaunchError(`connect: ${versionUrl.href} did not name a webSocketDebuggerUrl.`)
    browserWSEndpoint = body.webSocketDebuggerUrl
  }
  const main = await BrowserProcess.connect({ browserWSEndpoint })
  try {
    return await Browser.create(main, undefined)
  } catch (error) {
    await main.close()
    throw error
  }
}

/** Electron's `webContents` module, across every live browser of this Node process. */
export const webContents = {
  fromId(id: number): WebContents | undefined {
    for (const browser of liveBrowsers) {
      const found = browser.webContents.fromId(id)
      if (found) return found
    }
    return undefined
  },
  getAllWebContents(): WebContents[] {
    return [...liveBrowsers].flatMap((b) => b.webContents.getAllWebContents())
  },
}
