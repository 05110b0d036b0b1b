// Electron's `ses.serviceWorkers`: the running service workers of a session and their events.
//
// Where the facts come from:
//   - versions (Chromium's version ids, scope, script URL, running status, lifecycle status) come
//     only from the ServiceWorker domain, which exists on page targets, not on the browser target.
//     One page of the session (the watcher) has it enabled; it reports every registration of the
//     session's browser context, whatever the page's own origin, and nothing of other contexts
//     (measured, Chromium 156). The watcher is chosen when the session's first service worker
//     attaches (or when `startWorkerForScope` needs one), so a session without service workers
//     sends nothing; when the watcher page closes, another page of the session takes over.
//   - console messages and uncaught errors come from the worker's own target (Runtime enabled at
//     attach, before its script runs); a running version names its target id, which maps the
//     message to its version.
// getAllRunning() and getInfoFromVersionID() are synchronous in Electron: they answer from the
// state the watcher last reported.
import { z } from 'zod'
import type { Protocol as Cdp } from 'devtools-protocol'
import { ElectronEvent, TypedEmitter } from '../common/event.js'
import { NotSupportedError } from '../common/errors.js'
import { ginConversionError } from '../common/input-policy.js'
import { debug, detach } from '../common/util.js'
import type { TargetSession } from '../cdp/target-session.js'
import type { SessionContext } from './context.js'

export type ServiceWorkerRunningStatus = 'starting' | 'running' | 'stopping' | 'stopped'

/** Electron's ServiceWorkerInfo. */
export interface ServiceWorkerInfo {
  scriptUrl: string
  scope: string
  /** Chromium's render process id, which CDP does not give: always -1 here (feature matrix). */
  renderProcessId: number
  versionId: number
}

export interface ServiceWorkerConsoleMessage {
  message: string
  versionId: number
  /** 'console-api' for console.*, 'javascript' for an uncaught error. */
  source: string
  /** 0 verbose, 1 info, 2 warning, 3 error. */
  level: number
  sourceUrl: string
  lineNumber: number
}

export interface ServiceWorkersEvents {
  'console-message': [event: ElectronEvent<ServiceWorkers>, messageDetails: ServiceWorkerConsoleMessage]
  'registration-completed': [event: ElectronEvent<ServiceWorkers>, details: { scope: string }]
  /** Emitted without an event argument, as in Electron. */
  'running-status-changed': [details: { versionId: number; runningStatus: ServiceWorkerRunningStatus }]
}

/** How long a console message waits for its worker's version id before it goes out with -1. */
const VERSION_WAIT_MS = 2000
/** How long startWorkerForScope waits for the worker to run. */
const START_TIMEOUT_MS = 10_000
const START_FAILED = 'Failed to start service worker.'

const versionIdSchema = z.number().int().nonnegative()

interface Version {
  versionId: number
  registrationId: string
  scriptUrl: string
  runningStatus: ServiceWorkerRunningStatus
  status: Cdp.ServiceWorker.ServiceWorkerVersionStatus
  targetId: string | undefined
}

/** Electron's ServiceWorkerMain, as far as CDP reaches: which worker it is and whether it is gone. */
export class ServiceWorkerMain {
  readonly versionId: number
  readonly scope: string
  readonly scriptURL: string
  #destroyed = false

  /** @internal */
  constructor(versionId: number, scope: string, scriptURL: string) {
    this.versionId = versionId
    this.scope = scope
    this.scriptURL = scriptURL
  }

  /** True once the version is redundant (replaced or unregistered) or the session closed. */
  isDestroyed(): boolean {
    return this.#destroyed
  }

  /** @internal */
  markDestroyed(): void {
    this.#destroyed = true
  }

  /** Electron's IPC with the worker's preload: not available, a session has no preload bridge over CDP. */
  get ipc(): never {
    throw new NotSupportedError('serviceWorker.ipc: service worker IPC needs Electron’s preload bridge (contextBridge/ipcRenderer), which a Chromium driven over CDP does not have')
  }

  send(channel: string): never {
    throw new NotSupportedError(`serviceWorker.send(${JSON.stringify(channel)}): service worker IPC needs Electron’s preload bridge, which a Chromium driven over CDP does not have`)
  }

  startTask(): never {
    throw new NotSupportedError('serviceWorker.startTask: CDP has no command that keeps a service worker alive (an extended lifetime)')
  }
}

/** Electron's ServiceWorkers (`ses.serviceWorkers`). */
export class ServiceWorkers extends TypedEmitter<ServiceWorkersEvents> {
  readonly #core: SessionContext
  readonly #registrations = new Map<string, { scope: string; deleted: boolean }>()
  readonly #versions = new Map<number, Version>()
  readonly #mains = new Map<number, ServiceWorkerMain>()
  /** Versions whose 'registration-completed' went out. */
  readonly #completed = new Set<number>()
  /** Console messages of workers whose version id is not known yet, by target id. */
  readonly #pending = new Map<string, Array<{ details: Omit<ServiceWorkerConsoleMessage, 'versionId'>; timer: NodeJS.Timeout }>>()
  readonly #statusWaiters = new Set<() => void>()
  /** Redundant versions we asked Chromium to stop. */
  readonly #stopping = new Set<number>()
  #watcher: TargetSession | undefined
  #watching: Promise<void> | undefined

  /** @internal Made by the Session. */
  constructor(core: SessionContext) {
    super()
    this.#core = core
    core.addTargetSetting({ apply: (target) => this.#apply(target) })
    core.onClose(() => {
      for (const main of this.#mains.values()) main.markDestroyed()
      for (const queue of this.#pending.values()) for (const entry of queue) clearTimeout(entry.timer)
      this.#pending.clear()
      for (const wake of this.#statusWaiters) wake()
    })
  }

  /** The running versions, by version id (from the watcher's last report). */
  getAllRunning(): Record<number, ServiceWorkerInfo> {
    const running: Record<number, ServiceWorkerInfo> = {}
    for (const version of this.#versions.values()) if (isRunning(version)) running[version.versionId] = this.#info(version)
    return running
  }

  /** The running version `versionId`; throws Electron's error when it is not running. */
  getInfoFromVersionID(versionId: number): ServiceWorkerInfo {
    const id = this.#versionIdArg('serviceWorkers.getInfoFromVersionID', versionId)
    const version = this.#versions.get(id)
    if (!version || !isRunning(version)) throw new Error('Could not find service worker with that version_id')
    return this.#info(version)
  }

  /** @deprecated Electron's older name of getInfoFromVersionID (warns at each call, as Electron does). */
  getFromVersionID(versionId: number): ServiceWorkerInfo {
    process.emitWarning(
      'The session.serviceWorkers.getFromVersionID API is deprecated, use session.serviceWorkers.getInfoFromVersionID instead.',
      'ServiceWorkersDeprecateGetFromVersionID',
    )
    return this.getInfoFromVersionID(versionId)
  }

  /** The worker of a version that is not stopped, else undefined. */
  getWorkerFromVersionID(versionId: number): ServiceWorkerMain | undefined {
    const id = this.#versionIdArg('serviceWorkers.getWorkerFromVersionID', versionId)
    const version = this.#versions.get(id)
    if (!version || version.runningStatus === 'stopped' || version.status === 'redundant') return undefined
    return this.#main(version)
  }

  /** Starts the active worker of the registration whose scope is `scope` (if it is not running) and resolves with it. */
  async startWorkerForScope(scope: string): Promise<ServiceWorkerMain> {
    const api = 'serviceWorkers.startWorkerForScope'
    if (typeof scope !== 'string') throw ginConversionError(api, 0, 'scope', scope)
    let scopeUrl: string
    try {
      scopeUrl = new URL(scope).href
    } catch {
      throw new Error(START_FAILED)
    }
    this.#core.assertOpen(api)
    await this.#core.bindingFor(api)
    const watcher = await this.#ensureWatcher()
    if (!watcher) throw new Error(START_FAILED)
    const active = (): Version | undefined => {
      const registration = [...this.#registrations].find(([, r]) => r.scope === scopeUrl && !r.deleted)?.[0]
      if (registration === undefined) return undefined
      return [...this.#versions.values()].find((v) => v.registrationId === registration && (v.status === 'activated' || v.status === 'activating'))
    }
    const version = active()
    if (!version) throw new Error(START_FAILED)
    if (version.runningStatus !== 'running') {
      await watcher.client.send('ServiceWorker.startWorker', { scopeURL: scopeUrl })
      const running = await this.#until(() => {
        const v = active()
        return v?.runningStatus === 'running' ? v : undefined
      }, START_TIMEOUT_MS)
      if (!running) throw new Error(START_FAILED)
      return this.#main(running)
    }
    return this.#main(version)
  }

  // ---- targets ---------------------------------------------------------------------

  #apply(target: TargetSession): Array<Promise<unknown>> {
    // A page that opens while no page watches (the last one closed) takes over, if there is anything to watch.
    if (target.kind === 'page' && !this.#watcher && this.#versions.size > 0) detach(this.#ensureWatcher(), 'watch service workers')
    if (target.kind !== 'service_worker') return []
    const { client } = target
    client.on('Runtime.consoleAPICalled', (event) => this.#onConsole(target, event))
    client.on('Runtime.exceptionThrown', (event) => this.#onException(target, event))
    // Without a watcher page (the session has none left) a stop is known from the worker's target.
    client.on('Inspector.targetCrashed', () => {
      if (!this.#watcher) this.#targetStopped(target.targetId)
    })
    // A worker whose target is gone has stopped, whether or not the watcher has said so yet.
    detach(
      client.whenDetached.then(() => this.#targetStopped(target.targetId)),
      'service worker target gone',
    )
    detach(this.#ensureWatcher(), 'watch service workers')
    return [target.enable('Runtime')]
  }

  /** Enables the ServiceWorker domain on a page of the session (once; again on another page when it closes). */
  #ensureWatcher(): Promise<TargetSession | undefined> {
    if (this.#watcher && !this.#watcher.closed) return Promise.resolve(this.#watcher)
    this.#watching ??= this.#startWatching().finally(() => {
      this.#watching = undefined
    })
    return this.#watching.then(() => this.#watcher)
  }

  async #startWatching(): Promise<void> {
    if (this.#core.closed) return
    const targets = await this.#core.liveTargets()
    const page = targets.find((t) => t.kind === 'page' && !t.closed)
    if (!page) return
    this.#watcher = page
    const { client } = page
    client.on('ServiceWorker.workerRegistrationUpdated', (event) => {
      for (const r of event.registrations) this.#registrations.set(r.registrationId, { scope: r.scopeURL, deleted: r.isDeleted })
      this.#wake()
    })
    client.on('ServiceWorker.workerVersionUpdated', (event) => {
      for (const v of event.versions) this.#onVersion(v)
      this.#wake()
    })
    detach(
      client.whenDetached.then(() => {
        if (this.#watcher !== page) return
        this.#watcher = undefined
        if (!this.#core.closed) detach(this.#ensureWatcher(), 'watch service workers')
      }),
      'move the service worker watcher',
    )
    try {
      await client.send('ServiceWorker.enable')
    } catch (error) {
      if (!page.closed) debug('ServiceWorker.enable: %s', String(error))
      if (this.#watcher === page) this.#watcher = undefined
    }
  }

  #onVersion(v: Cdp.ServiceWorker.ServiceWorkerVersion): void {
    const versionId = Number(v.versionId)
    const known = this.#versions.get(versionId)
    const version: Version = {
      versionId,
      registrationId: v.registrationId,
      scriptUrl: v.scriptURL,
      runningStatus: v.runningStatus,
      status: v.status,
      targetId: v.targetId,
    }
    this.#versions.set(versionId, version)
    if (version.targetId) this.#flushPending(version.targetId, versionId)
    if (v.status === 'installing' && !this.#completed.has(versionId)) {
      // Electron's 'registration-completed' follows register()'s success, which Chromium reports
      // as the new version starts installing.
      this.#completed.add(versionId)
      const scope = this.#registrations.get(v.registrationId)?.scope
      if (scope !== undefined) this.emit('registration-completed', new ElectronEvent(this), { scope })
    }
    if (v.status === 'redundant') {
      this.#mains.get(versionId)?.markDestroyed()
      // Without a DevTools client Chromium stops a redundant version (replaced or unregistered) at
      // once; one we are attached to keeps running (measured). Stop it as Chromium would.
      if (version.runningStatus === 'running' && this.#watcher && !this.#stopping.has(versionId)) {
        this.#stopping.add(versionId)
        detach(
          this.#watcher.client.send('ServiceWorker.stopWorker', { versionId: v.versionId }).catch((error: unknown) => debug('stopping redundant service worker %s: %s', v.versionId, String(error))),
          'stop a redundant service worker',
        )
      }
    }
    const before = known?.runningStatus ?? 'stopped'
    if (before !== version.runningStatus) this.emit('running-status-changed', { versionId, runningStatus: version.runningStatus })
  }

  /** The versions running in target `targetId` have stopped (known from the target, not the watcher). */
  #targetStopped(targetId: string): void {
    for (const version of this.#versions.values()) {
      if (version.targetId !== targetId || version.runningStatus === 'stopped') continue
      version.runningStatus = 'stopped'
      version.targetId = undefined
      this.emit('running-status-changed', { versionId: version.versionId, runningStatus: 'stopped' })
    }
  }

  // ---- console ---------------------------------------------------------------------

  #onConsole(target: TargetSession, event: Cdp.Runtime.ConsoleAPICalledEvent): void {
    const frame = event.stackTrace?.callFrames[0]
    this.#console(target, {
      message: event.args.map(argumentText).join(' '),
      source: 'console-api',
      level: consoleLevel(event.type),
      sourceUrl: frame?.url ?? '',
      lineNumber: frame ? frame.lineNumber + 1 : 0,
    })
  }

  #onException(target: TargetSession, event: Cdp.Runtime.ExceptionThrownEvent): void {
    const details = event.exceptionDetails
    const description = details.exception?.description?.split('\n')[0] ?? (details.exception ? argumentText(details.exception) : '')
    this.#console(target, {
      message: description ? `${details.text} ${description}` : details.text,
      source: 'javascript',
      level: 3,
      sourceUrl: details.url ?? details.stackTrace?.callFrames[0]?.url ?? '',
      lineNumber: details.lineNumber + 1,
    })
  }

  #console(target: TargetSession, details: Omit<ServiceWorkerConsoleMessage, 'versionId'>): void {
    const version = this.#versionOfTarget(target.targetId)
    if (version !== undefined) {
      this.emit('console-message', new ElectronEvent(this), { ...details, versionId: version })
      return
    }
    // The worker logged before the watcher named its version (its first lines, as it starts).
    const queue = this.#pending.get(target.targetId) ?? []
    this.#pending.set(target.targetId, queue)
    const entry = {
      details,
      timer: setTimeout(() => {
        const at = queue.indexOf(entry)
        if (at < 0) return
        // Everything queued up to this one goes out, in order, without a version id.
        for (const early of queue.splice(0, at + 1)) {
          clearTimeout(early.timer)
          this.emit('console-message', new ElectronEvent(this), { ...early.details, versionId: -1 })
        }
      }, VERSION_WAIT_MS),
    }
    queue.push(entry)
  }

  #flushPending(targetId: string, versionId: number): void {
    const queue = this.#pending.get(targetId)
    if (!queue) return
    this.#pending.delete(targetId)
    for (const entry of queue) {
      clearTimeout(entry.timer)
      this.emit('console-message', new ElectronEvent(this), { ...entry.details, versionId })
    }
  }

  #versionOfTarget(targetId: string): number | undefined {
    for (const version of this.#versions.values()) if (version.targetId === targetId && version.runningStatus !== 'stopped') return version.versionId
    return undefined
  }

  // ---- helpers ---------------------------------------------------------------------

  #info(version: Version): ServiceWorkerInfo {
    return { scriptUrl: version.scriptUrl, scope: this.#registrations.get(version.registrationId)?.scope ?? '', renderProcessId: -1, versionId: version.versionId }
  }

  #main(version: Version): ServiceWorkerMain {
    let main = this.#mains.get(version.versionId)
    if (!main) {
      main = new ServiceWorkerMain(version.versionId, this.#registrations.get(version.registrationId)?.scope ?? '', version.scriptUrl)
      this.#mains.set(version.versionId, main)
    }
    return main
  }

  #versionIdArg(api: string, versionId: unknown): number {
    const parsed = versionIdSchema.safeParse(versionId)
    if (!parsed.success) throw ginConversionError(api, 0, 'versionId', versionId)
    return parsed.data
  }

  #wake(): void {
    for (const wake of [...this.#statusWaiters]) wake()
  }

  /** Resolves with `check()`'s first defined answer after a watcher report, or undefined after `ms` or on close. */
  #until<T>(check: () => T | undefined, ms: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const done = (value: T | undefined): void => {
        clearTimeout(timer)
        this.#statusWaiters.delete(wake)
        resolve(value)
      }
      const wake = (): void => {
        const value = this.#core.closed ? undefined : check()
        if (value !== undefined || this.#core.closed) done(value)
      }
      const timer = setTimeout(() => done(undefined), ms)
      this.#statusWaiters.add(wake)
      wake()
    })
  }
}

/** Chromium keeps a version among the running ones from its start until it has stopped. */
function isRunning(version: Version): boolean {
  return version.runningStatus === 'running' || version.runningStatus === 'stopping'
}

function consoleLevel(type: Cdp.Runtime.ConsoleAPICalledEvent['type']): number {
  switch (type) {
    case 'debug':
      return 0
    case 'warning':
      return 2
    case 'error':
    case 'assert':
      return 3
    default:
      return 1
  }
}

/** An argument as blink's message text shows it: strings as they are, other values as their string form. */
function argumentText(arg: Cdp.Runtime.RemoteObject): string {
  if (arg.type === 'string') return String(arg.value)
  if (arg.type === 'undefined') return 'undefined'
  if (arg.unserializableValue !== undefined) return arg.unserializableValue
  if (arg.type === 'object' && arg.subtype === 'null') return 'null'
  if (arg.type === 'object' || arg.type === 'function') return arg.description ?? `[object ${arg.className ?? 'Object'}]`
  return arg.value === undefined ? (arg.description ?? '') : String(arg.value)
}
