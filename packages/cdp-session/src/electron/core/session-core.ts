// The session core: what every feature of a Session needs and nothing feature-specific. It
// owns the session's binding (browser context, gateway), its open/closing/closed state, the
// pages (WebContents) of its context, and the fan-out of settings to every target: features
// add TargetHooks, which run on each target while it is paused at attach, and use
// forEachTarget when their setting changes. It imports no feature; features import it.
import { NotSupportedError, SessionClosedError } from '../../common/errors.js'
import { debug, quiet } from '../../common/util.js'
import { FrameIndex } from '../../cdp/frame-index.js'
import type { TargetOwner } from '../../cdp/target-manager.js'
import type { TargetSession } from '../../cdp/target-session.js'
import type { SessionProxy } from '../../net/session-proxy.js'
import type { SessionBinding, SessionInit, SessionRef, TargetHook } from './types.js'

/** What the core needs of a page object (WebContents) it creates for each page target. */
export interface CorePage {
  readonly id: number
}

/** A page the core made, with what only the core may do to it. */
export interface MadePage<Page extends CorePage> {
  page: Page
  /** The page's own listeners and setup commands, sent while its target is paused. */
  setup(): Array<Promise<unknown>>
  markDestroyed(): void
}

/** What a Session needs from the browser that made it. */
export interface SessionHost<Page extends CorePage = CorePage> {
  allocateWebContentsId(): number
  webContentsCreated(webContents: Page): void
  webContentsDestroyed(webContents: Page): void
  /**
   * The integrated-auth allow list (Chromium's --auth-server-allowlist), which Electron applies
   * to the whole network service, not one session: the browser keeps it for all its sessions.
   */
  setAuthServerAllowlist(api: string, domains: string): void
}

type State = 'open' | 'closing' | 'closed'

export interface SessionCoreOptions<Page extends CorePage> {
  host: SessionHost<Page>
  init: SessionInit
  binding: Promise<SessionBinding>
  /** The public Session this core serves (sender of its events, `webContents.session`). */
  facade: SessionRef
  /** Makes the page object of a page target (called while the target is paused). */
  createPage(id: number, target: TargetSession): MadePage<Page>
}

export class SessionCore<Page extends CorePage = CorePage> implements TargetOwner {
  readonly init: SessionInit
  readonly facade: SessionRef
  readonly #host: SessionHost<Page>
  readonly #binding: Promise<SessionBinding>
  readonly #createPage: (id: number, target: TargetSession) => MadePage<Page>
  #state: State = 'open'
  #closing: Promise<void> | undefined
  #goneReason: ((api: string) => Error) | undefined

  /** Pages by target id, from the moment they attach (paused). */
  readonly #pages = new Map<string, MadePage<Page>>()
  /** Pages whose setup is done and that run. */
  readonly #running = new WeakSet<Page>()
  readonly #targetHooks = new Set<TargetHook>()
  readonly #readiness = new Set<() => Promise<unknown>>()
  readonly #navigationChecks = new Set<(api: string, url: string) => void>()
  /** The session's gateway once its binding is known (gatewayFailure answers synchronously). */
  #gateway: SessionProxy | undefined
  /** Same-site frames (no target of their own) → the page or OOPIF holding them (trackFrames). */
  readonly #frames = new FrameIndex()
  #frameTracking: Promise<void> | undefined
  /** Run on close, last added first. */
  readonly #disposers: Array<() => void | Promise<unknown>> = []

  constructor(options: SessionCoreOptions<Page>) {
    this.init = options.init
    this.facade = options.facade
    this.#host = options.host
    this.#binding = quiet(options.binding)
    this.#createPage = options.createPage
    this.#binding.then(
      (binding) => {
        if (typeof binding.proxy !== 'string') this.#gateway = binding.proxy
      },
      () => undefined,
    )
  }

  get closed(): boolean {
    return this.#state !== 'open'
  }

  /** Where this session lives (waits for its context; throws if the session is closed). */
  async bindingFor(api: string): Promise<SessionBinding> {
    this.assertOpen(api)
    return this.#binding
  }

  /** The binding, also while closing (for disposal); rejects if the context never came up. */
  get binding(): Promise<SessionBinding> {
    return this.#binding
  }

  assertOpen(api: string): void {
    if (this.#goneReason) throw this.#goneReason(api)
    if (this.#state !== 'open') {
      throw new SessionClosedError(`${api}: the session '${this.init.partition}' is closed. Create a new one with session.fromPartition().`)
    }
  }

  // ---- readiness and navigation -----------------------------------------------

  /**
   * A feature whose interception must be in Chromium before a page loads (webRequest hooks,
   * login, protocol handlers) registers how to wait for it; new pages and navigations wait.
   */
  addReadiness(ready: () => Promise<unknown>): void {
    this.#readiness.add(ready)
  }

  /** Resolves once every interception change made so far is in Chromium. */
  async interceptionReady(): Promise<void> {
    await Promise.all([...this.#readiness].map((ready) => ready()))
  }

  /** A feature that knows URLs no navigation can reach (custom schemes) registers a check that throws. */
  addNavigationCheck(check: (api: string, url: string) => void): void {
    this.#navigationChecks.add(check)
  }

  assertNavigable(api: string, url: string): void {
    for (const check of this.#navigationChecks) check(api, url)
  }

  // ---- pages -------------------------------------------------------------------

  /** Opens a new page (about:blank) in this session once its interception is ready. */
  async createWebContents(api: string): Promise<Page> {
    const binding = await this.bindingFor(api)
    await this.interceptionReady()
    const target = await binding.manager.createPage(binding.browserContextId)
    const made = this.#pages.get(target.targetId)
    if (!made) throw new SessionClosedError(`${api}: the new page closed before it was ready.`)
    return made.page
  }

  /** Live pages (configured and running), oldest first. */
  getAllWebContents(): Page[] {
    return [...this.#pages.values()].map((made) => made.page).filter((page) => this.#running.has(page))
  }

  /** The page of a page target of this session, also while it is still paused. */
  webContentsForTarget(targetId: string): Page | undefined {
    return this.#pages.get(targetId)?.page
  }

  async closeTarget(targetId: string): Promise<void> {
    const binding = await this.#binding
    await binding.manager.closeTarget(targetId)
  }

  /**
   * The net error Chromium would have shown for `url` had the gateway not answered for it
   * (the gateway turns a failed connection into a 502 page or a refused tunnel).
   */
  gatewayFailure(url: string): string | undefined {
    return this.#gateway?.failure(url)
  }

  /** Whether someone answers origins' 401 challenges (a 'login' listener); see SessionGateway. */
  async setServerChallengesAnswered(answered: boolean): Promise<void> {
    const binding = await this.#binding
    if (typeof binding.proxy !== 'string') binding.proxy.gateway.setServerChallengesAnswered(answered)
  }

  // ---- targets -------------------------------------------------------------------

  /**
   * Adds a per-target hook; `ready` resolves when every live target has it. `remove` stops
   * applying it to new targets (undoing it on live ones is the hook owner's job).
   */
  addTargetHook(hook: TargetHook): { ready: Promise<void>; remove(): void } {
    this.#targetHooks.add(hook)
    return {
      ready: quiet(this.forEachTarget((t) => hook.apply(t))),
      remove: () => {
        this.#targetHooks.delete(hook)
      },
    }
  }

  /**
   * A setting present from the session's start (user agent, emulation, preloads): applied to
   * every target at attach, in the order added, and by its owner through forEachTarget when it
   * changes. Unlike addTargetHook, there is no live target to catch up with.
   */
  addTargetSetting(hook: TargetHook): void {
    this.#targetHooks.add(hook)
  }

  /**
   * Starts following the frames of every page and OOPIF of the session (once, for whoever needs
   * it first: webRequest, protocol, login); resolves when the live targets are covered.
   */
  trackFrames(): Promise<void> {
    this.#frameTracking ??= this.addTargetHook({ apply: (target) => this.#frames.track(target) }).ready
    return this.#frameTracking
  }

  /**
   * The session's target a browser-level Fetch event belongs to: the one its frame id names,
   * else the page or OOPIF holding that same-site frame (needs trackFrames); undefined when
   * it is not this session's.
   */
  targetOfFrame(frameId: string, named: TargetSession | undefined, binding: SessionBinding): TargetSession | undefined {
    const found = this.#frames.targetOf(frameId, named)
    return found && this.owns(found, binding) ? found : undefined
  }

  /** Hands a browser-wide setting to the browser this session lives in (see SessionHost). */
  setAuthServerAllowlist(api: string, domains: string): void {
    this.#host.setAuthServerAllowlist(api, domains)
  }

  /** Live targets of this session (pages, frames, workers). */
  async liveTargets(): Promise<TargetSession[]> {
    const binding = await this.#binding
    return binding.manager.targetsOf(this)
  }

  /** Whether a target belongs to this session. */
  owns(target: TargetSession, binding: SessionBinding): boolean {
    return binding.manager.ownerOf(target) === this
  }

  /** Applies a change to every live target; a target that closes meanwhile is skipped. */
  async forEachTarget(apply: (target: TargetSession) => Array<Promise<unknown>>): Promise<void> {
    const binding = await this.#binding
    const targets = binding.manager.targetsOf(this)
    await Promise.all(
      targets.map((target) =>
        Promise.all(apply(target)).catch((error: unknown) => {
          if (!target.closed) throw error
        }),
      ),
    )
  }

  /** TargetOwner: runs the page's own setup, then every hook, in the order added. */
  configureTarget(target: TargetSession): Array<Promise<unknown>> {
    const steps: Array<Promise<unknown>> = []
    if (target.kind === 'page') {
      const made = this.#createPage(this.#host.allocateWebContentsId(), target)
      this.#pages.set(target.targetId, made)
      steps.push(...made.setup())
      target.applied.set('page', true)
    }
    for (const hook of this.#targetHooks) steps.push(...hook.apply(target))
    return steps
  }

  /** TargetOwner: the target was configured and resumed. */
  targetReady(target: TargetSession): void {
    const made = this.#pages.get(target.targetId)
    if (!made) return
    this.#running.add(made.page)
    this.#host.webContentsCreated(made.page)
  }

  /** TargetOwner: a service worker started again in the same target; every hook redoes its part. */
  targetRestarted(target: TargetSession): Array<Promise<unknown>> {
    const steps: Array<Promise<unknown>> = []
    for (const hook of this.#targetHooks) if (hook.restart) steps.push(...hook.restart(target))
    return steps
  }

  /** TargetOwner: the target is gone. */
  targetClosed(target: TargetSession): void {
    const made = this.#pages.get(target.targetId)
    if (!made) return
    this.#pages.delete(target.targetId)
    made.markDestroyed()
    this.#host.webContentsDestroyed(made.page)
  }

  // ---- lifecycle -----------------------------------------------------------------

  /** Runs `dispose` when the session closes (features remove their interception, watchers, …). */
  onClose(dispose: () => void | Promise<unknown>): void {
    this.#disposers.push(dispose)
  }

  /** Disposes an in-memory session or stops a persistent one. Idempotent. */
  close(): Promise<void> {
    if (!this.init.closable) {
      return Promise.reject(new NotSupportedError('session.close: the default session lives as long as the browser. Close the browser instead.'))
    }
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#state = 'closing'
    this.#runDisposers()
    try {
      const binding = await this.#binding
      await binding.dispose()
    } catch (error) {
      debug('closing session %s: %s', this.init.partition, String(error))
    } finally {
      this.#destroyPages()
      this.#state = 'closed'
      this.facade.emit('closed')
    }
  }

  #runDisposers(): void {
    for (const dispose of this.#disposers.splice(0).reverse()) {
      try {
        const done = dispose()
        if (done instanceof Promise) done.catch((error: unknown) => debug('session %s: disposing: %s', this.init.partition, String(error)))
      } catch (error) {
        debug('session %s: disposing: %s', this.init.partition, String(error))
      }
    }
  }

  /** Marks the session closed because its browser went away; later calls fail with `reason(api)`. */
  markBrowserGone(reason: (api: string) => Error): void {
    this.#state = 'closed'
    this.#goneReason = reason
    this.#runDisposers()
    this.#destroyPages()
  }

  #destroyPages(): void {
    for (const made of this.#pages.values()) {
      made.markDestroyed()
      this.#host.webContentsDestroyed(made.page)
    }
    this.#pages.clear()
  }
}
