// A user's node:test suite with cdp-session's helper: one browser for the suite, a fresh
// session (and page) per test. CI runs it (packages/examples/test/fixtures.test.ts).
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { useBrowser } from 'cdp-session/node-test'

void describe('cdp-session/node-test', () => {
  const cdp = useBrowser()
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/html')
    res.end(`<title>${req.headers['user-agent']?.includes('NodeTestBot') ? 'bot' : 'browser'}</title>`)
  })
  let origin = ''
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  void test('a session setting reaches its page', () =>
    cdp.withSession(async (session) => {
      session.setUserAgent('NodeTestBot/1.0')
      const page = await session.createWebContents()
      await page.loadURL(origin)
      assert.equal(await page.executeJavaScript('document.title'), 'bot')
    }))

  void test('the next session starts with the browser default again', () =>
    cdp.withPage(async (page, session) => {
      await page.loadURL(origin)
      assert.equal(await page.executeJavaScript('document.title'), 'browser')
      assert.notEqual(session.getUserAgent(), 'NodeTestBot/1.0')
    }))
})
