// ses.setUserAgent(ua, acceptLanguages) over every kind of request a session makes (the webRequest
// matrix's kinds, e2e/fixtures/web-request-kinds.ts): the User-Agent and Accept-Language headers the
// server receives for a page opened after the call, after a second call replaced the first, for a
// page opened before the call (it keeps the browser's user agent, as Electron's existing WebContents
// keep theirs; a popup it opens afterwards is a new WebContents), and beside a webRequest hook that
// changes another header.
import { describe, expect, test } from './fixtures/test.js'
import { KINDS, receivedFor, serveMatrix, targetUrl } from './fixtures/web-request-kinds.js'

const CELL = { timeout: 20_000 }

describe('ses.setUserAgent over every request kind', () => {
  for (const kind of KINDS) {
    describe(kind.name, () => {
      test('set before the page, then replaced: the request carries the second user agent and languages', CELL, async ({ session, server }) => {
        serveMatrix(server)
        session.setUserAgent('first-agent/1.0', 'de')
        session.setUserAgent('matrix-agent/2.0', 'fr-CA,fr')
        const wc = await kind.open(session, server)
        const url = targetUrl(kind, server, 'pass')
        expect((await kind.run(wc, url)).ok).toBe(true)
        const { headers } = receivedFor(server, url)
        expect(headers['user-agent']).toBe('matrix-agent/2.0')
        expect(headers['accept-language']).toMatch(/^fr-CA,fr(;|$)/)
        expect(session.getUserAgent()).toBe('matrix-agent/2.0')
      })

      // Electron: existing WebContents keep their user agent (their frames and workers too); a popup
      // opened afterwards is a new WebContents and gets the session's new one.
      test(kind.ofPage === 'opened' ? 'set after its opener exists: the popup, a new WebContents, gets the new user agent' : 'set after the page exists: the page keeps its user agent for this request', CELL, async ({ browser, session, server }) => {
        serveMatrix(server)
        const wc = await kind.open(session, server)
        session.setUserAgent('later-agent/1.0')
        const url = targetUrl(kind, server, 'pass')
        expect((await kind.run(wc, url)).ok).toBe(true)
        expect(receivedFor(server, url).headers['user-agent']).toBe(kind.ofPage === 'opened' ? 'later-agent/1.0' : browser.userAgent)
      })

      test('beside a webRequest hook that adds a header: both reach the server', CELL, async ({ session, server }) => {
        serveMatrix(server)
        session.setUserAgent('matrix-agent/3.0')
        session.webRequest.onBeforeSendHeaders({ urls: ['*://*/m/t/*'] }, (details, callback) => callback({ requestHeaders: { ...details.requestHeaders, 'X-Matrix': 'yes' } }))
        const wc = await kind.open(session, server)
        const url = targetUrl(kind, server, 'pass')
        expect((await kind.run(wc, url)).ok).toBe(true)
        const { headers } = receivedFor(server, url)
        expect(headers['user-agent']).toBe('matrix-agent/3.0')
        expect(headers['x-matrix']).toBe('yes')
      })
    })
  }
})
