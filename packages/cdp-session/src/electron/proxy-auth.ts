// How a context proves to its gateway that it is the gateway's own session, at no cost per
// request. Chromium keeps proxy credentials in the context's HTTP auth cache and, once it has
// them for a proxy, sends `Proxy-Authorization` preemptively on every later request, CONNECT
// and page of that context; a 407 that still arrives (a request sent before) is answered from
// that cache by the network stack itself. It only learns them by answering a 407, and CDP only
// lets us answer (Fetch.authRequired) for requests we intercept. So while the session is not yet
// "seeded", every new page, cross-site iframe, service and shared worker of it starts with
// page-level Fetch interception that continues each request untouched and answers the gateway's
// 407 with its credentials. Once the gateway has seen one authorised request, the context's cache
// holds the credentials, and the armed targets' interception is switched off as soon as nothing
// is left to answer: no paused request or challenge of an armed target waiting for our answer, and no
// 407 the gateway sent whose challenge has not reached us yet (switched off under a challenge
// on its way, Chromium fails that request with ERR_INVALID_AUTH_CREDENTIALS: measured with five
// pages loading at once). A shared worker has its own Fetch for its whole life
// (request-interceptor.ts), which a disarming Fetch.disable would end, so the interceptor arms
// and disarms it instead (its pauses and challenges go through the interceptor's handlers, this
// seeder's browser-level handler among them). Measured routes that need no Fetch at all, and why
// they are not taken: docs/decisions.md.
import type { Protocol } from 'devtools-protocol'
import { debug, detach } from '../common/util.js'
import type { InterceptionHandler, RequestInterceptor } from '../cdp/request-interceptor.js'
import type { TargetSession } from '../cdp/target-session.js'
import type { SessionContext } from './context.js'

export interface GatewayCredentials {
  /** `http://127.0.0.1:PORT`: the origin Chromium names in the proxy's challenge. */
  readonly origin: string
  readonly username: string
  readonly password: string
}

/**
 * How long a 407 of the gateway counts as on its way to us. Chromium's challenges arrive within
 * milliseconds; a 407 for a request nobody intercepts (one of Chromium's own) never does.
 */
const CHALLENGE_IN_FLIGHT_MS = 1_000
/** Answers after which a target stops offering credentials (a wrong answer would loop). */
const MAX_ANSWERS_PER_TARGET = 3
/** The armed target's own Fetch: every request, with its auth challenges. */
const ARMED: Protocol.Fetch.EnableRequest = { patterns: [{ urlPattern: '*', requestStage: 'Request' }], handleAuthRequests: true }

interface Armed {
  off: Array<() => void>
  answers: number
  /** Paused requests and challenges of this target not answered yet. */
  waiting: number
  /** The target's Fetch is this seeder's (false: a shared worker's, the interceptor's). */
  own: boolean
}

export class ProxyAuthSeeder {
  #credentials: GatewayCredentials | undefined
  /** Arms shared workers (their Fetch belongs to it); known once the session is bound. */
  #interceptor: RequestInterceptor | undefined
  readonly #armed = new Map<TargetSession, Armed>()
  #seeded = false
  /** When the gateway sent each 407 whose challenge has not reached us yet (oldest first). */
  readonly #inFlight: number[] = []
  #recheck: NodeJS.Timeout | undefined

  /** Known once the gateway listens; targets may be armed before (they make no request yet). */
  setCredentials(credentials: GatewayCredentials, interceptor: RequestInterceptor): void {
    this.#credentials = credentials
    this.#interceptor = interceptor
  }

  /** The attach-time step: arms targets that can make requests while the session is not seeded. */
  apply(target: TargetSession): Array<Promise<unknown>> {
    if (this.#seeded || target.closed || this.#armed.has(target)) return []
    if (target.kind === 'shared_worker') {
      const interceptor = this.#interceptor
      if (!interceptor) return []
      this.#armed.set(target, { off: [() => detach(interceptor.armWorker(target, false), 'proxy-auth disarm shared worker')], answers: 0, waiting: 0, own: false })
      detach(target.client.whenDetached.then(() => this.#disarm(target)), 'proxy-auth detach')
      return [interceptor.armWorker(target, true)]
    }
    // A cross-site iframe has a Fetch of its own: its page's does not see its requests.
    if (target.kind !== 'page' && target.kind !== 'iframe' && target.kind !== 'service_worker') return []
    const { client } = target
    const armed: Armed = { off: [], answers: 0, waiting: 0, own: true }
    this.#armed.set(target, armed)
    const answer = (sent: Promise<unknown>, what: string): void => {
      armed.waiting++
      detach(
        sent.finally(() => {
          armed.waiting--
          if (this.#seeded && armed.waiting === 0) this.#disarmIdle()
        }),
        what,
      )
    }
    armed.off.push(
      client.on('Fetch.requestPaused', (event) => {
        answer(client.send('Fetch.continueRequest', { requestId: event.requestId }), 'proxy-auth continueRequest')
      }),
      client.on('Fetch.authRequired', (event) => {
        this.#challengeArrived(event)
        answer(client.send('Fetch.continueWithAuth', { requestId: event.requestId, authChallengeResponse: this.#answer(event, armed) }), 'proxy-auth continueWithAuth')
      }),
    )
    detach(client.whenDetached.then(() => this.#disarm(target)), 'proxy-auth detach')
    target.pageFetch = ARMED
    return [client.send('Fetch.enable', ARMED)]
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
      // No pattern: this handler only wants auth challenges, which Chromium sends for requests
      // other handlers' patterns pause; on its own it keeps Fetch off.
      patterns: [],
      handleAuth: true,
      onAuth: (event) => {
        const credentials = this.#credentials
        const { authChallenge } = event
        if (!credentials || authChallenge.source !== 'Proxy' || authChallenge.origin !== credentials.origin) return undefined
        this.#challengeArrived(event)
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
    debug('proxy credentials seeded; page-level interception off on %d targets once idle', this.#armed.size)
    this.#disarmIdle()
  }

  /** The gateway answered a request with 407: its challenge is on its way to an armed target. */
  challengeSent(): void {
    if (this.#armed.size > 0) this.#inFlight.push(Date.now())
  }

  #challengeArrived(event: Protocol.Fetch.AuthRequiredEvent): void {
    const credentials = this.#credentials
    if (credentials && event.authChallenge.source === 'Proxy' && event.authChallenge.origin === credentials.origin) this.#inFlight.shift()
  }

  /** Once seeded: disarms every armed target with nothing to answer, when no challenge is on its way. */
  #disarmIdle(): void {
    if (!this.#seeded || this.#armed.size === 0) return
    const now = Date.now()
    while (this.#inFlight.length > 0 && now - this.#inFlight[0]! >= CHALLENGE_IN_FLIGHT_MS) this.#inFlight.shift()
    if (this.#inFlight.length > 0) {
      if (!this.#recheck) {
        this.#recheck = setTimeout(() => {
          this.#recheck = undefined
          this.#disarmIdle()
        }, CHALLENGE_IN_FLIGHT_MS - (now - this.#inFlight[0]!))
        this.#recheck.unref()
      }
      return
    }
    for (const [target, armed] of [...this.#armed]) if (armed.waiting === 0) this.#disarm(target)
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
    if (!armed.own) return
    target.pageFetch = undefined
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
      seeder.setCredentials({ origin: `http://${gateway.proxyServer}`, username: gateway.username, password: gateway.password }, b.interceptor)
      b.proxy.onEvent((event) => {
        if (event.type === 'request') seeder.markSeeded()
        else if (event.type === 'rejected' && event.reason === 'auth') seeder.challengeSent()
      })
      registration = b.interceptor.add(seeder.interceptionHandler())
    }, () => undefined),
    'proxy credentials',
  )
}
