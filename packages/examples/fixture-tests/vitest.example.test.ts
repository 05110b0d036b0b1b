// A user's vitest test with cdp-session's shipped fixtures: `browser` per worker, a fresh
// `session` and `page` per test. CI runs this file (packages/examples/test/fixtures.test.ts).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll } from 'vitest'
import { describe, expect, test } from 'cdp-session/vitest'

let server: Server
let origin: string

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'text/html')
    if (req.url === '/login') res.setHeader('set-cookie', 'user=ada; Path=/')
    res.end(`<title>${req.url}</title><p>cookie: ${req.headers.cookie ?? 'none'}</p>`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('cdp-session/vitest fixtures', () => {
  test('a page of a fresh session loads a page and keeps its cookie', async ({ session, page }) => {
    await page.loadURL(`${origin}/login`)
    expect(await page.executeJavaScript('document.title')).toBe('/login')
    expect((await session.cookies.get({ url: origin })).map((c) => `${c.name}=${c.value}`)).toEqual(['user=ada'])
  })

  test('the next test gets a new session: nothing of the previous one is left', async ({ browser, session, page }) => {
    await page.loadURL(`${origin}/home`)
    expect(await page.executeJavaScript('document.body.textContent')).toBe('cookie: none')
    expect(await session.cookies.get({})).toEqual([])
    expect(page.session).toBe(session)
    expect(browser.webContents.fromId(page.id)).toBe(page)
  })
})
