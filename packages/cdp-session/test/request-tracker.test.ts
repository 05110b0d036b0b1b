import type { Protocol } from 'devtools-protocol'
import { describe, expect, it } from 'vitest'
import { headerLists, RequestTracker, statusLine, type TrackedEvent } from '../src/cdp/request-tracker.js'

// Small payload builders: only the fields the tracker reads.
function willBeSent(requestId: string, url: string, extra: Partial<Protocol.Network.RequestWillBeSentEvent> = {}): Protocol.Network.RequestWillBeSentEvent {
  return {
    requestId,
    loaderId: 'L',
    documentURL: url,
    request: { url, method: 'GET', headers: { Referer: 'http://ref/' }, initialPriority: 'High', referrerPolicy: 'no-referrer' },
    timestamp: 1,
    wallTime: 1_700_000_000,
    initiator: { type: 'other' },
    redirectHasExtraInfo: false,
    type: 'Fetch',
    frameId: 'F',
    ...extra,
  }
}
function response(status: number, extra: Partial<Protocol.Network.Response> = {}): Protocol.Network.Response {
  return {
    url: 'http://x/',
    status,
    statusText: status === 200 ? 'OK' : 'Found',
    headers: { 'Content-Type': 'text/plain', 'Set-Cookie': 'a=1\nb=2' },
    mimeType: 'text/plain',
    charset: '',
    connectionReused: false,
    connectionId: 1,
    encodedDataLength: 0,
    securityState: 'neutral',
    protocol: 'http/1.1',
    remoteIPAddress: '127.0.0.1',
    ...extra,
  }
}
const received = (requestId: string, r: Protocol.Network.Response): Protocol.Network.ResponseReceivedEvent =>
  ({ requestId, loaderId: 'L', timestamp: 2, type: 'Fetch', response: r, hasExtraInfo: false }) as Protocol.Network.ResponseReceivedEvent
const finished = (requestId: string): Protocol.Network.LoadingFinishedEvent => ({ requestId, timestamp: 3, encodedDataLength: 0 })
const failed = (requestId: string, errorText: string, canceled = false): Protocol.Network.LoadingFailedEvent => ({ requestId, timestamp: 3, type: 'Fetch', errorText, canceled })

function record(): { tracker: RequestTracker<string>; events: Array<TrackedEvent<string>>; summary(): string[] } {
  const events: Array<TrackedEvent<string>> = []
  const tracker = new RequestTracker<string>((e) => events.push(e))
  return { tracker, events, summary: () => events.map((e) => `${e.type} ${e.request.id} ${e.request.url}`) }
}

describe('RequestTracker', () => {
  it('a plain request: sendHeaders → responseStarted → completed, one id', () => {
    const { tracker, events, summary } = record()
    tracker.requestWillBeSent(willBeSent('r1', 'http://x/a'), 'page')
    tracker.responseReceived(received('r1', response(200)))
    tracker.loadingFinished(finished('r1'))
    expect(summary()).toEqual(['sendHeaders 1 http://x/a', 'responseStarted 1 http://x/a', 'completed 1 http://x/a'])
    const done = events[2] as Extract<TrackedEvent<string>, { type: 'completed' }>
    expect(done.response).toEqual({ statusCode: 200, statusLine: 'HTTP/1.1 200 OK', headers: { 'Content-Type': ['text/plain'], 'Set-Cookie': ['a=1', 'b=2'] }, fromCache: false, ip: '127.0.0.1' })
    expect(done.request).toMatchObject({ referrer: 'http://ref/', timestamp: 1_700_000_000_000, method: 'GET', resourceType: 'Fetch', frameId: 'F' })
    expect(done.context).toBe('page')
    expect(tracker.size).toBe(0)
  })

  it('redirects keep the id and report beforeRedirect with the redirect response', () => {
    const { tracker, events, summary } = record()
    tracker.requestWillBeSent(willBeSent('r1', 'http://x/old'), 'page')
    tracker.requestWillBeSent(willBeSent('r1', 'http://x/new', { redirectResponse: response(302) }), 'page')
    tracker.responseReceived(received('r1', response(200)))
    tracker.loadingFinished(finished('r1'))
    expect(summary()).toEqual(['sendHeaders 1 http://x/old', 'beforeRedirect 1 http://x/old', 'sendHeaders 1 http://x/new', 'responseStarted 1 http://x/new', 'completed 1 http://x/new'])
    const redirect = events[1] as Extract<TrackedEvent<string>, { type: 'beforeRedirect' }>
    expect([redirect.redirectURL, redirect.response.statusCode]).toEqual(['http://x/new', 302])
  })

  it('shares ids with Fetch pauses through idFor(networkId), also when Fetch saw the request first', () => {
    const { tracker, summary } = record()
    const fromFetch = tracker.idFor('r9')
    tracker.requestWillBeSent(willBeSent('r9', 'http://x/'), 'page')
    expect(fromFetch).toBe(1)
    expect(summary()).toEqual(['sendHeaders 1 http://x/'])
    expect(tracker.idFor('other')).toBe(2)
  })

  it('a request reported by two targets is reported once', () => {
    const { tracker, summary } = record()
    tracker.requestWillBeSent(willBeSent('r1', 'http://x/w'), 'worker')
    tracker.requestWillBeSent(willBeSent('r1', 'http://x/w'), 'page')
    tracker.responseReceived(received('r1', response(200)))
    tracker.responseReceived(received('r1', response(200)))
    tracker.loadingFinished(finished('r1'))
    tracker.loadingFinished(finished('r1'))
    tracker.requestWillBeSent(willBeSent('r1', 'http://x/w'), 'page')
    expect(summary()).toEqual(['sendHeaders 1 http://x/w', 'responseStarted 1 http://x/w', 'completed 1 http://x/w'])
  })

  it('errors: Fetch-blocked requests lose the ".Inspector" suffix; cancelled ones are net::ERR_ABORTED', () => {
    const { tracker, events } = record()
    tracker.requestWillBeSent(willBeSent('r1', 'http://x/1'), 'page')
    tracker.loadingFailed(failed('r1', 'net::ERR_BLOCKED_BY_CLIENT.Inspector'))
    tracker.requestWillBeSent(willBeSent('r2', 'http://x/2'), 'page')
    tracker.loadingFailed(failed('r2', '', true))
    expect(events.filter((e) => e.type === 'errorOccurred').map((e) => (e as { error: string }).error)).toEqual(['net::ERR_BLOCKED_BY_CLIENT', 'net::ERR_ABORTED'])
  })

  it('memory-cache hits are fromCache', () => {
    const { tracker, events } = record()
    tracker.requestWillBeSent(willBeSent('r1', 'http://x/c'), 'page')
    tracker.requestServedFromCache({ requestId: 'r1' })
    tracker.responseReceived(received('r1', response(200)))
    expect((events[1] as { response: { fromCache: boolean } }).response.fromCache).toBe(true)
  })

  it('WebSocket handshakes: sendHeaders, responseStarted and completed with the handshake\'s status line', () => {
    const { tracker, events, summary } = record()
    tracker.webSocketCreated({ requestId: 'w1', url: 'ws://x/ws' }, 'page')
    tracker.webSocketWillSendHandshakeRequest({ requestId: 'w1', timestamp: 1, wallTime: 1_700_000_000, request: { headers: { Upgrade: 'websocket' } } })
    tracker.webSocketHandshakeResponseReceived({
      requestId: 'w1',
      timestamp: 2,
      response: { status: 101, statusText: 'Switching Protocols', headers: { Upgrade: 'websocket' }, headersText: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n' },
    })
    tracker.webSocketHandshakeResponseReceived({ requestId: 'w1', timestamp: 3, response: { status: 101, statusText: '', headers: {} } })
    expect(summary()).toEqual(['sendHeaders 1 ws://x/ws', 'responseStarted 1 ws://x/ws', 'completed 1 ws://x/ws'])
    expect(events[0]?.request).toMatchObject({ resourceType: 'WebSocket', headers: { Upgrade: 'websocket' } })
    expect((events[2] as { response: { statusLine: string } }).response.statusLine).toBe('HTTP/1.1 101 Switching Protocols')
  })

  it('events for unknown requests are ignored', () => {
    const { tracker, events } = record()
    tracker.responseReceived(received('nope', response(200)))
    tracker.loadingFinished(finished('nope'))
    tracker.loadingFailed(failed('nope', 'net::ERR_FAILED'))
    expect(events).toEqual([])
  })
})

describe('status lines and header lists', () => {
  it('formats Electron status lines', () => {
    expect(statusLine('http/1.1', 404, 'Not Found')).toBe('HTTP/1.1 404 Not Found')
    expect(statusLine('h2', 200, '')).toBe('HTTP/2.0 200')
    expect(statusLine('http/1.0', 200, 'OK')).toBe('HTTP/1.0 200 OK')
  })
  it('splits Chromium\'s joined header values and keeps repeated entries', () => {
    expect(headerLists({ A: '1\n2' })).toEqual({ A: ['1', '2'] })
    expect(headerLists([{ name: 'B', value: '1' }, { name: 'B', value: '2' }])).toEqual({ B: ['1', '2'] })
  })

  describe('sendHeaders held for the deciding hooks', () => {
    function held(): ReturnType<typeof record> {
      const events: Array<TrackedEvent<string>> = []
      const tracker = new RequestTracker<string>((e) => events.push(e), { awaitsDecision: (url) => url.includes('/paused') })
      return { tracker, events, summary: () => events.map((e) => `${e.type} ${e.request.id} ${e.request.url}`) }
    }

    it('waits for the decision and reports the headers as sent', () => {
      const { tracker, events, summary } = held()
      tracker.requestWillBeSent(willBeSent('1', 'http://x/paused'), 'page')
      expect(events).toEqual([])
      tracker.decided('1', 'http://x/paused', { sent: { 'X-Added': 'yes' } })
      tracker.responseReceived(received('1', response(200)))
      expect(summary()).toEqual(['sendHeaders 1 http://x/paused', 'responseStarted 1 http://x/paused'])
      expect(events[0]?.request.headers).toEqual({ 'X-Added': 'yes' })
    })

    it('a decision that arrives before the Network event is kept for it', () => {
      const { tracker, events } = held()
      tracker.decided('1', 'http://x/paused', { sent: { A: '1' } })
      tracker.requestWillBeSent(willBeSent('1', 'http://x/paused'), 'page')
      expect(events.map((e) => [e.type, e.request.headers])).toEqual([['sendHeaders', { A: '1' }]])
    })

    it('a request that is not sent (cancelled, redirected by the hook) has no sendHeaders', () => {
      const { tracker, summary } = held()
      tracker.requestWillBeSent(willBeSent('1', 'http://x/paused'), 'page')
      tracker.decided('1', 'http://x/paused', { sent: false })
      tracker.loadingFailed(failed('1', 'net::ERR_BLOCKED_BY_CLIENT.Inspector'))
      expect(summary()).toEqual(['errorOccurred 1 http://x/paused'])
    })

    it('no decision (e.g. a memory-cache hit never pauses): sendHeaders still comes first', () => {
      const { tracker, summary } = held()
      tracker.requestWillBeSent(willBeSent('1', 'http://x/paused'), 'page')
      tracker.requestWillBeSent(willBeSent('1', 'http://x/paused2', { redirectResponse: response(302) }), 'page')
      tracker.responseReceived(received('1', response(200)))
      tracker.loadingFinished(finished('1'))
      expect(summary()).toEqual([
        'sendHeaders 1 http://x/paused',
        'beforeRedirect 1 http://x/paused',
        'sendHeaders 1 http://x/paused2',
        'responseStarted 1 http://x/paused2',
        'completed 1 http://x/paused2',
      ])
    })

    it('hops that will not pause are reported at once', () => {
      const { tracker, summary } = held()
      tracker.requestWillBeSent(willBeSent('1', 'http://x/free'), 'page')
      expect(summary()).toEqual(['sendHeaders 1 http://x/free'])
    })
  })

  describe('Fetch and Network out of order', () => {
    it('a pause decided before Network reported the request starts it (POST fetches); the late report is a duplicate', () => {
      const { tracker, summary, events } = record()
      const request = { url: 'http://x/p', method: 'POST', resourceType: 'Fetch' as const, frameId: 'F', referrer: '', timestamp: 1, headers: { A: '1' }, postDataEntries: undefined }
      tracker.decided('1', 'http://x/p', { sent: { A: '1', B: '2' } }, { request, context: 'page' })
      tracker.requestWillBeSent(willBeSent('1', 'http://x/p'), 'page')
      tracker.responseReceived(received('1', response(200)))
      tracker.loadingFinished(finished('1'))
      expect(summary()).toEqual(['sendHeaders 1 http://x/p', 'responseStarted 1 http://x/p', 'completed 1 http://x/p'])
      expect(events[0]?.request.headers).toEqual({ A: '1', B: '2' })
    })

    it('untilHop waits for Network\'s report of the redirect, or the end of the request', async () => {
      const { tracker } = record()
      tracker.requestWillBeSent(willBeSent('1', 'http://x/a'), 'page')
      expect(tracker.untilHop('1', 'http://x/a')).toBeUndefined()
      expect(tracker.untilHop('2', 'http://x/a')).toBeUndefined()
      let reported = false
      const wait = tracker.untilHop('1', 'http://x/b')!.then(() => (reported = true))
      await Promise.resolve()
      expect(reported).toBe(false)
      tracker.requestWillBeSent(willBeSent('1', 'http://x/b', { redirectResponse: response(302) }), 'page')
      await wait
      expect(reported).toBe(true)
      const ended = tracker.untilHop('1', 'http://x/c')!
      tracker.loadingFailed(failed('1', 'net::ERR_FAILED'))
      await ended
    })

    it('a request a hook cancelled fails as net::ERR_BLOCKED_BY_CLIENT even when the loader says aborted', () => {
      const { tracker, events } = record()
      tracker.requestWillBeSent(willBeSent('1', 'http://x/w.js', { type: 'Script' }), 'page')
      tracker.decided('1', 'http://x/w.js', { sent: false, blocked: true })
      tracker.loadingFailed(failed('1', 'net::ERR_ABORTED', true))
      tracker.requestWillBeSent(willBeSent('2', 'http://x/h'), 'page')
      tracker.blocked('2')
      tracker.loadingFailed(failed('2', 'net::ERR_ABORTED', true))
      expect(events.filter((e) => e.type === 'errorOccurred').map((e) => (e as { error: string }).error)).toEqual(['net::ERR_BLOCKED_BY_CLIENT', 'net::ERR_BLOCKED_BY_CLIENT'])
    })

    it('a worker script: a hook\'s redirect is reported by us; the response from the worker\'s target names the final URL', () => {
      const { tracker, summary } = record()
      tracker.requestWillBeSent(willBeSent('1', 'http://x/from.js', { type: 'Script' }), 'page')
      expect(tracker.resourceTypeOf('1')).toBe('Script')
      tracker.redirectedByHook('1', 'http://x/from.js', 'http://x/to.js', { statusCode: 307, statusLine: 'HTTP/1.1 307 Internal Redirect', headers: {}, fromCache: false, ip: undefined })
      tracker.responseReceived(received('1', response(200, { url: 'http://x/final.js' })), 'worker')
      tracker.loadingFinished(finished('1'))
      expect(summary()).toEqual([
        'sendHeaders 1 http://x/from.js',
        'beforeRedirect 1 http://x/from.js',
        'sendHeaders 1 http://x/to.js',
        'responseStarted 1 http://x/final.js',
        'completed 1 http://x/final.js',
      ])
    })
  })
})
