// ses.setProxy over every kind of request a session makes (the webRequest matrix's kinds,
// e2e/fixtures/web-request-kinds.ts): a proxy set before the page exists, one switched on while it
// is open, switched back to direct and on again, and a proxy beside a webRequest hook. The
// recording proxy tells which requests it carried. `<-loopback>` takes away Chromium's implicit
// bypass of loopback, so the test server's own 127.0.0.1 requests go through the proxy too.
import { afterAll, beforeAll } from 'vitest'
import { describe, expect, test } from './fixtures/test.js'
import { startHttpProxy, type TestProxy } from './fixtures/server.js'
import { KINDS, serveMatrix, targetUrl, type Outcome, type RequestKind } from './fixtures/web-request-kinds.js'

const CELL = { timeout: 20_000 }

let proxy: TestProxy

beforeAll(async () => {
  proxy = await startHttpProxy()
  proxy.mapHost('a.test', '127.0.0.1')
  proxy.mapHost('b.test', '127.0.0.1')
})
afterAll(async () => {
  await proxy.close()
})

const viaProxy = () => ({ proxyRules: `127.0.0.1:${proxy.port}`, proxyBypassRules: '<-loopback>' })
/** Whether the proxy carried `url` (an http request's absolute URL). */
const carried = (url: string): boolean => proxy.requests.some((r) => r.target === url && r.refused === undefined)
const answered = (kind: RequestKind): Partial<Outcome> => (kind.body === 'img' ? { ok: true } : { ok: true, marker: 'pass' })

describe('ses.setProxy over every request kind', () => {
  for (const kind of KINDS) {
    describe(kind.name, () => {
      test('set before the page exists: the page and its request go through the proxy', CELL, async ({ session, server }) => {
        serveMatrix(server)
        await session.setProxy(viaProxy())
        const wc = await kind.open(session, server)
        expect(carried(wc.getURL())).toBe(true)
        const url = targetUrl(kind, server, 'pass')
        expect(await kind.run(wc, url)).toMatchObject(answered(kind))
        expect(carried(url)).toBe(true)
      })

      test('switched on while the page is open, back to direct, on again: each applies to the next request', CELL, async ({ session, server }) => {
        serveMatrix(server)
        const wc = await kind.open(session, server)
        const urls = [targetUrl(kind, server, 'pass'), targetUrl(kind, server, 'pass'), targetUrl(kind, server, 'pass')]
        await session.setProxy(viaProxy())
        expect(await kind.run(wc, urls[0]!)).toMatchObject(answered(kind))
        await session.setProxy({ mode: 'direct' })
        expect(await kind.run(wc, urls[1]!)).toMatchObject(answered(kind))
        await session.setProxy(viaProxy())
        expect(await kind.run(wc, urls[2]!)).toMatchObject(answered(kind))
        expect(urls.map(carried)).toEqual([true, false, true])
        expect(server.requestCount('/m/t/pass')).toBe(3)
      })

      test('beside a webRequest hook: a redirectURL of the hook is fetched through the proxy', CELL, async ({ session, server }) => {
        serveMatrix(server)
        const redirected: string[] = []
        session.webRequest.onBeforeRequest({ urls: ['*://*/m/t/from*'] }, (details, callback) => {
          const to = details.url.replace('/m/t/from', '/m/t/pass')
          redirected.push(to)
          callback({ redirectURL: to })
        })
        const wc = await kind.open(session, server)
        await session.setProxy(viaProxy())
        expect(await kind.run(wc, targetUrl(kind, server, 'from'))).toMatchObject(answered(kind))
        expect(redirected).toHaveLength(1)
        expect(carried(redirected[0]!)).toBe(true)
      })
    })
  }
})
