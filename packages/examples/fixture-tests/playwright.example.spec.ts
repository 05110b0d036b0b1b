// A user's @playwright/test spec with cdp-session's shipped fixtures (`cdpBrowser` per worker, a
// fresh `session` and `cdpPage` per test). CI runs it (packages/examples/test/fixtures.test.ts).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, test } from 'cdp-session/playwright-test'

let server: Server
let origin: string

test.beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'text/html')
    res.end(`<title>${req.url}</title><script>localStorage.setItem('seen', String(Number(localStorage.getItem('seen') ?? 0) + 1))</script>`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
test.afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

test('a page of a fresh session loads and counts its own visit', async ({ cdpPage }) => {
  await cdpPage.loadURL(`${origin}/a`)
  expect(await cdpPage.executeJavaScript('[document.title, localStorage.getItem("seen")]')).toEqual(['/a', '1'])
})

test('the next test starts with empty storage again', async ({ cdpPage, session }) => {
  await cdpPage.loadURL(`${origin}/b`)
  expect(await cdpPage.executeJavaScript('localStorage.getItem("seen")')).toBe('1')
  expect(session.getAllWebContents()).toEqual([cdpPage])
})
