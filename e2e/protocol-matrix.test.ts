// ses.protocol's interception of http over every kind of request a session makes (the webRequest
// matrix's kinds, e2e/fixtures/web-request-kinds.ts): a handler set before the page exists and one
// set after, removed and set again, and a handler beside a webRequest hook. A target answered by
// the handler carries the handler's marker and never reaches the server; everything else the
// handler passes on by fetching it from the test server itself, as an app's handler would.
import type { ProtocolRequest, Session } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'
import { KINDS, serveMatrix, targetBody, targetUrl, type Body, type Outcome, type RequestKind } from './fixtures/web-request-kinds.js'
import type { TestServer } from './fixtures/server.js'

const CELL = { timeout: 20_000 }

type Respond = (response: unknown) => void

/** The kind's body with `marker` as its text, as a buffer-protocol answer. */
function answer(kind: RequestKind, marker: string): object {
  const { contentType, payload } = targetBody(marker, kind.body as Body)
  return { statusCode: 200, mimeType: contentType, headers: { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' }, data: Buffer.from(payload) }
}

/** Fetches a request that is not a target from the test server (every *.test name is 127.0.0.1 there). */
async function passOn(server: TestServer, request: ProtocolRequest, callback: Respond): Promise<void> {
  const url = new URL(request.url)
  const response = await fetch(`${server.origin}${url.pathname}${url.search}`, { method: request.method })
  const type = response.headers.get('content-type') ?? 'application/octet-stream'
  callback({ statusCode: response.status, mimeType: type.split(';')[0], data: Buffer.from(await response.arrayBuffer()) })
}

/** Intercepts http: targets get `marker` (recorded in `served`), anything else is passed on. */
function intercept(session: Session, server: TestServer, kind: RequestKind, marker: string, served: string[]): Promise<void> {
  return new Promise<void>((resolve) => {
    session.protocol.interceptBufferProtocol(
      'http',
      (request, callback) => {
        if (!new URL(request.url).pathname.startsWith('/m/t/')) {
          passOn(server, request, callback).catch(() => callback({ error: -2 }))
          return
        }
        served.push(`${marker} ${new URL(request.url).pathname}`)
        callback(answer(kind, marker))
      },
      () => resolve(),
    )
  })
}

/** The same with newer Electron's protocol.handle: a Response, and a fetch() for what is passed on. */
function handle(session: Session, server: TestServer, kind: RequestKind, marker: string, served: string[]): Promise<void> {
  session.protocol.handle('http', async (request) => {
    const url = new URL(request.url)
    if (!url.pathname.startsWith('/m/t/')) return fetch(`${server.origin}${url.pathname}${url.search}`, { method: request.method })
    served.push(`${marker} ${url.pathname}`)
    const { contentType, payload } = targetBody(marker, kind.body as Body)
    return new Response(typeof payload === 'string' ? payload : new Uint8Array(payload), { status: 200, headers: { 'Content-Type': contentType, 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' } })
  })
  // No completion callback: loadURL, createWebContents and executeJavaScript wait for the change.
  return Promise.resolve()
}

const APIS = [
  { name: 'interceptBufferProtocol', set: intercept, remove: (session: Session) => session.protocol.uninterceptProtocol('http') },
  {
    name: 'handle',
    set: handle,
    remove: (session: Session) => {
      session.protocol.unhandle('http')
      return true
    },
  },
]

/** What the page sees of a target its handler answered with `marker`. */
const handled = (kind: RequestKind, marker: string): Partial<Outcome> => (kind.body === 'img' ? { ok: true } : { ok: true, marker })

for (const api of APIS) describe(`ses.protocol matrix: ${api.name}('http') over every request kind`, () => {
  for (const kind of KINDS) {
    describe(kind.name, () => {
      test('set before the page exists: the handler answers, the server sees nothing; uninterceptProtocol restores the server', CELL, async ({ session, server }) => {
        serveMatrix(server)
        const served: string[] = []
        await api.set(session, server, kind, 'handled', served)
        const wc = await kind.open(session, server)
        const first = targetUrl(kind, server, 'pass')
        expect(await kind.run(wc, first)).toMatchObject(handled(kind, 'handled'))
        expect(served).toEqual(['handled /m/t/pass'])
        expect(server.requestCount('/m/t/pass')).toBe(0)

        // Takes effect a moment later; executeJavaScript and loadURL wait for it.
        expect(api.remove(session)).toBe(true)
        expect(await kind.run(wc, targetUrl(kind, server, 'pass'))).toMatchObject(handled(kind, 'pass'))
        expect(server.requestCount('/m/t/pass')).toBe(1)
        expect(served).toHaveLength(1)
      })

      test('set after the page exists, removed, then set again: each state applies to the next request', CELL, async ({ session, server }) => {
        serveMatrix(server)
        const wc = await kind.open(session, server)
        const served: string[] = []
        await api.set(session, server, kind, 'first', served)
        expect(await kind.run(wc, targetUrl(kind, server, 'pass'))).toMatchObject(handled(kind, 'first'))
        api.remove(session)
        expect(await kind.run(wc, targetUrl(kind, server, 'pass'))).toMatchObject(handled(kind, 'pass'))
        await api.set(session, server, kind, 'second', served)
        expect(await kind.run(wc, targetUrl(kind, server, 'pass'))).toMatchObject(handled(kind, 'second'))
        expect(served).toEqual(['first /m/t/pass', 'second /m/t/pass'])
        expect(server.requestCount('/m/t/pass')).toBe(1)
      })

      test('beside a webRequest hook: onBeforeRequest sees the request first, a cancel never reaches the handler', CELL, async ({ session, server }) => {
        serveMatrix(server)
        const order: string[] = []
        session.webRequest.onBeforeRequest({ urls: ['*://*/m/t/*'] }, (details, callback) => {
          order.push(`onBeforeRequest ${new URL(details.url).pathname}`)
          callback(details.url.includes('/m/t/cancel') ? { cancel: true } : {})
        })
        const served: string[] = []
        await api.set(session, server, kind, 'handled', served)
        const wc = await kind.open(session, server)
        expect(await kind.run(wc, targetUrl(kind, server, 'pass'))).toMatchObject(handled(kind, 'handled'))
        expect((await kind.run(wc, targetUrl(kind, server, 'cancel'), false)).ok).toBe(false)
        expect(order).toEqual(['onBeforeRequest /m/t/pass', 'onBeforeRequest /m/t/cancel'])
        expect(served).toEqual(['handled /m/t/pass'])
        expect(server.requestCount('/m/t/cancel')).toBe(0)
      })
    })
  }
})
