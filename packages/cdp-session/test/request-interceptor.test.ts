import type { Protocol } from 'devtools-protocol'
import { describe, expect, it } from 'vitest'
import type { CdpClient } from '../src/cdp/client.js'
import { RequestInterceptor, type InterceptionHandler } from '../src/cdp/request-interceptor.js'
import type { TargetManager } from '../src/cdp/target-manager.js'

/** A browser-level client that records what is sent and lets the test emit Fetch events. */
class FakeBrowser {
  readonly sent: Array<{ method: string; params: Record<string, unknown> }> = []
  readonly whenDetached = new Promise<void>(() => undefined)
  constructor(readonly sessionId = '') {}
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

/** A live target's session: records the page-level commands the interceptor sends it. */
interface FakeTarget {
  client: FakeBrowser
  pageFetch: Protocol.Fetch.EnableRequest | undefined
}

/** A TargetManager for the interceptor: live targets by id, and the attach steps it registers. */
function fakeTargets(live: FakeTarget[] = [], byId = new Map<string, unknown>()): TargetManager & { attach(target: unknown): unknown[] } {
  const steps: Array<(target: unknown) => unknown> = []
  return {
    target: (id: string) => byId.get(id),
    liveTargets: () => live,
    addAttachStep: (step: (target: unknown) => unknown) => steps.push(step),
    attach: (target: unknown) => steps.map((step) => step(target)).filter((sent) => sent !== undefined),
  } as unknown as TargetManager & { attach(target: unknown): unknown[] }
}

function setup(live: FakeTarget[] = []): { browser: FakeBrowser; interceptor: RequestInterceptor } {
  const browser = new FakeBrowser()
  return { browser, interceptor: new RequestInterceptor(browser as unknown as CdpClient, fakeTargets(live)) }
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
  it('sends nothing while no handler has a pattern, then the union of handlers\' patterns', async () => {
    const { browser, interceptor } = setup()
    // A handler that only answers auth challenges enables nothing by itself.
    await interceptor.add({ priority: -100, patterns: [], handleAuth: true }).ready
    expect(browser.sent).toEqual([])
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

  it('rebuilds every live target\'s loaders when Fetch goes on or off, keeping a target\'s own page-level Fetch', async () => {
    const plain: FakeTarget = { client: new FakeBrowser(), pageFetch: undefined }
    const own: Protocol.Fetch.EnableRequest = { patterns: [{ urlPattern: '*' }], handleAuthRequests: true }
    const armed: FakeTarget = { client: new FakeBrowser(), pageFetch: own }
    const { browser, interceptor } = setup([plain, armed])
    const a = interceptor.add({ priority: 0, patterns: [{ urlPattern: '*a*' }] })
    await a.ready
    expect(plain.client.sent.map((s) => s.method)).toEqual(['Fetch.enable', 'Fetch.disable'])
    expect(armed.client.sent).toEqual([{ method: 'Fetch.enable', params: own }])
    // A pattern change while on: no rebuild.
    await a.update([{ urlPattern: '*b*' }])
    expect(plain.client.sent.length).toBe(2)
    a.remove()
    await settle()
    expect(browser.sent.at(-1)).toEqual({ method: 'Fetch.disable', params: {} })
    expect(plain.client.sent.map((s) => s.method)).toEqual(['Fetch.enable', 'Fetch.disable', 'Fetch.enable', 'Fetch.disable'])
    expect(armed.client.sent.length).toBe(2)
  })

  it('a shared worker keeps its own Fetch for life: idle pattern at attach, the union later, never a disable; its pauses are answered on its session', async () => {
    const browser = new FakeBrowser()
    const client = new FakeBrowser('W')
    const worker = { targetId: 'W', kind: 'shared_worker', client, pageFetch: undefined, browserContextId: 'C', closed: false }
    const targets = fakeTargets([worker], new Map([['W', worker]]))
    const interceptor = new RequestInterceptor(browser as unknown as CdpClient, targets)
    expect(targets.attach({ ...worker, kind: 'page' })).toEqual([])
    expect(targets.attach(worker)).toHaveLength(1)
    expect(client.enables()).toEqual([{ patterns: [{ urlPattern: 'x-cdp-session-idle:*' }] }])
    await interceptor.sharedWorkersSettled('C')
    expect(interceptor.sharedWorkersSettled('other context')).toBeUndefined()
    const seen: Array<string | undefined> = []
    const registration = interceptor.add({
      priority: 0,
      patterns: [{ urlPattern: '*' }],
      onRequest: (e, target) => {
        seen.push(`${e.requestId} ${target?.targetId}`)
        return { kind: 'fail', errorReason: 'BlockedByClient' }
      },
    })
    await registration.ready
    expect(client.enables().at(-1)).toEqual({ patterns: [{ urlPattern: '*' }] })
    // Going on rebuilt the other targets' loaders, not the worker's: no Fetch.disable reached it.
    expect(client.sent.map((s) => s.method)).toEqual(['Fetch.enable', 'Fetch.enable'])
    client.emit('Fetch.requestPaused', paused('w1', 'http://x/w', { frameId: 'W' }))
    // The same request paused at browser level too (Fetch was on there at the worker's start): passed on.
    browser.emit('Fetch.requestPaused', paused('b1', 'http://x/w', { frameId: 'W' }))
    await settle()
    expect(seen).toEqual(['w1 W'])
    expect(client.answers()).toEqual([{ method: 'Fetch.failRequest', params: { requestId: 'w1', errorReason: 'BlockedByClient' } }])
    expect(browser.answers().filter((a) => a.method !== 'Fetch.disable')).toEqual([{ method: 'Fetch.continueRequest', params: { requestId: 'b1' } }])
    registration.remove()
    await settle()
    expect(client.sent.map((s) => s.method)).toEqual(['Fetch.enable', 'Fetch.enable', 'Fetch.failRequest', 'Fetch.enable'])
    expect(client.enables().at(-1)).toEqual({ patterns: [{ urlPattern: 'x-cdp-session-idle:*' }] })
    // Armed by the credential seeder: every request and its challenges too, then back.
    await interceptor.armWorker(worker as never, true)
    expect(client.enables().at(-1)).toEqual({ patterns: [{ urlPattern: '*', requestStage: 'Request' }], handleAuthRequests: true })
    await interceptor.armWorker(worker as never, false)
    expect(client.enables().at(-1)).toEqual({ patterns: [{ urlPattern: 'x-cdp-session-idle:*' }] })
    expect(client.sent.map((s) => s.method)).not.toContain('Fetch.disable')
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
      { method: 'Fetch.continueResponse', params: { requestId: 'r1', responseCode: 201, responseHeaders: [] } },
    ])
  })

  // Chromium refuses continueResponse with only a status or only headers, and a refused answer
  // leaves the request paused for good (issue #13: a document load that never ended).
  it('response stage: an override always carries code and headers; a refused one goes through unchanged', async () => {
    const { browser, interceptor } = setup()
    const received = [{ name: 'Content-Type', value: 'text/html' }]
    interceptor.add({
      priority: 0,
      patterns: [{ urlPattern: '*', requestStage: 'Response' }],
      onResponse: (e) => (e.request.url.endsWith('/headers') ? { kind: 'continue', responseHeaders: [{ name: 'Custom', value: 'Changed' }] } : { kind: 'continue', responseCode: 299, responsePhrase: 'Fine' }),
    })
    browser.emit('Fetch.requestPaused', paused('h', 'http://x/headers', { responseStatusCode: 200, responseHeaders: received }))
    browser.emit('Fetch.requestPaused', paused('s', 'http://x/status', { responseStatusCode: 200, responseHeaders: received }))
    await settle()
    expect(browser.answers()).toEqual([
      { method: 'Fetch.continueResponse', params: { requestId: 'h', responseCode: 200, responseHeaders: [{ name: 'Custom', value: 'Changed' }] } },
      { method: 'Fetch.continueResponse', params: { requestId: 's', responseCode: 299, responseHeaders: received, responsePhrase: 'Fine' } },
    ])
  })

  it('an answer Chromium refuses is replaced by one that ends the request', async () => {
    const browser = new FakeBrowser()
    const refuse = new Set(['Fetch.continueResponse:changed', 'Fetch.continueRequest:changed', 'Fetch.fulfillRequest'])
    const send = browser.send.bind(browser)
    browser.send = (method, params = {}) => {
      const key = method === 'Fetch.fulfillRequest' ? method : `${method}:${Object.keys(params).length > 1 ? 'changed' : 'plain'}`
      if (refuse.has(key)) {
        browser.sent.push({ method, params })
        return Promise.reject(new Error('Invalid header'))
      }
      return send(method, params)
    }
    const interceptor = new RequestInterceptor(browser as unknown as CdpClient, fakeTargets())
    interceptor.add({
      priority: 0,
      patterns: [{ urlPattern: '*' }, { urlPattern: '*', requestStage: 'Response' }],
      onRequest: (e) => (e.request.url.endsWith('/fulfill') ? { kind: 'fulfill', responseCode: 200 } : { kind: 'continue', headers: [{ name: 'Bad\n', value: 'x' }] }),
      onResponse: () => ({ kind: 'continue', responseHeaders: [{ name: 'Bad\n', value: 'x' }] }),
    })
    browser.emit('Fetch.requestPaused', paused('q', 'http://x/request'))
    await settle()
    browser.emit('Fetch.requestPaused', paused('r', 'http://x/response', { responseStatusCode: 200, responseHeaders: [] }))
    await settle()
    browser.emit('Fetch.requestPaused', paused('f', 'http://x/fulfill'))
    await settle()
    expect(browser.answers().map((a) => `${a.method} ${String(a.params.requestId)} ${Object.keys(a.params).length}`)).toEqual([
      'Fetch.continueRequest q 2',
      'Fetch.continueRequest q 1',
      'Fetch.continueResponse r 3',
      'Fetch.continueResponse r 1',
      'Fetch.fulfillRequest f 2',
      'Fetch.failRequest f 2',
    ])
  })

  it('auth: handlers in priority order, undefined passes on, nobody answers → CancelAuth', async () => {
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
      { requestId: 'a2', authChallengeResponse: { response: 'CancelAuth' } },
    ])
  })

  it('removing the last handler turns Fetch off', async () => {
    const { browser, interceptor } = setup()
    const a = interceptor.add({ priority: 0, patterns: [{ urlPattern: '*' }] })
    await a.ready
    a.remove()
    a.remove()
    await settle()
    expect(browser.sent.map((s) => s.method)).toEqual(['Fetch.enable', 'Fetch.disable'])
  })
})
