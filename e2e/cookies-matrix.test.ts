// ses.cookies over every kind of request a session makes (the webRequest matrix's kinds,
// e2e/fixtures/web-request-kinds.ts): a cookie written with ses.cookies.set before the page is sent
// with the kind's request, and a Set-Cookie of the kind's response lands in the session's store
// with a 'changed' event. The cross-site kinds (a b.test frame in an a.test page) follow
// Chromium's SameSite=Lax default, Electron's too: such a cookie is neither sent nor stored there.
import type { Cookie } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'
import { KINDS, receivedFor, serveMatrix, targetUrl } from './fixtures/web-request-kinds.js'

const CELL = { timeout: 20_000 }

describe('ses.cookies over every request kind', () => {
  for (const kind of KINDS) {
    describe(kind.name, () => {
      test(kind.crossSite ? 'a Lax cookie set with ses.cookies.set is not sent from the cross-site frame' : 'a cookie set with ses.cookies.set before the page is sent with the request', CELL, async ({ session, server }) => {
        serveMatrix(server)
        const url = targetUrl(kind, server, 'pass')
        await session.cookies.set({ url: new URL(url).origin, name: 'matrix', value: 'sent', sameSite: 'lax' })
        const wc = await kind.open(session, server)
        expect((await kind.run(wc, url)).ok).toBe(true)
        const cookie = receivedFor(server, url).headers.cookie ?? ''
        if (kind.crossSite) expect(cookie).not.toContain('matrix=sent')
        else expect(cookie).toContain('matrix=sent')
      })

      test(kind.crossSite ? "a Lax cookie of the cross-site frame's response is not stored" : "a Set-Cookie of the response reaches the session's store with a 'changed' event", CELL, async ({ session, server }) => {
        serveMatrix(server)
        const name = `set_${kind.name.replace(/\W+/g, '_')}`
        const changes: string[] = []
        let stored!: (cookie: Cookie) => void
        const changed = new Promise<Cookie>((resolve) => (stored = resolve))
        session.cookies.on('changed', (_event, cookie, cause, removed) => {
          if (cookie.name !== name) return
          changes.push(`${cookie.value} ${cause} ${removed ? 'removed' : 'added'}`)
          if (!removed) stored(cookie)
        })
        const wc = await kind.open(session, server)
        const url = `${targetUrl(kind, server, 'pass')}&c=${name}`
        expect((await kind.run(wc, url)).ok).toBe(true)
        expect(receivedFor(server, url)).toBeDefined()
        if (kind.crossSite) {
          // No event can prove a negative by waiting; the store is read after the response arrived.
          expect(await session.cookies.get({ name })).toEqual([])
          return
        }
        expect((await changed).value).toBe('from-response')
        expect(changes).toEqual(['from-response explicit added'])
        expect((await session.cookies.get({ name })).map((c) => [c.value, c.domain, c.path])).toEqual([['from-response', new URL(url).hostname, '/']])
      })
    })
  }
})
