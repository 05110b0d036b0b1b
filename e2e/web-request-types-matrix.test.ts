// webRequest filters by `types` over every kind of request a session makes (the webRequest matrix's
// kinds, e2e/fixtures/web-request-kinds.ts): a deciding hook filtered to the kind's own type sees and
// cancels its request; one filtered to every other type never sees it, and the request is answered.
// The observers filtered the same way agree.
import type { WebRequestResourceType } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'
import { KINDS, serveMatrix, targetUrl } from './fixtures/web-request-kinds.js'

const CELL = { timeout: 20_000 }
const TYPES: WebRequestResourceType[] = ['mainFrame', 'subFrame', 'stylesheet', 'script', 'image', 'font', 'object', 'xhr', 'ping', 'cspReport', 'media', 'webSocket', 'other']

describe('webRequest `types` filters over every request kind', () => {
  for (const kind of KINDS) {
    describe(kind.name, () => {
      test(`types: ['${kind.resourceType}'] sees and cancels it; every other type lets it through unseen`, CELL, async ({ session, server }) => {
        serveMatrix(server)
        const wc = await kind.open(session, server)
        const seen: string[] = []
        const completed: string[] = []
        const others = TYPES.filter((t) => t !== kind.resourceType)
        session.webRequest.onBeforeRequest({ urls: ['*://*/m/t/*'], types: others }, (details, callback) => {
          seen.push(`other ${details.resourceType}`)
          callback({ cancel: true })
        })
        session.webRequest.onCompleted({ urls: ['*://*/m/t/*'], types: others }, (details) => completed.push(details.url))
        const passUrl = targetUrl(kind, server, 'pass')
        expect((await kind.run(wc, passUrl)).ok).toBe(true)
        expect(seen).toEqual([])

        session.webRequest.onBeforeRequest({ urls: ['*://*/m/t/*'], types: [kind.resourceType] }, (details, callback) => {
          seen.push(`own ${details.resourceType}`)
          callback({ cancel: true })
        })
        expect((await kind.run(wc, targetUrl(kind, server, 'cancel'), false)).ok).toBe(false)
        expect(seen).toEqual([`own ${kind.resourceType}`])
        expect(server.requestCount('/m/t/cancel')).toBe(0)
        expect(completed).toEqual([])
      })
    })
  }

  // Fetch reports every worker's main script as 'Other'; Electron calls it 'script'.
  test("types: ['script'] sees the dedicated, shared and service workers' own scripts", CELL, async ({ session, server }) => {
    serveMatrix(server)
    const seen: string[] = []
    session.webRequest.onBeforeRequest({ urls: ['*://*/m/*'], types: ['script'] }, (details, callback) => {
      seen.push(new URL(details.url).pathname)
      callback({})
    })
    const wc = await session.createWebContents()
    await wc.loadURL(`${server.origin}/m/host.html`)
    await wc.executeJavaScript('Promise.all([window.setup.worker(), window.setup.shared(), window.setup.sw()])')
    expect(seen.sort()).toEqual(['/m/fetch-worker.js', '/m/shared-worker.js', '/m/sw.js'])
  })
})
