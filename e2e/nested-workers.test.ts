// A dedicated worker started by a dedicated worker (a nested worker) is a target of the session
// like its parent: it is attached paused and gets the session's settings before its script runs.
import { describe, expect, test } from './fixtures/test.js'
import type { TestServer } from './fixtures/server.js'
import { liveTargetsOf } from './fixtures/internals.js'

const OUTER = `const inner = new Worker('/nested/inner.js'); inner.onmessage = (e) => postMessage(e.data); onmessage = (e) => inner.postMessage(e.data)`
const INNER = String.raw`onmessage = async (event) => {
  let body
  try { body = await (await fetch('/nested/data?' + event.data, { cache: 'no-store' })).text() } catch (error) { body = 'failed' }
  postMessage({ ua: navigator.userAgent, notification: Notification.permission, query: (await navigator.permissions.query({ name: 'notifications' })).state, body })
}`

function serve(server: TestServer): void {
  server.setContent('/nested/page.html', '<!doctype html><title>nested</title>')
  server.setContent('/nested/outer.js', OUTER, 'text/javascript')
  server.setContent('/nested/inner.js', INNER, 'text/javascript')
  server.setContent('/nested/data', 'data ok', 'text/plain', { 'Cache-Control': 'no-store' })
}

describe('nested dedicated workers', () => {
  test('a worker’s own worker has the session’s user agent and permission check handler, and webRequest sees its fetch as its page’s', { timeout: 20_000 }, async ({ session, server }) => {
    serve(server)
    session.setUserAgent('NestedAgent/2.0')
    await session.setPermissionCheckHandler((_wc, permission) => permission !== 'notifications')
    const seen: Array<{ url: string; webContentsId: number | undefined }> = []
    session.webRequest.onBeforeRequest({ urls: ['*://*/nested/data*'] }, (details, callback) => {
      seen.push({ url: details.url, webContentsId: details.webContentsId })
      callback({})
    })
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/nested/page.html'))
    const answer = await wc.executeJavaScript(`new Promise((resolve) => { const w = new Worker('/nested/outer.js'); w.onmessage = (e) => resolve(e.data); w.postMessage('one') })`)
    expect(answer).toEqual({ ua: 'NestedAgent/2.0', notification: 'denied', query: 'denied', body: 'data ok' })
    expect(server.requests.find((r) => r.path === '/nested/data')?.headers['user-agent']).toBe('NestedAgent/2.0')
    expect(seen).toEqual([{ url: server.url('/nested/data?one'), webContentsId: wc.id }])
    const inner = (await liveTargetsOf(session)).find((t) => t.initialUrl.endsWith('/nested/inner.js'))
    expect(inner?.kind).toBe('worker')
    expect(inner?.parent?.kind).toBe('worker')
    expect(inner?.topPage?.targetId).toBe((await liveTargetsOf(session)).find((t) => t.kind === 'page')?.targetId)
  })
})
