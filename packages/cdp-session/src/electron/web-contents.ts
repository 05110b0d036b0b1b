import type { Protocol } from 'devtools-protocol'
import { z } from 'zod'
import { NavigationError, TargetClosedError } from '../common/errors.js'
import { ElectronEvent, TypedEmitter } from '../common/event.js'
import { netErrorCode } from '../common/net-errors.js'
import { deferred, detach } from '../common/util.js'
import { validateArg } from '../common/validate.js'
import type { TargetSession } from '../cdp/target-session.js'
import type { SessionCore } from './core/session-core.js'
import type { SessionRef } from './core/types.js'
import { applyUserAgentOverride, userAgentOverrideOf } from './core/user-agent-override.js'

export interface RenderProcessGoneDetails {
  reason: 'crashed' | 'killed' | 'oom' | 'abnormal-exit' | 'launch-failed' | 'integrity-failure'
  exitCode: number
}

export interface WebContentsEvents {
  'did-finish-load': [event: ElectronEvent<WebContents>]
  'did-fail-load': [
    event: ElectronEvent<WebContents>,
    errorCode: number,
    errorDescription: string,
    validatedURL: string,
    isMainFrame: boolean,
  ]
  'dom-ready': [event: ElectronEvent<WebContents>]
  'did-navigate': [event: ElectronEvent<WebContents>, url: string]
  'did-navigate-in-page': [event: ElectronEvent<WebContents>, url: string, isMainFrame: boolean]
  'render-process-gone': [event: ElectronEvent<WebContents>, details: RenderProcessGoneDetails]
  destroyed: []
}

/** What the session core does to a page it made, out of the public API's sight. */
export interface PageControl {
  setup(): Array<Promise<unknown>>
  markDestroyed(): void
}

let controlOf: (wc: WebContents) => PageControl

/** The session core's handle on a page: its attach-time setup and its end. */
export function pageControl(wc: WebContents): PageControl {
  return controlOf(wc)
}

const urlSchema = z.string().refine((value) => URL.canParse(value), 'not an absolute URL')

/**
 * A page of a Session (Electron's webContents, reduced to what a CDP page
 * handle can honestly provide). Popups opened by a page become WebContents of
 * the same Session.
 */
export class WebContents extends TypedEmitter<WebContentsEvents> {
  readonly id: number
  readonly session: SessionRef
  readonly #core: SessionCore<WebContents>
  readonly #target: TargetSession
  #url: string
  #destroyed = false
  /** loaderIds of main-frame documents whose load event fired (bounded). */
  readonly #loaded = new Set<string>()
  readonly #loadWaiters = new Map<string, (error?: Error) => void>()
  /** Rejecters of calls answered by the page's renderer (executeJavaScript), failed if it crashes. */
  readonly #inRenderer = new Set<(error: Error) => void>()

  /** @internal Created by the Session while the page target is still paused. */
  constructor(id: number, core: SessionCore<WebContents>, target: TargetSession) {
    super()
    this.id = id
    this.session = core.facade
    this.#core = core
    this.#target = target
    this.#url = target.initialUrl
  }

  static {
    controlOf = (wc) => ({ setup: () => wc.#setup(), markDestroyed: () => wc.#markDestroyed() })
  }

  /** The page's listeners and setup commands (sent while it is paused). */
  #setup(): Array<Promise<unknown>> {
    const { client } = this.#target
    const mainFrameId = this.#target.targetId
    client.on('Page.lifecycleEvent', (event) => {
      if (event.frameId !== mainFrameId) return
      if (event.name === 'load') this.#onLoad(event.loaderId)
      else if (event.name === 'DOMContentLoaded') this.emit('dom-ready', new ElectronEvent(this))
    })
    client.on('Page.frameNavigated', (event) => {
      if (event.frame.parentId) return
      this.#url = event.frame.url + (event.frame.urlFragment ?? '')
      // A different document committed: any pending loadURL for another one was superseded.
      for (const [loaderId, settle] of this.#loadWaiters) {
        if (loaderId !== event.frame.loaderId) settle(new NavigationError('ERR_ABORTED', -3, this.#url))
      }
      this.emit('did-navigate', new ElectronEvent(this), this.#url)
    })
    client.on('Page.navigatedWithinDocument', (event) => {
      if (event.frameId !== mainFrameId) return
      this.#url = event.url
      this.emit('did-navigate-in-page', new ElectronEvent(this), event.url, true)
    })
    client.on('Inspector.targetCrashed', () => {
      // The target stays attached (a reload brings a new renderer), so Chromium never answers
      // what the dead renderer was evaluating: settle it, and any load waiting for that renderer.
      const error = new TargetClosedError(`webContents ${this.id}: the render process crashed.`)
      for (const fail of this.#inRenderer) fail(error)
      this.#inRenderer.clear()
      for (const settle of this.#loadWaiters.values()) settle(new NavigationError('ERR_FAILED', -2, this.#url))
      this.emit('render-process-gone', new ElectronEvent(this), { reason: 'crashed', exitCode: -1 })
    })
    return [
      client.send('Page.enable'),
      client.send('Page.setLifecycleEventsEnabled', { enabled: true }),
      client.send('Inspector.enable'),
    ]
  }

  #markDestroyed(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    for (const settle of this.#loadWaiters.values()) settle(this.#closedError('loadURL'))
    this.emit('destroyed')
  }

  isDestroyed(): boolean {
    return this.#destroyed
  }

  getURL(): string {
    return this.#url
  }

  /** Navigates the page and resolves when its load event fires; rejects like Electron (`ERR_X (-N) loading 'url'`). */
  async loadURL(url: string): Promise<void> {
    validateArg('webContents.loadURL', 'url', urlSchema, url, 'an absolute URL string such as "https://example.com/"')
    this.#assertAlive('webContents.loadURL')
    this.#core.assertNavigable('webContents.loadURL', url)
    await this.#core.interceptionReady()
    const { client } = this.#target
    const result = await client.send('Page.navigate', { url, transitionType: 'typed' })
    if (result.errorText) {
      // Behind the session gateway a connection error arrives as an empty answer (http) or a
      // refused tunnel (https): report the error Chromium itself would have. Only for a load
      // that failed: the gateway also sees Chromium's own preconnects, which may fail for a
      // host whose requests are answered by an interception handler.
      const gatewayError = this.#core.gatewayFailure(url) ?? (this.#url !== url ? this.#core.gatewayFailure(this.#url) : undefined)
      const name = gatewayError ?? result.errorText.replace(/^net::/, '')
      const code = netErrorCode(name) ?? -2
      this.emit('did-fail-load', new ElectronEvent(this), code, name, url, true)
      throw new NavigationError(name, code, url)
    }
    if (!result.loaderId) return // same-document navigation: no new load event
    await this.#waitForLoad(result.loaderId)
  }

  reload(): Promise<void> {
    this.#assertAlive('webContents.reload')
    return this.#target.client.send('Page.reload', {}).then(() => undefined)
  }

  /**
   * Runs `code` in the page's main frame with a user gesture; resolves with the
   * result (promises awaited, value serialised as JSON).
   */
  async executeJavaScript(code: string, userGesture = true): Promise<unknown> {
    validateArg('webContents.executeJavaScript', 'code', z.string(), code, 'a string of JavaScript')
    this.#assertAlive('webContents.executeJavaScript')
    // A hook set just before (webRequest, protocol, login) is live for what the script requests.
    await this.#core.interceptionReady()
    let fail: (error: Error) => void = () => undefined
    const crashed = new Promise<never>((_resolve, reject) => (fail = reject))
    this.#inRenderer.add(fail)
    try {
      const sent = this.#target.client.send('Runtime.evaluate', { expression: code, awaitPromise: true, returnByValue: true, userGesture })
      const result = await Promise.race([sent, crashed])
      if (result.exceptionDetails) throw scriptError(result.exceptionDetails)
      return result.result.value
    } finally {
      this.#inRenderer.delete(fail)
    }
  }

  /**
   * Overrides the user agent of this page only (Electron's `webContents.setUserAgent`): its
   * next requests and documents, its frames (cross-site ones included) and its dedicated
   * workers. The session's Accept-Language stays. Other pages keep the session's.
   */
  setUserAgent(userAgent: string): void {
    const api = 'webContents.setUserAgent'
    validateArg(api, 'userAgent', z.string().trim().min(1), userAgent, 'a non-empty string')
    this.#assertAlive(api)
    const previous = userAgentOverrideOf(this.#target)
    const override = previous?.acceptLanguage === undefined ? { userAgent } : { userAgent, acceptLanguage: previous.acceptLanguage }
    const page = this.#target
    // Sent now, so that it is ahead of any navigation the caller sends next; the page's live
    // frames and workers follow.
    for (const sent of applyUserAgentOverride(page, override)) detach(sent, api)
    detach(
      this.#core.forEachTarget((target) => (target === page || target.topPage !== page ? [] : applyUserAgentOverride(target, override))),
      api,
    )
  }

  /** The user agent this page reports: its own override, else the one it started with. */
  getUserAgent(): string {
    return userAgentOverrideOf(this.#target)?.userAgent ?? this.#core.init.defaultUserAgent
  }

  /** Closes the page; resolves when it is gone. */
  async close(): Promise<void> {
    if (this.#destroyed) return
    const gone = deferred<void>()
    this.once('destroyed', () => gone.resolve())
    await this.#core.closeTarget(this.#target.targetId)
    await gone.promise
  }

  /**
   * The CDP target id of this page, as `Target.getTargets` and Puppeteer's `target._targetId`
   * name it: the key for handing the page to another CDP client (see toPuppeteerPage, docs/interop.md).
   */
  get targetId(): string {
    return this.#target.targetId
  }

  #onLoad(loaderId: string): void {
    this.#loaded.add(loaderId)
    if (this.#loaded.size > 16) {
      const oldest = this.#loaded.values().next().value
      if (oldest !== undefined) this.#loaded.delete(oldest)
    }
    this.#loadWaiters.get(loaderId)?.()
    this.emit('did-finish-load', new ElectronEvent(this))
  }

  #waitForLoad(loaderId: string): Promise<void> {
    if (this.#loaded.has(loaderId)) return Promise.resolve()
    const done = deferred<void>()
    this.#loadWaiters.set(loaderId, (error) => {
      this.#loadWaiters.delete(loaderId)
      if (error) done.reject(error)
      else done.resolve()
    })
    return done.promise
  }

  #assertAlive(api: string): void {
    if (this.#destroyed) throw this.#closedError(api)
  }

  #closedError(api: string): TargetClosedError {
    return new TargetClosedError(`${api}: webContents ${this.id} was destroyed.`)
  }
}

function scriptError(details: Protocol.Runtime.ExceptionDetails): Error {
  const description = details.exception?.description ?? details.exception?.value ?? details.text
  const error = new Error(typeof description === 'string' ? description : details.text)
  error.name = details.exception?.className ?? 'Error'
  return error
}
