import type { Protocol } from 'devtools-protocol'
import { debug, deferred, detach, type Deferred } from '../common/util.js'
import type { CdpClient, CdpConnection } from './client.js'
import { hasFrames, TargetSession, targetKind } from './target-session.js'

/** What a target's owner (a Session) does with it; the manager never applies settings itself. */
export interface TargetOwner {
  /**
   * Called while the target is paused before its first instruction. Register
   * listeners, then *send* every setup command without awaiting in between and
   * return their promises: the manager sends the resume in the same batch.
   * (Chromium holds some setup answers, e.g. Network.enable, until the resume.)
   */
  configureTarget(target: TargetSession): Array<Promise<unknown>>
  /** The target has been configured and resumed. */
  targetReady(target: TargetSession): void
  /** The target is gone (closed, crashed and detached, or its context disposed). */
  targetClosed(target: TargetSession): void
  /**
   * A stopped service worker was started again under the same target and session: its script
   * runs anew in a fresh global, paused before it starts like at attach. Send what lived in the
   * old global (evaluated shims, preloads) and return the promises; the manager resumes it after.
   */
  targetRestarted(target: TargetSession): Array<Promise<unknown>>
}

// Chromium's own UI surfaces (omnibox popups, …) also wait for the debugger;
// they are not part of any web session and must never be held paused.
const AUTO_ATTACH_FILTER: Protocol.Target.TargetFilter = [
  { type: 'browser', exclude: true },
  { type: 'tab', exclude: true },
  { type: 'browser_ui', exclude: true },
  {},
]

// Inside a page or frame we want cross-site iframes and dedicated workers (and inside a
// dedicated worker, the workers it starts). A
// service worker or shared worker is reported at browser level already;
// reporting it again here would give one target two sessions.
const CHILD_AUTO_ATTACH_FILTER: Protocol.Target.TargetFilter = [
  { type: 'service_worker', exclude: true },
  { type: 'shared_worker', exclude: true },
  { type: 'browser_ui', exclude: true },
  {},
]

/**
 * The only component that handles `Target.*`. Every target of the browser is
 * attached paused (`waitForDebuggerOnStart`), handed to its owner for setup
 * and resumed only after that, so nothing runs before the session's settings.
 */
export class TargetManager {
  readonly #connection: CdpConnection
  readonly #resolveOwner: (browserContextId: string | undefined) => TargetOwner | undefined
  readonly #targets = new Map<string, TargetSession>()
  readonly #owners = new Map<TargetSession, TargetOwner>()
  readonly #waiters = new Map<string, Deferred<TargetSession>>()
  /**
   * Contexts in which an internal page is being created. Until createTarget
   * answers we cannot tell our page from one the user opens at the same time,
   * so new top-level pages of that context wait (paused, harmlessly) here.
   */
  readonly #holding = new Map<string, { count: number; held: Array<() => void> }>()
  readonly #internal = new Map<string, Deferred<CdpClient>>()
  readonly #attachSteps: Array<(target: TargetSession) => Promise<unknown> | undefined> = []

  constructor(
    connection: CdpConnection,
    resolveOwner: (browserContextId: string | undefined) => TargetOwner | undefined,
  ) {
    this.#connection = connection
    this.#resolveOwner = resolveOwner
    this.#listen(connection.browser, undefined)
    connection.whenClosed.then(
      () => {
        for (const waiter of this.#waiters.values()) waiter.reject(connection.closedError('waiting for a new target'))
        this.#waiters.clear()
        for (const waiter of this.#internal.values()) waiter.reject(connection.closedError('waiting for an internal page'))
        for (const target of [...this.#targets.values()]) this.#forget(target)
      },
      () => undefined,
    )
  }

  /** Starts attaching to every existing and future target of the browser. */
  async start(): Promise<void> {
    await this.#connection.browser.send('Target.setAutoAttach', {
      autoAttach: true,
      waitForDebuggerOnStart: true,
      flatten: true,
      filter: AUTO_ATTACH_FILTER,
    })
  }

  async defaultBrowserContextId(): Promise<string | undefined> {
    const { defaultBrowserContextId } = await this.#connection.browser.send('Target.getBrowserContexts')
    return defaultBrowserContextId
  }

  async createBrowserContext(params: Protocol.Target.CreateBrowserContextRequest = {}): Promise<string> {
    const { browserContextId } = await this.#connection.browser.send('Target.createBrowserContext', params)
    return browserContextId
  }

  async disposeBrowserContext(browserContextId: string): Promise<void> {
    await this.#connection.browser.send('Target.disposeBrowserContext', { browserContextId })
  }

  /**
   * Opens a page in a context and resolves once it is attached, configured by
   * its owner and resumed. Pages start at about:blank: a URL given to
   * createTarget starts loading before the attach handshake ends.
   */
  async createPage(browserContextId: string | undefined): Promise<TargetSession> {
    const { targetId } = await this.#connection.browser.send('Target.createTarget', {
      url: 'about:blank',
      ...(browserContextId ? { browserContextId } : {}),
    })
    return this.waitForTarget(targetId)
  }

  /**
   * Runs `use` with a hidden page of a context (never handed to an owner, no
   * settings, no WebContents) — for commands Chromium only accepts on a page
   * session inside the context — and closes the page afterwards.
   */
  async withInternalPage<T>(browserContextId: string, use: (client: CdpClient) => Promise<T>): Promise<T> {
    const hold = this.#holding.get(browserContextId) ?? { count: 0, held: [] }
    hold.count++
    this.#holding.set(browserContextId, hold)
    let targetId: string | undefined
    try {
      ;({ targetId } = await this.#connection.browser.send('Target.createTarget', { url: 'about:blank', browserContextId, background: true }))
      if (!this.#internal.has(targetId)) this.#internal.set(targetId, deferred<CdpClient>())
    } finally {
      if (--hold.count === 0) {
        this.#holding.delete(browserContextId)
        for (const release of hold.held.splice(0)) release()
      }
    }
    const internalId = targetId
    try {
      const client = await this.#internal.get(internalId)!.promise
      return await use(client)
    } finally {
      this.#internal.delete(internalId)
      await this.#connection.browser.send('Target.closeTarget', { targetId: internalId }).catch((error: unknown) => {
        debug('closing internal page: %s', String(error))
      })
    }
  }

  async closeTarget(targetId: string): Promise<void> {
    await this.#connection.browser.send('Target.closeTarget', { targetId })
  }

  /** Resolves when the target is configured and running (or at once if it is). */
  waitForTarget(targetId: string): Promise<TargetSession> {
    const target = this.#targets.get(targetId)
    if (target && target.applied.get('ready') === true) return Promise.resolve(target)
    let waiter = this.#waiters.get(targetId)
    if (!waiter) {
      waiter = deferred<TargetSession>()
      this.#waiters.set(targetId, waiter)
    }
    return waiter.promise
  }

  /**
   * A browser-wide setup command for every new target of any owner, sent first in the batch
   * of its attach (before the owner's, while the target is paused); undefined: none for it.
   */
  addAttachStep(step: (target: TargetSession) => Promise<unknown> | undefined): void {
    this.#attachSteps.push(step)
  }

  /** Live targets of one owner, in attach order. */
  targetsOf(owner: TargetOwner): TargetSession[] {
    const result: TargetSession[] = []
    for (const [target, o] of this.#owners) if (o === owner && !target.closed) result.push(target)
    return result
  }

  /** Every live target of every owner (attached, configured or not). */
  liveTargets(): TargetSession[] {
    return [...this.#targets.values()].filter((target) => !target.closed)
  }

  target(targetId: string): TargetSession | undefined {
    return this.#targets.get(targetId)
  }

  ownerOf(target: TargetSession): TargetOwner | undefined {
    return this.#owners.get(target)
  }

  #listen(client: CdpClient, parent: TargetSession | undefined): void {
    client.on('Target.attachedToTarget', (event) => {
      this.#onAttached(client, parent, event)
    })
  }

  #onAttached(
    parentClient: CdpClient,
    parent: TargetSession | undefined,
    event: Protocol.Target.AttachedToTargetEvent,
  ): void {
    const { targetInfo, sessionId, waitingForDebugger } = event
    const client = this.#connection.client(sessionId)
    const kind = targetKind(targetInfo.type)
    const internal = this.#internal.get(targetInfo.targetId)
    if (internal) {
      if (waitingForDebugger) detach(client.send('Runtime.runIfWaitingForDebugger'), 'resume internal page')
      internal.resolve(client)
      return
    }
    const hold = kind === 'page' && !targetInfo.openerId ? this.#holding.get(targetInfo.browserContextId ?? '') : undefined
    if (hold) {
      hold.held.push(() => this.#onAttached(parentClient, parent, event))
      return
    }
    const owner = kind ? this.#resolveOwner(targetInfo.browserContextId) : undefined
    if (!kind || !owner || this.#targets.has(targetInfo.targetId)) {
      // Not ours (another client's context, an unknown kind) or a second report
      // of a target we already hold: let it run and let go of this session.
      if (waitingForDebugger) detach(client.send('Runtime.runIfWaitingForDebugger'), 'resume unowned target')
      if (kind && this.#targets.has(targetInfo.targetId)) {
        detach(parentClient.send('Target.detachFromTarget', { sessionId }), 'detach duplicate target session')
      }
      return
    }
    const target = new TargetSession(client, targetInfo, kind, parent)
    this.#targets.set(target.targetId, target)
    this.#owners.set(target, owner)
    client.whenDetached.then(
      () => {
        this.#forget(target)
      },
      () => undefined,
    )

    if (kind === 'service_worker') this.#followRestarts(target, owner)

    const steps: Array<Promise<unknown>> = []
    for (const step of this.#attachSteps) {
      const sent = step(target)
      if (sent) steps.push(sent)
    }
    // A dedicated worker may start workers of its own (nested workers): they are its children.
    if (hasFrames(kind) || kind === 'worker') {
      this.#listen(client, target)
      steps.push(
        client.send('Target.setAutoAttach', {
          autoAttach: true,
          waitForDebuggerOnStart: true,
          flatten: true,
          filter: CHILD_AUTO_ATTACH_FILTER,
        }),
      )
    }
    let setup: Array<Promise<unknown>>
    try {
      setup = owner.configureTarget(target)
    } catch (error) {
      setup = [Promise.reject(error)]
    }
    steps.push(...setup)
    if (waitingForDebugger) steps.push(client.send('Runtime.runIfWaitingForDebugger'))
    detach(this.#finishAttach(target, owner, steps), 'finish attach')
  }

  /**
   * A service worker that stopped (stopWorker/stopAllWorkers from any CDP client, its renderer
   * gone) starts again on the next fetch or message: the target and our session stay, the
   * session hears `Inspector.targetCrashed` then `Inspector.targetReloadedAfterCrash`, and the
   * new run waits for the debugger again. Left paused, it would hold every request of the pages
   * it controls; so it gets its owner's restart steps and is resumed.
   */
  #followRestarts(target: TargetSession, owner: TargetOwner): void {
    const { client } = target
    client.on('Inspector.targetReloadedAfterCrash', () => {
      let steps: Array<Promise<unknown>>
      try {
        steps = owner.targetRestarted(target)
      } catch (error) {
        steps = [Promise.reject(error)]
      }
      steps.push(client.send('Runtime.runIfWaitingForDebugger'))
      detach(
        Promise.allSettled(steps).then((results) => {
          const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
          if (failure && !target.closed) debug('restart of %s %s: %s', target.kind, target.targetId, String(failure.reason))
        }),
        'resume restarted service worker',
      )
    })
  }

  async #finishAttach(target: TargetSession, owner: TargetOwner, steps: Array<Promise<unknown>>): Promise<void> {
    const results = await Promise.allSettled(steps)
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    const waiter = this.#waiters.get(target.targetId)
    if (failure && !target.closed) {
      debug('setup of %s %s failed: %s', target.kind, target.targetId, String(failure.reason))
    }
    if (target.closed) {
      this.#waiters.delete(target.targetId)
      waiter?.reject(failure?.reason ?? new Error(`target ${target.targetId} closed during setup`))
      return
    }
    target.applied.set('ready', true)
    owner.targetReady(target)
    if (waiter) {
      this.#waiters.delete(target.targetId)
      if (failure) waiter.reject(failure.reason)
      else waiter.resolve(target)
    }
  }

  #forget(target: TargetSession): void {
    if (!this.#targets.has(target.targetId)) return
    this.#targets.delete(target.targetId)
    const owner = this.#owners.get(target)
    this.#owners.delete(target)
    owner?.targetClosed(target)
  }
}
