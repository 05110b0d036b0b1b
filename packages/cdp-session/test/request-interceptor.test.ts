import type { Protocol } from 'devtools-protocol'
import { describe, expect, it } from 'vitest'
import type { CdpClient } from '../src/cdp/client.js'
import { RequestInterceptor, type InterceptionHandler } from '../src/cdp/request-interceptor.js'
import type { TargetManager } from '../src/cdp/target-manager.js'

/** A browser-level client that records what is sent and lets the test emit Fetch events. */
class FakeBrowser {
  readonly sent: Array<{ method: string; params: Record<string, unknown> }> = []
  readonly #handlers = new Map<string, (payload: unknown) => void>()
  detached = false
  failAnswers = false
  on(event: string, handler: (payload: unknown) => void): () => void {
    this.#handlers.set(event, handler)
    return () => this.#handlers.delete(event)
  }
  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    this.sent.push({ method, params })
    if (this.failAnswers && method !== 'Fetch.enable') return Promise.reject(new Error('target closed'))
    return Promise.resolve({})
  }
  emit(event: string, payload: unknown): void {
    this.#handlers.get(event)?.(payload)
  }
  answers(): Array<{ method: string; params: Record<string, unknown> }> {
    return this.sent.filter((s) => s.method !== 'Fetch.enable')
  }
  enables(): Array<Record<string, unknown>> {
    return this.sent.filter((s) => s.method === 'Fetch.enable').map((s) => s.params)
  }
}

function setup(): { browser: FakeBrowser; interceptor: RequestInterceptor } {
  const browser = new FakeBrowser()
  const targets = { target: () => undefined } as unknown as TargetManager
  return { browser, interceptor: new RequestInterceptor(browser as unknown as CdpClient, targets) }
}

function paused(requestId: string, url: string, extra: Partial<Protocol.Fetch.RequestPausedEvent> = {}): Protocol.Fetch.RequestPausedEvent {
  return {
    requestId,
    request: { url, method: 'GET', headers: { A: '1' }, initialPriority: 'High', referrerPolicy: 'no-referrer' },
    frameId: 'F',
    resourceType: 'Document',
    ...extra,
  }
}

/** Lets queued promise callbacks (handler chains, answers) run. */
const settle = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('RequestInterceptor', () => {
  it('starts with one never-matching pattern and sends the union of handlers\' patterns', async () => {
    const { browser, interceptor } = setup()
    expect(browser.enables()).toEqual([{ patterns: [{ urlPattern: 'x-cdp-session-idle:*' }] }])
    const a = interceptor.add({ priority: 0, patterns: [{ urlPattern: '*a*' }] })
    interceptor.add({ priority: 5, patterns: [{ urlPattern: '*a*' }, { urlPattern: '*b*', requestStage: 'Response' }], handleAuth: true })
    await a.ready
    expect(browser.enables().at(-1)).toEqual({ patterns: [{ urlPattern: '*a*' }, { urlPattern: '*b*', requestStage: 'Response' }], handleAuthRequests: true })
    await a.update([{ urlPattern: '*c*' }])
    expect(browser.enables().at(-1)?.patterns).toEqual([{ urlPattern: '*c*' }, { urlPattern: '*a*' }, { urlPattern: '*b*', requestStage: 'Response' }])
    const count = browser.enables().length
    await a.update([{ urlPattern: '*c*' }])
    expect(browser.enables().length).toBe(count)
  })

  it('runs handlers in priority order; continue overrides accumulate and later handlers see them', async () => {
    const { browser, interceptor } = setup()
    const order: string[] = []
    interceptor.add({ priority: 20, patterns: [{ urlPattern: '*' }], onRequest: (e) => {
      order.push(`20 sees ${e.request.url} ${e.request.headers['B'] ?? '-'}`)
      return { kind: 'continue', method: 'POST' }
    } })
    interceptor.add({ priority: 0, patterns: [{ urlPattern: '*' }], onRequest: async () => {
      order.push('0')
      await settle(5)
      return { kind: 'continue', url: 'http://x/2', headers: [{ name: 'B', value: '2' }] }
    } })
    browser.emit('Fetch.requestPaused', paused('r1', 'http://x/1'))
    await settle(20)
    expect(order).toEqual(['0', '20 sees http://x/2 2'])
    expect(browser.answers()).toEqual([{ method: 'Fetch.continueRequest', params: { requestId: 'r1', url: 'http://x/2', headers: [{ name: 'B', value: '2' }], method: 'POST' } }])
  })

  it('the first fail or fulfill ends the chain; handlers whose patterns do not match are not asked', async () => {
    const { browser, interceptor } = setup()
    const asked: number[] = []
    interceptor.add({ priority: 0, patterns: [{ urlPattern: '*other*' }], onRequest: () => {
      asked.push(0)
      return undefined
    } })
    interceptor.add({ priority: 1, patterns: [{ urlPattern: '*' }], onRequest: () => {
      asked.push(1)
      return { kind: 'fail', errorReason: 'BlockedByClient' }
    } })
    interceptor.add({ priority: 2, patterns: [{ urlPattern: '*' }], onRequest: () => {
      asked.push(2)
      return undefined
    } })
    browser.emit('Fetch.requestPaused', paused('r1', 'http://x/'))
    await settle()
    expect(asked).toEqual([1])
    expect(browser.answers()).toEqual([{ method: 'Fetch.failRequest', params: { requestId: 'r1', errorReason: 'BlockedByClient' } }])
  })

  it('answers exactly once when handlers throw, reject or never settle (bounded by timeoutMs)', async () => {
    const { browser, interceptor } = setup()
    interceptor.add({ priority: 0, patterns: [{ urlPattern: '*throw*' }], onRequest: () => {
      throw new Error('bug')
    } })
    interceptor.add({ priority: 0, patterns: [{ urlPattern: '*reject*' }], onRequest: () => Promise.reject(new Error('bug')) })
    interceptor.add({ priority: 0, timeoutMs: 20, patterns: [{ urlPattern: '*hang*' }], onRequest: () => new Promise(() => undefined) })
    browser.emit('Fetch.requestPaused', paused('t', 'http://throw/'))
    browser.emit('Fetch.requestPaused', paused('r', 'http://reject/'))
    browser.emit('Fetch.requestPaused', paused('h', 'http://hang/'))
    await settle(60)
    expect(browser.answers().map((a) => `${a.method} ${String(a.params.requestId)}`).sort()).toEqual(['Fetch.continueRequest h', 'Fetch.continueRequest r', 'Fetch.continueRequest t'])
  })

  it('a failed answer (target gone) is not an error', async () => {
    const { browser, interceptor } = setup()
    browser.failAnswers = true
    interceptor.add({ priority: 0, patterns: [{ urlPattern: '*' }] })
    browser.emit('Fetch.requestPaused', paused('r1', 'http://x/'))
    await settle()
    expect(browser.answers()).toHaveLength(1)
  })

  it('response stage: overrides accumulate; interceptResponse brings the asking handler back', async () => {
    const { browser, interceptor } = setup()
    const seen: number[] = []
    interceptor.add({
      priority: 0,
      patterns: [{ urlPattern: 'http://only-request/*' }],
      onRequest: () => ({ kind: 'continue', interceptResponse: true }),
      onResponse: (e) => {
        seen.push(e.responseStatusCode!)
        return { kind: 'continue', responseCode: 201 }
      },
    })
    browser.emit('Fetch.requestPaused', paused('r1', 'http://only-request/x'))
    await settle()
    browser.emit('Fetch.requestPaused', paused('r1', 'http://only-request/x', { responseStatusCode: 200, responseHeaders: [] }))
    await settle()
    expect(seen).toEqual([200])
    expect(browser.answers()).toEqual([
      { method: 'Fetch.continueRequest', params: { requestId: 'r1', interceptResponse: true } },
      { method: 'Fetch.continueResponse', params: { requestId: 'r1', responseCode: 201 } },
    ])
  })

  it('auth: handlers in priority order, undefined passes on, nobody answers → Default', async () => {
    const { browser, interceptor } = setup()
    const asked: string[] = []
    const auth = (name: string, answer?: Protocol.Fetch.AuthChallengeResponse): InterceptionHandler => ({
      priority: name === 'gateway' ? -100 : 10,
      patterns: [{ urlPattern: '*' }],
      handleAuth: true,
      onAuth: (e) => {
        asked.push(name)
        return e.authChallenge.source === 'Proxy' ? answer : undefined
      },
    })
    interceptor.add(auth('login', { response: 'CancelAuth' }))
    interceptor.add(auth('gateway', { response: 'ProvideCredentials', username: 'u', password: 'p' }))
    const challenge = (requestId: string, source: 'Proxy' | 'Server'): Protocol.Fetch.AuthRequiredEvent => ({
      requestId,
      request: paused(requestId, 'http://x/').request,
      frameId: 'F',
      resourceType: 'Document',
      authChallenge: { source, origin: 'http://x', scheme: 'basic', realm: 'r' },
    })
    browser.emit('Fetch.authRequired', challenge('a1', 'Proxy'))
    await settle()
    browser.emit('Fetch.authRequired', challenge('a2', 'Server'))
    await settle()
    expect(asked).toEqual(['gateway', 'gateway', 'login'])
    expect(browser.answers().map((a) => a.params)).toEqual([
      { requestId: 'a1', authChallengeResponse: { response: 'ProvideCredentials', username: 'u', password: 'p' } },
      { requestId: 'a2', authChallengeResponse: { response: 'Default' } },
    ])
  })

  it('removing the last handler goes back to the idle pattern', async () => {
    const { browser, interceptor } = setup()
    const a = interceptor.add({ priority: 0, patterns: [{ urlPattern: '*' }] })
    await a.ready
    a.remove()
    a.remove()
    await settle()
    expect(browser.enables().at(-1)).toEqual({ patterns: [{ urlPattern: 'x-cdp-session-idle:*' }] })
  })
})
