import type { EventEmitter } from 'node:events'
import type { Protocol } from 'devtools-protocol'
import { ElectronEvent } from '../common/event.js'
import { debug, detach } from '../common/util.js'
import type { InterceptionRegistration } from '../cdp/request-interceptor.js'
import { headerValue } from '../cdp/request-tracker.js'
import type { TargetSession } from '../cdp/target-session.js'
import type { SessionContext } from './context.js'
import type { SessionBinding } from './core/types.js'
import { handlerTimeoutMs, reportHandlerError, type HandlerFault } from './handler-errors.js'
import type { WebContents } from './web-contents.js'

export interface LoginDetails {
  url: string
  method: string
  referrer: string
}

export interface AuthInfo {
  isProxy: boolean
  /** 'basic', 'digest', … (lower case, as Electron reports it). */
  scheme: string
  host: string
  port: number
  realm: string
}

export type LoginCallback = (username?: string, password?: string) => void

declare module './web-contents.js' {
  interface WebContentsEvents {
    /** The page's request is challenged (see the Session's 'login'); the Session's event follows unless this one is answered. */
    login: [event: ElectronEvent<WebContents>, details: LoginDetails, authInfo: AuthInfo, callback: LoginCallback]
  }
}

/** Challenges of one request answered before we give up (Chromium alone asks ~31 times). */
export const MAX_LOGIN_ATTEMPTS = 3
/** How long a listener that called preventDefault may take to call back (ms; CDP_SESSION_HANDLER_TIMEOUT_MS overrides it). */
export const LOGIN_TIMEOUT_MS = 60_000
const MAX_TRACKED = 5_000

/**
 * The session's login hook on browser-level `Fetch.authRequired`. Chromium
 * only reports a challenge for a request that a Fetch pattern matches, so
 * while someone listens for 'login' every request of the process pauses at
 * the request stage (continued at once); with no listener nothing is paused.
 *
 * Session gateways (issue #5) also challenge with 407; their own handlers
 * (priority -100, proxy-auth.ts) answer those before this one is asked, so
 * the user never sees them.
 */
export class LoginHook {
  readonly #core: SessionContext
  #registration: InterceptionRegistration | undefined
  /** The last #enable() started by a first listener (ready() waits for it). */
  #enabling: Promise<void> | undefined
  readonly #attempts = new Map<string, number>()
  /** Origins a server (401) challenge was answered with credentials for, with the schemes. */
  readonly #answered = new Map<string, Set<string>>()

  constructor(core: SessionContext) {
    this.#core = core
    // Node's own listener-bookkeeping events (not part of SessionEvents' typed map).
    const emitter = core.facade as unknown as EventEmitter
    this.#follow(emitter)
    // A page's own 'login' listener (Electron's webContents.on('login')) switches the hook on too.
    core.addTargetSetting({
      apply: (target) => {
        const page = target.kind === 'page' ? core.webContentsForTarget(target.targetId) : undefined
        if (page) this.#follow(page as unknown as EventEmitter)
        return []
      },
    })
    core.addReadiness(() => this.ready())
    core.onClose(() => {
      this.#disable()
    })
  }

  /**
   * The origins whose server challenges were answered with credentials since the last call
   * (what Chromium's auth cache may hold from us), and forgets them; `only` narrows it to one
   * origin and/or one scheme (clearAuthCache's RemovePassword options).
   */
  takeAnswered(only?: { origin?: string; scheme?: string }): Map<string, Set<string>> {
    const answered = new Map<string, Set<string>>()
    for (const [origin, schemes] of this.#answered) {
      if (only?.origin !== undefined && origin !== only.origin) continue
      const taken = only?.scheme === undefined ? new Set(schemes) : new Set([...schemes].filter((s) => s === only.scheme))
      if (taken.size === 0) continue
      answered.set(origin, taken)
      for (const scheme of taken) schemes.delete(scheme)
      if (schemes.size === 0) this.#answered.delete(origin)
    }
    return answered
  }

  /** Enables the hook with the first 'login' listener of `emitter` (the session or a page), disables it after the last one anywhere. */
  #follow(emitter: EventEmitter): void {
    emitter.on('newListener', (name: string | symbol) => {
      if (name === 'login' && !this.#registration) {
        const enabling = this.#enable()
        this.#enabling = enabling
        detach(enabling, 'login hook')
      }
    })
    emitter.on('removeListener', (name: string | symbol) => {
      if (name === 'login' && !this.#wanted()) this.#disable()
    })
  }

  /** Whether anyone listens for 'login': the session, or one of its pages. */
  #wanted(): boolean {
    return this.#core.facade.listenerCount('login') > 0 || this.#core.getAllWebContents().some((wc) => wc.listenerCount('login') > 0)
  }

  /** Resolves once Chromium reports challenges to us (or at once without a listener). */
  async ready(): Promise<void> {
    // From the listener's first moment: a request made right after session.on('login') is asked.
    await this.#enabling?.catch(() => undefined)
    await this.#registration?.ready
  }

  async #enable(): Promise<void> {
    const binding = await this.#core.bindingFor('session.on(login)')
    if (this.#registration || this.#core.closed || !this.#wanted()) return
    // A same-site iframe's challenge names only its frame: the frames of every page are followed
    // (started before the registration, which then waits for both).
    const frames = this.#core.trackFrames()
    const gateway = this.#core.setServerChallengesAnswered(true)
    this.#registration = binding.interceptor.add({
      priority: 10,
      // A pattern is required for auth events; '*' at the request stage is the narrowest that sees every challenge.
      patterns: [{ urlPattern: '*', requestStage: 'Request' }],
      handleAuth: true,
      timeoutMs: Math.max(LOGIN_TIMEOUT_MS, handlerTimeoutMs(LOGIN_TIMEOUT_MS)) + 5_000,
      onAuth: (event, target) => this.#onAuth(binding, event, target),
    })
    await Promise.all([this.#registration.ready, frames, gateway])
  }

  #disable(): void {
    if (this.#registration && !this.#core.closed) detach(this.#core.setServerChallengesAnswered(false), 'login hook off')
    this.#registration?.remove()
    this.#registration = undefined
  }

  async #onAuth(binding: SessionBinding, event: Protocol.Fetch.AuthRequiredEvent, named: TargetSession | undefined): Promise<Protocol.Fetch.AuthChallengeResponse | undefined> {
    const challenge = event.authChallenge
    const target = this.#core.targetOfFrame(event.frameId, named, binding)
    if (!target) return undefined
    const attempts = (this.#attempts.get(event.requestId) ?? 0) + 1
    this.#attempts.set(event.requestId, attempts)
    if (this.#attempts.size > MAX_TRACKED) this.#attempts.delete(this.#attempts.keys().next().value!)
    if (attempts > MAX_LOGIN_ATTEMPTS) {
      debug('login: %s challenged %d times; cancelling', event.request.url, attempts)
      return { response: 'CancelAuth' }
    }
    const origin = new URL(challenge.origin)
    const authInfo: AuthInfo = {
      isProxy: challenge.source === 'Proxy',
      scheme: challenge.scheme.toLowerCase(),
      host: origin.hostname,
      port: Number(origin.port || (origin.protocol === 'https:' ? 443 : 80)),
      realm: challenge.realm,
    }
    const details: LoginDetails = {
      url: event.request.url,
      method: event.request.method,
      referrer: headerValue(event.request.headers, 'referer') ?? '',
    }
    const page = target.topPage
    const webContents = page ? (this.#core.getAllWebContents().find((wc) => wc.targetId === page.targetId) ?? null) : null
    const timeoutMs = handlerTimeoutMs(LOGIN_TIMEOUT_MS)
    const report = (fault: HandlerFault, outcome: string, error: unknown): void => {
      reportHandlerError(this.#core, { handler: 'login', fault, url: details.url, outcome }, error)
    }
    // Policy: the first callback counts; a listener that throws before answering cancels the
    // challenge (the page gets the 401/407); one that called preventDefault and does not call
    // back within the bound is cancelled too. Each fault is reported once.
    return new Promise((resolve) => {
      let answered = false
      let outcome = ''
      let timedOut = false
      const pending: { timer?: NodeJS.Timeout } = {}
      const callback: LoginCallback = (username, password) => {
        if (answered) {
          if (timedOut) report('answered-late', 'cancelled', new Error(`login: the callback came after ${timeoutMs} ms for ${details.url}; the challenge had been cancelled.`))
          else report('answered-twice', outcome, new Error(`login: the callback was called more than once for ${details.url}; only the first answer counts.`))
          return
        }
        answered = true
        outcome = username === undefined ? 'cancelled' : 'credentials sent'
        clearTimeout(pending.timer)
        if (username !== undefined && !authInfo.isProxy) {
          const schemes = this.#answered.get(origin.origin) ?? new Set<string>()
          this.#answered.set(origin.origin, schemes.add(authInfo.scheme))
        }
        resolve(username === undefined ? { response: 'CancelAuth' } : { response: 'ProvideCredentials', username, password: password ?? '' })
      }
      let prevented = false
      try {
        if (webContents) {
          const event = new ElectronEvent(webContents)
          webContents.emit('login', event, details, authInfo, callback)
          prevented = event.defaultPrevented
        }
        if (!answered && !prevented) {
          const event = new ElectronEvent(this.#core.facade)
          this.#core.facade.emit('login', event, webContents, details, authInfo, callback)
          prevented = event.defaultPrevented
        }
      } catch (error) {
        if (!answered) callback()
        report('threw', outcome, error)
        return
      }
      if (answered) return
      if (!prevented) {
        callback()
        return
      }
      pending.timer = setTimeout(() => {
        callback()
        timedOut = true
        report('timeout', 'cancelled', new Error(`login: no callback within ${timeoutMs} ms for ${details.url}; the challenge was cancelled.`))
      }, timeoutMs)
      pending.timer.unref()
    })
  }
}
