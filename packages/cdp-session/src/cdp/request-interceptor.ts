import type { Protocol } from 'devtools-protocol'
import { debug, detach } from '../common/util.js'
import type { CdpClient } from './client.js'
import type { TargetManager } from './target-manager.js'
import type { TargetSession } from './target-session.js'

/**
 * Decides what happens to one paused request: headers to send instead of the
 * request's own, or undefined to leave it alone. Must answer synchronously.
 */
export type PausedRequestHandler = (
  event: Protocol.Fetch.RequestPausedEvent,
  target: TargetSession | undefined,
) => Protocol.Fetch.HeaderEntry[] | undefined

/**
 * Browser-level `Fetch` interception, on only while a handler is registered.
 * Browser-level Fetch sees every request of every context — also the ones no
 * target session can touch, such as a service worker's own script, which the
 * browser fetches for the registration. Events carry no session id, only a
 * `frameId` (the page, OOPIF or service worker target id), which is mapped
 * back to our TargetSession. Every paused request is continued, whatever a
 * handler does: a request left paused would hang until its target closes.
 */
export class RequestInterceptor {
  readonly #browser: CdpClient
  readonly #targets: TargetManager
  readonly #handlers = new Set<PausedRequestHandler>()
  #enabled: Promise<unknown> | undefined

  constructor(browser: CdpClient, targets: TargetManager) {
    this.#browser = browser
    this.#targets = targets
    browser.on('Fetch.requestPaused', (event) => {
      this.#onPaused(event)
    })
  }

  /** Registers a handler; resolves once interception is on. The returned function removes it. */
  add(handler: PausedRequestHandler, patterns: Protocol.Fetch.RequestPattern[]): { ready: Promise<unknown>; remove(): void } {
    this.#handlers.add(handler)
    this.#enabled ??= this.#browser.send('Fetch.enable', { patterns })
    return {
      ready: this.#enabled,
      remove: () => {
        if (!this.#handlers.delete(handler) || this.#handlers.size > 0) return
        this.#enabled = undefined
        if (!this.#browser.detached) detach(this.#browser.send('Fetch.disable'), 'Fetch.disable')
      },
    }
  }

  #onPaused(event: Protocol.Fetch.RequestPausedEvent): void {
    let headers: Protocol.Fetch.HeaderEntry[] | undefined
    const target = this.#targets.target(event.frameId)
    for (const handler of this.#handlers) {
      try {
        headers = handler(event, target) ?? headers
      } catch (error) {
        debug('request handler failed for %s: %s', event.request.url, String(error))
      }
    }
    const params: Protocol.Fetch.ContinueRequestRequest = headers ? { requestId: event.requestId, headers } : { requestId: event.requestId }
    detach(this.#browser.send('Fetch.continueRequest', params), 'Fetch.continueRequest')
  }
}
