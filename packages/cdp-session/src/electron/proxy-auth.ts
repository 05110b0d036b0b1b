// How a context proves to its gateway that it is the gateway's own session, at no cost per
// request. Chromium keeps proxy credentials in the context's HTTP auth cache and, once it has
// them for a proxy, sends `Proxy-Authorization` preemptively on every later request, CONNECT
// and page of that context. It only learns them by answering a 407, and CDP only lets us answer
// (Fetch.authRequired) for requests we intercept. So while the session is not yet "seeded",
// every new page (and service/shared worker) of it starts with page-level Fetch interception
// that continues each request untouched and answers the gateway's 407 with its credentials.
// As soon as the gateway sees one authorised request, the context's cache holds the
// credentials and the interception is switched off again everywhere (measured: docs/decisions.md).
import type { Protocol } from 'devtools-protocol'
import { debug, detach } from '../common/util.js'
import type { InterceptionHandler } from '../cdp/request-interceptor.js'
import type { TargetSession } from '../cdp/target-session.js'
import type { SessionContext } from './context.js'

export interface GatewayCredentials {
  /** `http://127.0.0.1:PORT`: the origin Chromium names in the proxy's challenge. */
  readonly origin: string
  readonly username: string
  readonly password: string
}

/**
 * How long targets stay armed after the context learnt the credentials. Requests sent before
 * that moment still receive a 407, a few milliseconds later; their challenge must find the
 * interception on (switched off under it, Chromium fails them with ERR_INVALID_AUTH_CREDENTIALS,
 * measured with five pages loading at once). Requests sent afterwards carry the credentials.
 */
const DISARM_GRACE_MS = 1_000
/** Answers after which a target stops offering credentials (a wrong answer would loop). */
const MAX_ANSWERS_PER_TARGET = 3

interface Armed {
  off: Array<() => void>
  answers: number
}

export class ProxyAuthSeeder {
  #credentials: GatewayCredentials | undefined
  readonly #armed = new Map<TargetSession, Armed>()
  #seeded = false

  /** Known once the gateway listens; targets may be armed before (they make no request yet). */
  setCredentials(credentials: GatewayCredentials): void {
    this.#credentials = credentials
  }

  /** The attach-time step: arms targets that can make requests while the session is not seeded. */
  apply(target: TargetSession): Array<Promise<unknown>> {
    if (this.#seeded || target.closed || this.#armed.has(target)) return []
    if (target.kind !== 'page' && target.kind !== 'service_worker' && target.kind !== 'shared_worker') return []
    const { client } = target
    const armed: Armed = { off: [], answers: 0 }
    this.#armed.set(target, armed)
    armed.off.push(
      client.on('Fetch.requestPaused', (event) => {
        detach(client.send('Fetch.continueRequest', { requestId: event.requestId }), 'proxy-auth continueRequest')
      }),
      client.on('Fetch.authRequired', (event) => {
        detach(client.send('Fetch.continueWithAuth', { requestId: event.requestId, authChallengeResponse: this.#answer(event, armed) }), 'proxy-auth continueWithAuth')
      }),
    )
    detach(client.whenDetached.then(() => this.#disarm(target)), 'proxy-auth detach')
    return [client.send('Fetch.enable', { patterns: [{ urlPattern: '*', requestStage: 'Request' }], handleAuthRequests: true })]
  }

  /**
   * For the browser-level interceptor: when a session's requests are intercepted there (e.g.
   * a login hook is set), Chromium asks it, not the page, to answer the gateway's 407. This
   * handler runs before any user hook and answers only challenges from this gateway.
   */
  interceptionHandler(): InterceptionHandler {
    const answers = new Map<string, number>()
    return {
      priority: -100,
      // A pattern no URL matches: this handler only wants auth challenges, which Chromium
      // sends for requests other handlers' patterns pause.
      patterns: [{ urlPattern: 'x-cdp-session-gateway-auth:*' }],
      handleAuth: true,
      onAuth: (event) => {
        const credentials = this.#credentials
        const { authChallenge } = event
        if (!credentials || authChallenge.source !== 'Proxy' || authChallenge.origin !== credentials.origin) return undefined
        const count = (answers.get(event.request.url) ?? 0) + 1
        answers.set(event.request.url, count)
        if (answers.size > 1000) answers.clear()
        if (count > MAX_ANSWERS_PER_TARGET) return { response: 'CancelAuth' }
        return { response: 'ProvideCredentials', username: credentials.username, password: credentials.password }
      },
    }
  }

  /** The gateway saw an authorised request from this context: its auth cache is seeded. */
  markSeeded(): void {
    if (this.#seeded) return
    this.#seeded = true
    debug('proxy credentials seeded; page-level interception off on %d targets in %d ms', this.#armed.size, DISARM_GRACE_MS)
    setTimeout(() => {
      for (const target of [...this.#armed.keys()]) this.#disarm(target)
    }, DISARM_GRACE_MS).unref()
  }

  #answer(event: Protocol.Fetch.AuthRequiredEvent, armed: Armed): Protocol.Fetch.AuthChallengeResponse {
    const challenge = event.authChallenge
    const credentials = this.#credentials
    const ours = credentials !== undefined && challenge.source === 'Proxy' && challenge.origin === credentials.origin
    // Not the gateway's challenge: cancelled, as Electron's unanswered 'login' (the page shows the 401).
    if (!ours || armed.answers >= MAX_ANSWERS_PER_TARGET) return { response: 'CancelAuth' }
    armed.answers++
    return { response: 'ProvideCredentials', username: credentials.username, password: credentials.password }
  }

  #disarm(target: TargetSession): void {
    const armed = this.#armed.get(target)
    if (!armed) return
    this.#armed.delete(target)
    for (const off of armed.off) off()
    if (!target.closed) detach(target.client.send('Fetch.disable'), 'proxy-auth Fetch.disable')
  }
}

/**
 * Teaches a session's context its gateway's credentials: arms every new target until the
 * gateway sees an authorised request, and answers the gateway's 407s at browser level too.
 */
export function seedGatewayCredentials(core: SessionContext): void {
  const seeder = new ProxyAuthSeeder()
  let registration: { remove(): void } | undefined
  core.addTargetSetting({ apply: (target) => seeder.apply(target) })
  core.onClose(() => {
    registration?.remove()
    registration = undefined
  })
  detach(
    core.binding.then((b) => {
      if (typeof b.proxy === 'string' || core.closed) return
      const { gateway } = b.proxy
      seeder.setCredentials({ origin: `http://${gateway.proxyServer}`, username: gateway.username, password: gateway.password })
      b.proxy.onEvent((event) => {
        if (event.type === 'request') seeder.markSeeded()
      })
      registration = b.interceptor.add(seeder.interceptionHandler())
    }, () => undefined),
    'proxy credentials',
  )
}
