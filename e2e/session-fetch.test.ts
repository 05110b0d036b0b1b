// ses.fetch(input, init): a request made as the session (newer Electron). What the server receives
// (cookies, user agent, languages, method, body, headers), what the caller gets (a standard
// Response: status, headers, decoded body, url, redirected), redirects as fetch() follows them,
// cookies stored from responses, the session's proxy route, and Electron's errors.
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll } from 'vitest'
import { NotSupportedError } from 'cdp-session'
import { closedPort, describe, expect, test } from './fixtures/test.js'
import { startHttpProxy, type TestProxy } from './fixtures/server.js'

let proxy: TestProxy
beforeAll(async () => {
  proxy = await startHttpProxy()
})
afterAll(async () => {
  await proxy.close()
})

describe('ses.fetch', () => {
  test("sends the session's cookies, user agent and languages; credentials: 'omit' sends no cookie; another session's cookies stay out", async ({ browser, session, server }) => {
    server.setContent('/f/hello.txt', 'hello from the server', 'text/plain')
    session.setUserAgent('fetch-agent/1.0', 'de-CH,de')
    await session.cookies.set({ url: server.origin, name: 'mine', value: 'yes' })
    const other = browser.session.fromPartition(`other-${Date.now()}`)
    await other.cookies.set({ url: server.origin, name: 'theirs', value: 'no' })

    const response = await session.fetch(server.url('/f/hello.txt?1'))
    expect(response).toBeInstanceOf(Response)
    expect(response.status).toBe(200)
    expect(response.ok).toBe(true)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await response.text()).toBe('hello from the server')
    const [first] = server.requests.filter((r) => r.url.endsWith('?1'))
    expect(first?.headers).toMatchObject({ cookie: 'mine=yes', 'user-agent': 'fetch-agent/1.0' })
    expect(first?.headers['accept-language']).toMatch(/^de-CH,de;q=0\.9$/)

    await session.fetch(server.url('/f/hello.txt?2'), { credentials: 'omit' }).then((r) => r.arrayBuffer())
    expect(server.requests.find((r) => r.url.endsWith('?2'))?.headers.cookie).toBeUndefined()
    await other.close()
  })

  test('a Set-Cookie of the response is stored in the session: the next fetch and a page of the session have it', async ({ session, server }) => {
    server.setRoute('/f/login', (_req, res) => {
      res.writeHead(200, { 'Set-Cookie': ['token=abc; Path=/', 'theme=dark; Path=/; Max-Age=3600'], 'Content-Length': '2' })
      res.end('ok')
    })
    server.setContent('/f/page.html', '<!doctype html><title>p</title>')
    expect((await session.fetch(server.url('/f/login'))).status).toBe(200)
    expect((await session.cookies.get({ url: server.origin })).map((c) => `${c.name}=${c.value}`).sort()).toEqual(['theme=dark', 'token=abc'])
    await session.fetch(server.url('/f/page.html?again')).then((r) => r.text())
    expect(server.requests.find((r) => r.url.endsWith('?again'))?.headers.cookie).toBe('token=abc; theme=dark')
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/f/page.html'))
    expect(await wc.executeJavaScript('document.cookie')).toBe('token=abc; theme=dark')
  })

  test('POST with a body and headers; a 303 turns it into a GET, a 307 keeps it; url and redirected tell the last hop', async ({ session, server }) => {
    server.setRoute('/f/echo', (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const text = `${req.method} ${req.headers['x-mine'] ?? '-'} ${req.headers['content-type'] ?? '-'} ${Buffer.concat(chunks).toString()}`
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(text)) })
        res.end(text)
      })
    })
    const redirect = (status: number) => (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(status, { Location: '/f/echo', 'Content-Length': '0' })
      res.end()
    }
    server.setRoute('/f/see-other', redirect(303))
    server.setRoute('/f/temporary', redirect(307))
    const post = { method: 'POST', body: 'payload', headers: { 'X-Mine': 'mine', 'Content-Type': 'text/plain' } }
    const direct = await session.fetch(server.url('/f/echo'), post)
    expect(await direct.text()).toBe('POST mine text/plain payload')
    expect(direct.redirected).toBe(false)
    const seeOther = await session.fetch(server.url('/f/see-other'), post)
    expect(await seeOther.text()).toBe('GET mine - ')
    expect(seeOther.url).toBe(server.url('/f/echo'))
    expect(seeOther.redirected).toBe(true)
    expect(await (await session.fetch(server.url('/f/temporary'), post)).text()).toBe('POST mine text/plain payload')
  })

  test("redirect: 'manual' gives the 3xx itself; 'error' rejects with Electron's message", async ({ session, server }) => {
    server.setRoute('/f/moved', (_req, res) => {
      res.writeHead(302, { Location: '/f/elsewhere', 'Content-Length': '0' })
      res.end()
    })
    const manual = await session.fetch(server.url('/f/moved'), { redirect: 'manual' })
    expect(manual.status).toBe(302)
    expect(manual.headers.get('location')).toBe('/f/elsewhere')
    await expect(session.fetch(server.url('/f/moved'), { redirect: 'error' })).rejects.toThrow("Attempted to redirect, but redirect policy was 'error'")
    expect(server.requestCount('/f/elsewhere')).toBe(0)
  })

  test('a gzip body is decoded; HEAD and 204 have no body; no CORS check applies', async ({ session, server }) => {
    const text = 'compressed '.repeat(200)
    server.setRoute('/f/gz', (_req, res) => {
      const body = gzipSync(text)
      res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Type': 'text/plain', 'Content-Length': String(body.length) })
      res.end(body)
    })
    server.setRoute('/f/empty', (_req, res) => {
      res.writeHead(204)
      res.end()
    })
    expect(server.requests.filter((r) => r.path === '/f/gz')).toHaveLength(0)
    expect(await (await session.fetch(server.url('/f/gz'))).text()).toBe(text)
    expect(server.requests.find((r) => r.path === '/f/gz')?.headers['accept-encoding']).toContain('gzip')
    const head = await session.fetch(server.url('/f/gz'), { method: 'HEAD' })
    expect([head.status, head.body]).toEqual([200, null])
    const empty = await session.fetch(server.url('/f/empty'))
    expect([empty.status, empty.body]).toEqual([204, null])
    // The server sends no Access-Control-Allow-Origin: a page's cross-origin fetch() would fail.
    expect((await session.fetch(`http://a.test:${server.port}/f/gz`)).status).toBe(200)
  })

  test("goes through the session's proxy, switched live", async ({ session, server }) => {
    proxy.reset()
    server.setContent('/f/routed.txt', 'routed', 'text/plain')
    await session.setProxy({ proxyRules: `127.0.0.1:${proxy.port}`, proxyBypassRules: '<-loopback>' })
    expect(await (await session.fetch(server.url('/f/routed.txt?via'))).text()).toBe('routed')
    await session.setProxy({ mode: 'direct' })
    expect(await (await session.fetch(server.url('/f/routed.txt?direct'))).text()).toBe('routed')
    expect(proxy.requests.map((r) => r.target)).toEqual([server.url('/f/routed.txt?via')])
  })

  // Limit: Node sends it, so the session's Chromium-side hooks never see it (docs/feature-matrix.md).
  test('webRequest hooks and protocol handlers do not see it (limit)', async ({ session, server }) => {
    server.setContent('/f/plain.txt', 'plain', 'text/plain')
    const seen: string[] = []
    session.webRequest.onBeforeRequest((details, callback) => {
      seen.push(details.url)
      callback({})
    })
    session.protocol.interceptStringProtocol('http', (request, callback) => {
      seen.push(`handler ${request.url}`)
      callback({ mimeType: 'text/plain', data: 'intercepted' })
    })
    expect(await (await session.fetch(server.url('/f/plain.txt'))).text()).toBe('plain')
    expect(seen).toEqual([])
  })

  test("failures: a refused connection rejects with net::ERR_CONNECTION_REFUSED; a bad URL is fetch's TypeError; other schemes are NotSupportedError; an abort rejects", async ({ session, server }) => {
    await expect(session.fetch(`http://127.0.0.1:${await closedPort()}/`)).rejects.toThrow(/^net::ERR_CONNECTION_REFUSED$/)
    await expect(session.fetch('not a url')).rejects.toThrow(TypeError)
    await expect(session.fetch('file:///etc/hostname')).rejects.toThrow(NotSupportedError)
    server.setRoute('/f/slow', () => undefined)
    const controller = new AbortController()
    const pending = session.fetch(server.url('/f/slow'), { signal: controller.signal })
    await server.waitForRequest('/f/slow')
    controller.abort()
    await expect(pending).rejects.toThrow(/abort/i)
  })
})
