import { describe, expect, it } from 'vitest'
import { HopUrls } from '../src/electron/cookie-writes.js'

// Event sequences as Chromium sent them for /r1/hop → 302 → /r2/hop → 302 →
// /final → 200 (measured on Chromium: the headers event of a hop comes either
// before or after the next hop's requestWillBeSent).
const ORIGIN = 'http://127.0.0.1:8000'
const ID = 'req-1'

function request(hops: HopUrls, url: string, redirectedFrom?: { url: string; status: number }): void {
  hops.request({
    requestId: ID,
    request: { url } as never,
    ...(redirectedFrom ? { redirectResponse: redirectedFrom as never } : {}),
  })
}

function headers(hops: HopUrls, statusCode: number, location?: string, requestId = ID): string | undefined {
  return hops.urlOf({ requestId, statusCode, headers: location === undefined ? {} : { Location: location } })
}

describe('HopUrls: the url of the hop each Set-Cookie came from', () => {
  it('headers before the next hop is requested', () => {
    const hops = new HopUrls()
    request(hops, `${ORIGIN}/r1/hop`)
    expect(headers(hops, 302, '/r2/hop')).toBe(`${ORIGIN}/r1/hop`)
    request(hops, `${ORIGIN}/r2/hop`, { url: `${ORIGIN}/r1/hop`, status: 302 })
    expect(headers(hops, 302, '/final')).toBe(`${ORIGIN}/r2/hop`)
    request(hops, `${ORIGIN}/final`, { url: `${ORIGIN}/r2/hop`, status: 302 })
    expect(headers(hops, 200)).toBe(`${ORIGIN}/final`)
  })

  it('headers after the next hop is requested', () => {
    const hops = new HopUrls()
    request(hops, `${ORIGIN}/r1/hop`)
    request(hops, `${ORIGIN}/r2/hop`, { url: `${ORIGIN}/r1/hop`, status: 302 })
    expect(headers(hops, 302, '/r2/hop')).toBe(`${ORIGIN}/r1/hop`)
    request(hops, `${ORIGIN}/final`, { url: `${ORIGIN}/r2/hop`, status: 302 })
    expect(headers(hops, 302, '/final')).toBe(`${ORIGIN}/r2/hop`)
    expect(headers(hops, 200)).toBe(`${ORIGIN}/final`)
  })

  it("a hop's headers ahead of its own request: the previous hop's Location gives its url", () => {
    const hops = new HopUrls()
    request(hops, `${ORIGIN}/r1/hop`)
    expect(headers(hops, 302, '/r2/hop?x=1#frag')).toBe(`${ORIGIN}/r1/hop`)
    expect(headers(hops, 200)).toBe(`${ORIGIN}/r2/hop?x=1`)
  })

  it('an auth challenge and its answer are one hop', () => {
    const hops = new HopUrls()
    request(hops, `${ORIGIN}/r1/hop`)
    expect(headers(hops, 401)).toBe(`${ORIGIN}/r1/hop`)
    expect(headers(hops, 302, '/r2/hop')).toBe(`${ORIGIN}/r1/hop`)
    request(hops, `${ORIGIN}/r2/hop`, { url: `${ORIGIN}/r1/hop`, status: 302 })
    expect(headers(hops, 200)).toBe(`${ORIGIN}/r2/hop`)
  })

  it('a hop that sent no headers event (a redirect fulfilled through Fetch, as webRequest redirectURL is) is skipped', () => {
    // Measured order: /start is answered by our 307 (no headers event), /redir/set by the server's 302.
    const hops = new HopUrls()
    request(hops, `${ORIGIN}/start`)
    request(hops, `${ORIGIN}/redir/set`, { url: `${ORIGIN}/start`, status: 307 })
    expect(headers(hops, 302, '/empty.html')).toBe(`${ORIGIN}/redir/set`)
    request(hops, `${ORIGIN}/empty.html`, { url: `${ORIGIN}/redir/set`, status: 302 })
    expect(headers(hops, 200)).toBe(`${ORIGIN}/empty.html`)
    // Same statuses: the Location tells the hops apart.
    const same = new HopUrls()
    request(same, `${ORIGIN}/r1/hop`)
    request(same, `${ORIGIN}/r2/hop`, { url: `${ORIGIN}/r1/hop`, status: 302 })
    request(same, `${ORIGIN}/final`, { url: `${ORIGIN}/r2/hop`, status: 302 })
    expect(headers(same, 302, '/final')).toBe(`${ORIGIN}/r2/hop`)
    expect(headers(same, 200)).toBe(`${ORIGIN}/final`)
    // No Location: the status tells the hops apart.
    const status = new HopUrls()
    request(status, `${ORIGIN}/start`)
    request(status, `${ORIGIN}/final`, { url: `${ORIGIN}/start`, status: 307 })
    expect(headers(status, 200)).toBe(`${ORIGIN}/final`)
  })

  it('more headers events than hops make the request unsure', () => {
    const hops = new HopUrls()
    request(hops, `${ORIGIN}/final`)
    expect(headers(hops, 200)).toBe(`${ORIGIN}/final`)
    expect(headers(hops, 302, '/next')).toBeUndefined()
    // Once unsure, always: a later hop is not trusted either.
    request(hops, `${ORIGIN}/next`, { url: `${ORIGIN}/final`, status: 302 })
    expect(headers(hops, 200)).toBeUndefined()
  })

  it('a request seen only from a redirect on, or not at all, has no url', () => {
    const hops = new HopUrls()
    request(hops, `${ORIGIN}/r2/hop`, { url: `${ORIGIN}/r1/hop`, status: 302 })
    expect(headers(hops, 200)).toBeUndefined()
    expect(headers(hops, 200, undefined, 'never-seen')).toBeUndefined()
  })

  it('a redirect that is not from the last hop seen makes the request unsure', () => {
    const hops = new HopUrls()
    request(hops, `${ORIGIN}/r1/hop`)
    request(hops, `${ORIGIN}/final`, { url: `${ORIGIN}/elsewhere`, status: 302 })
    expect(headers(hops, 302, '/final')).toBeUndefined()
  })
})
