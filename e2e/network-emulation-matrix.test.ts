// ses.enableNetworkEmulation({ offline }) over every kind of request a session makes (the webRequest
// matrix's kinds, e2e/fixtures/web-request-kinds.ts): set while the page is open, then removed, then
// set again; and beside a webRequest hook and a protocol handler. An offline request never reaches
// the server and the page sees a network error; once removed, the next one is answered.
import { describe, expect, test } from './fixtures/test.js'
import { KINDS, serveMatrix, targetUrl } from './fixtures/web-request-kinds.js'

const CELL = { timeout: 20_000 }

describe('ses.enableNetworkEmulation({ offline: true }) over every request kind', () => {
  for (const kind of KINDS) {
    describe(kind.name, () => {
      test('set while the page is open: its request fails and reaches no server; disabled: answered; set again: fails again', CELL, async ({ session, server }) => {
        serveMatrix(server)
        const wc = await kind.open(session, server)
        await session.enableNetworkEmulation({ offline: true })
        expect((await kind.run(wc, targetUrl(kind, server, 'pass'), false)).ok).toBe(false)
        expect(server.requestCount('/m/t/pass')).toBe(0)
        await session.disableNetworkEmulation()
        expect(await kind.run(wc, targetUrl(kind, server, 'pass'))).toMatchObject(kind.body === 'img' ? { ok: true } : { ok: true, marker: 'pass' })
        expect(server.requestCount('/m/t/pass')).toBe(1)
        await session.enableNetworkEmulation({ offline: true })
        expect((await kind.run(wc, targetUrl(kind, server, 'pass'), false)).ok).toBe(false)
        expect(server.requestCount('/m/t/pass')).toBe(1)
      })

      test('beside a webRequest hook: an offline request is reported to onErrorOccurred as ERR_INTERNET_DISCONNECTED (a dedicated worker script: ERR_ABORTED, limit)', CELL, async ({ session, server }) => {
        serveMatrix(server)
        const errors: string[] = []
        let reported!: () => void
        const seen = new Promise<void>((resolve) => (reported = resolve))
        session.webRequest.onBeforeRequest({ urls: ['*://*/m/t/*'] }, (_details, callback) => callback({}))
        session.webRequest.onErrorOccurred({ urls: ['*://*/m/t/*'] }, (details) => {
          errors.push(details.error)
          reported()
        })
        const wc = await kind.open(session, server)
        await session.enableNetworkEmulation({ offline: true })
        expect((await kind.run(wc, targetUrl(kind, server, 'pass'), false)).ok).toBe(false)
        await seen
        // A dedicated worker's script is fetched by the browser process; the page's Network domain,
        // the only one that hears of it, reports it aborted (feature matrix, webRequest gaps).
        expect(errors).toEqual([kind.name === 'dedicated worker script' ? 'net::ERR_ABORTED' : 'net::ERR_INTERNET_DISCONNECTED'])
        expect(server.requestCount('/m/t/pass')).toBe(0)
      })
    })
  }
})
