// Issue #13's four webRequest repros, as a new user writes them (each failed before its fix).
import type { BeforeRedirectDetails, ErrorOccurredDetails, SendHeadersDetails, WebRequestDetails } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'

const CELL_MS = 15_000
/**
 * The requests these tests make. A page's favicon request comes after its load, maybe after the
 * hooks are set (as in Electron, unfiltered hooks see it), so the hooks filter to the tests' own.
 */
const OURS = { urls: ['*://*/r/*'] }

describe('ses.webRequest repros (issue #13)', () => {
  test('onHeadersReceived adding a header to a document: the page loads, fetch sees it, the session keeps working', { timeout: CELL_MS }, async ({ session, server }) => {
    server.setContent('/r/doc.html', '<!doctype html><p>doc</p>')
    session.webRequest.onHeadersReceived((d, cb) => cb({ responseHeaders: { ...d.responseHeaders, Custom: ['Changed'] } }))
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/r/doc.html'))
    expect(await wc.executeJavaScript('document.body.textContent')).toBe('doc')
    expect(await wc.executeJavaScript(`fetch(location.href).then((r) => r.headers.get('custom'))`)).toBe('Changed')
    await wc.loadURL(server.url('/r/doc.html?again'))
    expect(await wc.executeJavaScript('location.search')).toBe('?again')
  })

  // Both failed on a page that existed before the hooks were set: the first request after
  // setting them escaped the hooks (patterns and Network tracking were still on their way).
  test('onBeforeRequest cancel: onErrorOccurred gets net::ERR_BLOCKED_BY_CLIENT', { timeout: CELL_MS }, async ({ session, server }) => {
    server.setContent('/r/page.html', '<!doctype html><p>page</p>')
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/r/page.html'))
    const errors: ErrorOccurredDetails[] = []
    session.webRequest.onBeforeRequest(OURS, (_d, cb) => cb({ cancel: true }))
    session.webRequest.onErrorOccurred(OURS, (d) => errors.push(d))
    expect(await wc.executeJavaScript(`fetch('/r/data.txt').then(() => 'loaded', () => 'blocked')`)).toBe('blocked')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ url: server.url('/r/data.txt'), error: 'net::ERR_BLOCKED_BY_CLIENT', resourceType: 'xhr', method: 'GET', webContentsId: wc.id, fromCache: false })
    await expect(wc.loadURL(server.url('/r/page.html?2'))).rejects.toThrow(/ERR_BLOCKED_BY_CLIENT/)
    expect(errors).toHaveLength(2)
    expect(errors[1]).toMatchObject({ url: server.url('/r/page.html?2'), error: 'net::ERR_BLOCKED_BY_CLIENT', resourceType: 'mainFrame', webContentsId: wc.id })
    expect(server.requestCount('/r/data.txt')).toBe(0)
  })

  test('onBeforeRequest redirectURL: onBeforeRedirect (307) then the hooks again with the same id', { timeout: CELL_MS }, async ({ session, server }) => {
    server.setContent('/r/page.html', '<!doctype html><p>page</p>')
    server.setContent('/r/to.txt', 'to', 'text/plain')
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/r/page.html'))
    const before: WebRequestDetails[] = []
    const redirects: BeforeRedirectDetails[] = []
    const completed: WebRequestDetails[] = []
    session.webRequest.onBeforeRequest(OURS, (d, cb) => {
      before.push(d)
      cb(d.url.includes('/r/from') ? { redirectURL: d.url.replace('/r/from', '/r/to') } : {})
    })
    session.webRequest.onBeforeRedirect(OURS, (d) => redirects.push(d))
    session.webRequest.onCompleted(OURS, (d) => completed.push(d))
    expect(await wc.executeJavaScript(`fetch('/r/from.txt').then((r) => r.text())`)).toBe('to')
    expect(before.map((d) => new URL(d.url).pathname)).toEqual(['/r/from.txt', '/r/to.txt'])
    expect(before[1]!.id).toBe(before[0]!.id)
    expect(redirects).toHaveLength(1)
    expect(redirects[0]).toMatchObject({ id: before[0]!.id, url: server.url('/r/from.txt'), redirectURL: server.url('/r/to.txt'), statusCode: 307, resourceType: 'xhr', webContentsId: wc.id })
    expect(completed.map((d) => [d.id, d.url])).toEqual([[before[0]!.id, server.url('/r/to.txt')]])
    expect(server.requestCount('/r/from.txt')).toBe(0)
  })

  test('onBeforeSendHeaders adding a header: onSendHeaders shows it as sent', { timeout: CELL_MS }, async ({ session, server }) => {
    server.setContent('/r/page.html', '<!doctype html><p>page</p>')
    const sent: SendHeadersDetails[] = []
    session.webRequest.onBeforeSendHeaders((d, cb) => cb({ requestHeaders: { ...d.requestHeaders, 'X-Added': 'yes' } }))
    session.webRequest.onSendHeaders(OURS, (d) => sent.push(d))
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/r/page.html'))
    expect(server.requests.find((r) => r.path === '/r/page.html')?.headers['x-added']).toBe('yes')
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ url: server.url('/r/page.html'), resourceType: 'mainFrame' })
    expect(sent[0]!.requestHeaders['X-Added']).toBe('yes')
  })
})
