// ses.protocol against real Chromium: custom schemes as far as Chromium routes them (subresources),
// interception of http/https/file, every response form, handle()/unhandle(), isolation between
// sessions, and the typed errors for bad input and for what Chromium cannot route.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { afterAll } from 'vitest'
import { NavigationError, NotSupportedError, ValidationError, type ProtocolRequest, type Session, type WebContents } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'

// 1×1 PNG
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
const dir = mkdtempSync(join(tmpdir(), 'cdp-session-protocol-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function pageAt(session: Session, url: string): Promise<WebContents> {
  const wc = await session.createWebContents()
  await wc.loadURL(url)
  return wc
}

/** 'load <naturalWidth>' or 'error' for an <img> of `url`. */
function loadImage(wc: WebContents, url: string): Promise<unknown> {
  return wc.executeJavaScript(`new Promise((resolve) => {
    const img = new Image()
    img.onload = () => resolve('load ' + img.naturalWidth)
    img.onerror = () => resolve('error')
    img.src = ${JSON.stringify(url)}
  })`)
}

/** 'load' or 'error' for a <script> of `url`; the script may set globals to check. */
function loadScript(wc: WebContents, url: string): Promise<unknown> {
  return wc.executeJavaScript(`new Promise((resolve) => {
    const s = document.createElement('script')
    s.onload = () => resolve('load')
    s.onerror = () => resolve('error')
    s.src = ${JSON.stringify(url)}
    document.head.append(s)
  })`)
}

/** fetch() from the page: status, chosen headers and text, or the error text. */
function pageFetch(wc: WebContents, url: string, init: object = {}): Promise<{ status: number; type: string | null; header: string | null; text: string; url: string } | string> {
  return wc.executeJavaScript(`fetch(${JSON.stringify(url)}, ${JSON.stringify(init)}).then(
    async (r) => ({ status: r.status, type: r.headers.get('content-type'), header: r.headers.get('x-test'), text: await r.text(), url: r.url }),
    (e) => String(e))`) as Promise<never>
}

describe('ses.protocol: custom schemes (subresources)', () => {
  test('registerBufferProtocol serves an <img>, registerStringProtocol a <script>, registerFileProtocol a stylesheet', async ({ session, server }) => {
    const css = join(dir, 'style.css')
    writeFileSync(css, 'body { color: rgb(1, 2, 3) }')
    const requests: ProtocolRequest[] = []
    expect(session.protocol.registerBufferProtocol('app-img', (request, callback) => {
      requests.push(request)
      callback({ mimeType: 'image/png', data: PNG })
    })).toBe(true)
    session.protocol.registerStringProtocol('app-js', (_request, callback) => callback({ mimeType: 'text/javascript', data: 'window.fromAppJs = 42' }))
    session.protocol.registerFileProtocol('app-css', (_request, callback) => callback(css))
    const wc = await pageAt(session, server.url('/'))

    expect(await loadImage(wc, 'app-img://host/pixel.png')).toBe('load 1')
    expect(await loadScript(wc, 'app-js://host/script.js')).toBe('load')
    expect(await wc.executeJavaScript('window.fromAppJs')).toBe(42)
    const color = await wc.executeJavaScript(`new Promise((resolve) => {
      const l = document.createElement('link'); l.rel = 'stylesheet'; l.href = 'app-css://host/style.css'
      l.onload = () => resolve(getComputedStyle(document.body).color); l.onerror = () => resolve('error')
      document.head.append(l)
    })`)
    expect(color).toBe('rgb(1, 2, 3)')

    expect(requests).toHaveLength(1)
    expect(requests[0]).toMatchObject({ url: 'app-img://host/pixel.png', method: 'GET', referrer: server.url('/') })
    expect(Object.keys(requests[0]!.headers).map((h) => h.toLowerCase())).toContain('accept')
  })

  test('a custom-scheme <img> of a same-process iframe (a frame with no target of its own) is served', async ({ session, server }) => {
    session.protocol.registerBufferProtocol('app-frame', (_request, callback) => callback({ mimeType: 'image/png', data: PNG }))
    const wc = await pageAt(session, server.url('/'))
    const result = await wc.executeJavaScript(`new Promise((resolve) => {
      const f = document.createElement('iframe'); f.src = '/empty.html'
      f.onload = () => {
        const img = f.contentDocument.createElement('img')
        img.onload = () => resolve('load ' + img.naturalWidth); img.onerror = () => resolve('error')
        img.src = 'app-frame://host/pixel.png'
        f.contentDocument.body.append(img)
      }
      document.body.append(f)
    })`)
    expect(result).toBe('load 1')
  })

  test('unregisterProtocol stops serving the scheme', async ({ session, server }) => {
    session.protocol.registerBufferProtocol('app-gone', (_request, callback) => callback({ mimeType: 'image/png', data: PNG }))
    const wc = await pageAt(session, server.url('/'))
    expect(await loadImage(wc, 'app-gone://host/1.png')).toBe('load 1')
    expect(session.protocol.unregisterProtocol('app-gone')).toBe(true)
    expect(await loadImage(wc, 'app-gone://host/2.png')).toBe('error')
  })

  test('registerStreamProtocol and registerHttpProtocol serve <script> subresources', async ({ session, server }) => {
    server.setContent('/from-http.js', 'window.fromHttp = "yes"', 'text/javascript')
    session.protocol.registerStreamProtocol('app-stream', (_request, callback) => {
      callback({ statusCode: 200, headers: { 'Content-Type': 'text/javascript' }, data: Readable.from(['window.fromStream', ' = "streamed"']) })
    })
    session.protocol.registerHttpProtocol('app-http', (_request, callback) => callback({ url: server.url('/from-http.js') }))
    const wc = await pageAt(session, server.url('/'))

    expect(await loadScript(wc, 'app-stream://host/a.js')).toBe('load')
    expect(await wc.executeJavaScript('window.fromStream')).toBe('streamed')
    expect(await loadScript(wc, 'app-http://host/b.js')).toBe('load')
    expect(await wc.executeJavaScript('window.fromHttp')).toBe('yes')
    expect(server.requestCount('/from-http.js')).toBe(1)
  })

  test('navigation, fetch(), XHR and Worker of a custom scheme fail in Chromium before any hook: the handler is never called', async ({ session, server }) => {
    let calls = 0
    session.protocol.registerStringProtocol('app-nav', (_request, callback) => {
      calls++
      callback('<p>never</p>')
    })
    const wc = await pageAt(session, server.url('/'))
    // loadURL names the gap instead of Chromium's bare ERR_ABORTED.
    await expect(wc.loadURL('app-nav://host/index.html')).rejects.toThrow(NotSupportedError)
    expect(await pageFetch(wc, 'app-nav://host/data.json')).toBe('TypeError: Failed to fetch')
    expect(await wc.executeJavaScript(`new Promise((resolve) => {
      const x = new XMLHttpRequest(); x.open('GET', 'app-nav://host/x'); x.onload = () => resolve('load'); x.onerror = () => resolve('error'); x.send()
    })`)).toBe('error')
    expect(await wc.executeJavaScript(`(() => { try { new Worker('app-nav://host/w.js'); return 'created' } catch (e) { return e.name } })()`)).toBe('SecurityError')
    expect(calls).toBe(0)
  })

  test('the documented alternative: a reserved https://NAME.invalid origin answered by interceptStringProtocol is a secure origin without DNS', async ({ session }) => {
    session.protocol.interceptStringProtocol('https', (request, callback) => {
      const { host, pathname } = new URL(request.url)
      if (host !== 'app.invalid') return callback({ error: -105 })
      if (pathname === '/data.json') return callback({ mimeType: 'application/json', data: '{"ok":true}' })
      callback({ mimeType: 'text/html', data: '<!doctype html><p>app</p>' })
    })
    const wc = await session.createWebContents()
    await wc.loadURL('https://app.invalid/index.html')
    expect(await wc.executeJavaScript('[isSecureContext, location.origin, document.body.textContent]')).toEqual([true, 'https://app.invalid', 'app'])
    expect(await pageFetch(wc, '/data.json')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8', text: '{"ok":true}' })
  })
})

describe('ses.protocol: intercepting http, https and file', () => {
  test('interceptStringProtocol answers instead of the server; uninterceptProtocol restores normal loading', async ({ session, server }) => {
    server.setContent('/data.txt', 'from the server', 'text/plain')
    const wc = await pageAt(session, server.url('/'))
    // A page that is already loaded: its next fetch() is intercepted once Chromium has the
    // pattern, which Electron 5/6's completion callback reports.
    let intercepted!: () => void
    const inEffect = new Promise<void>((resolve) => (intercepted = resolve))
    expect(session.protocol.interceptStringProtocol('http', (request, callback) => {
      callback(new URL(request.url).pathname === '/data.txt' ? { mimeType: 'text/plain', data: 'intercepted' } : { error: -3 })
    }, () => intercepted())).toBe(true)
    await inEffect
    expect(session.protocol.isProtocolIntercepted('http')).toBe(true)
    expect(await pageFetch(wc, '/data.txt')).toMatchObject({ status: 200, text: 'intercepted' })
    expect(server.requestCount('/data.txt')).toBe(0)

    expect(session.protocol.uninterceptProtocol('http')).toBe(true)
    expect(session.protocol.isProtocolIntercepted('http')).toBe(false)
    await wc.loadURL(server.url('/'))
    expect(await pageFetch(wc, '/data.txt')).toMatchObject({ status: 200, text: 'from the server' })
    expect(server.requestCount('/data.txt')).toBe(1)
  })

  test('a handler set just before loadURL serves that very load (loadURL waits for pending interception changes)', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/'))
    session.protocol.interceptStringProtocol('https', (_request, callback) => callback({ mimeType: 'text/html', data: '<!doctype html><title>now</title>' }))
    await wc.loadURL('https://at-once.invalid/')
    expect(await wc.executeJavaScript('document.title')).toBe('now')
  })

  test('status code, headers (several values), mime type and charset of a buffer response', async ({ session }) => {
    session.protocol.interceptBufferProtocol('https', (request, callback) => {
      if (request.url.endsWith('/latin1.html')) {
        // 'é' in ISO-8859-1 is one byte, 0xE9: it only reads back as 'é' if the charset arrived.
        return callback({ mimeType: 'text/html', charset: 'iso-8859-1', data: Buffer.from('<!doctype html><p>caf\u00e9</p>', 'latin1') })
      }
      callback({ statusCode: 201, headers: { 'X-Test': ['one', 'two'], 'Access-Control-Allow-Origin': '*' }, mimeType: 'application/x-custom', data: Buffer.from('body') })
    })
    const wc = await session.createWebContents()
    await wc.loadURL('https://buffer.invalid/latin1.html')
    expect(await wc.executeJavaScript('[document.characterSet, document.body.textContent]')).toEqual(['windows-1252', 'caf\u00e9'])
    expect(await pageFetch(wc, '/other')).toMatchObject({ status: 201, type: 'application/x-custom', header: 'one, two', text: 'body' })
  })

  test('interceptFileProtocol serves a path (mime type from its extension); a missing file fails the request', async ({ session }) => {
    const file = join(dir, 'page.html')
    writeFileSync(file, '<!doctype html><title>from file</title>')
    session.protocol.interceptFileProtocol('https', (request, callback) => {
      callback(request.url.endsWith('/missing') ? { path: join(dir, 'missing.html') } : file)
    })
    const wc = await session.createWebContents()
    await wc.loadURL('https://files.invalid/index')
    expect(await wc.executeJavaScript('[document.title, document.contentType]')).toEqual(['from file', 'text/html'])
    // Electron fails with -6 FILE_NOT_FOUND; Fetch.failRequest has no such reason, so the page sees ERR_FAILED.
    expect(await pageFetch(wc, '/missing')).toBe('TypeError: Failed to fetch')
  })

  // The library maps no URL to a path: a file handler's answer is the one file read, whatever
  // tricks the URL holds (`..`, encoded dots and slashes, a symlink's name). Escaping a folder is
  // only possible through what a handler does with request.url, as in Electron.
  test('interceptFileProtocol: the path the handler returns is the only file read; .., %2e%2e, %2f and symlink names in the URL change nothing', async ({ session }) => {
    const root = mkdtempSync(join(dir, 'jail-'))
    const served = join(root, 'served')
    mkdirSync(served)
    writeFileSync(join(served, 'inside.txt'), 'inside')
    writeFileSync(join(root, 'secret.txt'), 'secret')
    symlinkSync(join(root, 'secret.txt'), join(served, 'link.txt'))
    const seen: string[] = []
    session.protocol.interceptFileProtocol('file', (request, callback) => {
      seen.push(request.url)
      callback({ path: join(served, 'inside.txt') })
    })
    const tricks = ['../secret.txt', '%2e%2e/secret.txt', '..%2fsecret.txt', '%2e%2e%2fsecret.txt', '.%2e/secret.txt', 'link.txt', '..%5csecret.txt']
    const wc = await session.createWebContents()
    const bodies: string[] = []
    for (const trick of tricks) {
      await wc.loadURL(`file://${served}/${trick}`)
      bodies.push((await wc.executeJavaScript('document.body.innerText')) as string)
    }
    expect(bodies).toEqual(tricks.map(() => 'inside'))
    // What a handler is given: Chromium's URL parser has already applied `..`, `%2e%2e` and
    // `.%2e` (the URL names the parent folder); encoded slashes and backslashes stay encoded,
    // so a handler that decodes them and joins the result to its folder is the one that escapes.
    const base = `file://${root}`
    expect(seen).toEqual([
      `${base}/secret.txt`,
      `${base}/secret.txt`,
      `${base}/served/..%2fsecret.txt`,
      `${base}/served/%2e%2e%2fsecret.txt`,
      `${base}/secret.txt`,
      `${base}/served/link.txt`,
      `${base}/served/..%5csecret.txt`,
    ])
    // A symlink the handler itself answers is followed, as Electron's file loader follows it.
    session.protocol.uninterceptProtocol('file')
    session.protocol.interceptFileProtocol('file', (_request, callback) => callback({ path: join(served, 'link.txt') }))
    await wc.loadURL(`file://${served}/anything.txt`)
    expect(await wc.executeJavaScript('document.body.innerText')).toBe('secret')
  })

  test('interceptStringProtocol on file:// serves a document', async ({ session }) => {
    session.protocol.interceptStringProtocol('file', (request, callback) => callback({ mimeType: 'text/html', data: `<title>${new URL(request.url).pathname}</title>` }))
    const wc = await session.createWebContents()
    await wc.loadURL('file:///no/such/dir/page.html')
    expect(await wc.executeJavaScript('document.title')).toBe('/no/such/dir/page.html')
  })

  test('{ error } fails the request with that net error', async ({ session }) => {
    session.protocol.interceptStringProtocol('https', (_request, callback) => callback({ error: -105 }))
    const wc = await session.createWebContents()
    const failure = await wc.loadURL('https://nowhere.invalid/').then(() => undefined, (error: unknown) => error)
    expect(failure).toBeInstanceOf(NavigationError)
    expect(failure).toMatchObject({ errorCode: -105, errorDescription: 'ERR_NAME_NOT_RESOLVED' })
  })

  test('interceptHttpProtocol sends the request to another URL (invisibly), with another method and body', async ({ session, server }) => {
    server.setContent('/target', 'target body', 'text/plain', { 'Access-Control-Allow-Origin': '*' })
    session.protocol.interceptHttpProtocol('https', (request, callback) => {
      callback(request.url.endsWith('/post')
        ? { url: server.url('/echo-body'), method: 'POST', uploadData: { contentType: 'text/plain', data: 'uploaded' } }
        : { url: server.url('/target') })
    })
    const wc = await session.createWebContents()
    await wc.loadURL('https://proxied.invalid/')
    expect(await wc.executeJavaScript('document.body.textContent')).toBe('target body')
    expect(wc.getURL()).toBe('https://proxied.invalid/')
    const echoed = server.waitForRequest('/echo-body')
    await pageFetch(wc, '/post')
    const request = await echoed
    expect(request.method).toBe('POST')
    expect(request.body.toString()).toBe('uploaded')
    expect(request.headers['content-type']).toBe('text/plain')
  })

  test('interceptHttpProtocol with session: null is fetched outside the session (no cookies); the handler sees uploadData', async ({ session, server }) => {
    server.setContent('/no-session', 'fetched without the session', 'text/plain', { 'Access-Control-Allow-Origin': '*' })
    await session.cookies.set({ url: server.url('/'), name: 'mine', value: '1' })
    const uploads: string[] = []
    session.protocol.interceptHttpProtocol('https', (request, callback) => {
      uploads.push(Buffer.concat((request.uploadData ?? []).map((u) => u.bytes)).toString())
      callback({ url: server.url('/no-session'), method: 'GET', session: null })
    })
    const wc = await pageAt(session, server.url('/'))
    const arrived = server.waitForRequest('/no-session')
    expect(await pageFetch(wc, 'https://elsewhere.invalid/api', { method: 'POST', body: 'payload' })).toMatchObject({ status: 200, text: 'fetched without the session' })
    expect(uploads).toEqual(['payload'])
    expect((await arrived).headers.cookie).toBeUndefined()
  })

  test('interceptStreamProtocol delivers a stream as it is written, not buffered', async ({ session }) => {
    const open: PassThrough[] = []
    session.protocol.interceptStreamProtocol('https', (request, callback) => {
      if (new URL(request.url).pathname !== '/data') return callback(Readable.from(['<!doctype html><p>stream page</p>']))
      const body = new PassThrough()
      open.push(body)
      body.write('first;')
      callback({ statusCode: 200, headers: { 'Content-Type': 'text/plain', 'X-Test': 'streamed' }, data: body })
    })
    const wc = await session.createWebContents()
    await wc.loadURL('https://stream.invalid/')
    expect(await wc.executeJavaScript('document.body.textContent')).toBe('stream page')
    await wc.executeJavaScript(`window.reading = fetch('/data').then(async (r) => {
      const reader = r.body.getReader(); const decoder = new TextDecoder()
      window.first = decoder.decode((await reader.read()).value)
      let rest = ''
      for (;;) { const { value, done } = await reader.read(); if (done) break; rest += decoder.decode(value) }
      return { header: r.headers.get('x-test'), first: window.first, rest }
    }); 'started'`)
    // The page holds the first chunk while the stream is still open: an implementation that
    // buffered the whole body would deliver nothing before end(), and this wait would fail.
    await until('the first chunk in the page', async () => (await wc.executeJavaScript('window.first')) === 'first;')
    expect(open).toHaveLength(1)
    open[0]!.end('second')
    expect(await wc.executeJavaScript('window.reading')).toEqual({ header: 'streamed', first: 'first;', rest: 'second' })
  })
  test('a streamed response with Set-Cookie (or a redirect) is applied to the page\'s own URL', async ({ session, server }) => {
    server.setContent('/landing', '<!doctype html><title>landing</title>')
    session.protocol.interceptStreamProtocol('https', (request, callback) => {
      if (request.url.endsWith('/go')) return callback({ statusCode: 302, headers: { Location: server.url('/landing') }, data: Readable.from(['']) })
      callback({ statusCode: 200, headers: { 'Content-Type': 'text/html', 'Set-Cookie': 'streamed=1; Path=/; Secure' }, data: Readable.from(['<p>cookie</p>']) })
    })
    const wc = await session.createWebContents()
    await wc.loadURL('https://cookies.invalid/')
    expect(await wc.executeJavaScript('document.cookie')).toBe('streamed=1')
    expect((await session.cookies.get({ name: 'streamed' })).map((c) => c.domain)).toEqual(['cookies.invalid'])
    await wc.loadURL('https://cookies.invalid/go')
    expect(wc.getURL()).toBe(server.url('/landing'))
  })

  test('unintercept then intercept again with another kind takes effect at once', async ({ session }) => {
    session.protocol.interceptStringProtocol('https', (_request, callback) => callback('<title>first</title>'))
    session.protocol.uninterceptProtocol('https')
    session.protocol.interceptBufferProtocol('https', (_request, callback) => callback(Buffer.from('<title>second</title>')))
    const wc = await session.createWebContents()
    await wc.loadURL('https://again.invalid/')
    expect(await wc.executeJavaScript('document.title')).toBe('second')
  })
})

describe('ses.protocol: handle() (newer Electron)', () => {
  test('handle serves a custom-scheme <img> and an https document from Response objects; unhandle restores', async ({ session, server }) => {
    const seen: Request[] = []
    session.protocol.handle('app-handle', (request) => {
      seen.push(request)
      return new Response(PNG, { headers: { 'content-type': 'image/png' } })
    })
    session.protocol.handle('https', async (request) => {
      if (request.method === 'POST') return new Response(`posted ${await request.text()}`, { status: 202, headers: { 'x-test': 'handled' } })
      return new Response('<!doctype html><title>handled</title>', { headers: { 'content-type': 'text/html' } })
    })
    expect(session.protocol.isProtocolHandled('app-handle')).toBe(true)
    expect(session.protocol.isProtocolHandled('https')).toBe(true)
    expect(session.protocol.isProtocolHandled('http')).toBe(false)

    const wc = await pageAt(session, 'https://handled.invalid/')
    expect(await wc.executeJavaScript('document.title')).toBe('handled')
    expect(await pageFetch(wc, '/submit', { method: 'POST', body: 'form' })).toMatchObject({ status: 202, header: 'handled', text: 'posted form' })
    expect(await loadImage(wc, 'app-handle://host/pixel.png')).toBe('load 1')
    expect(seen.map((r) => [r.url, r.method])).toEqual([['app-handle://host/pixel.png', 'GET']])

    session.protocol.unhandle('https')
    session.protocol.unhandle('app-handle')
    expect(session.protocol.isProtocolHandled('https')).toBe(false)
    await wc.loadURL(server.url('/'))
    expect(await loadImage(wc, 'app-handle://host/pixel.png')).toBe('error')
    expect(seen).toHaveLength(1)
  })

  test("handle twice and unhandle of nothing throw Electron's messages; a handler that returns no Response fails the request", async ({ session, server }) => {
    session.protocol.handle('app-bad', () => 'not a response' as unknown as Response)
    expect(() => session.protocol.handle('app-bad', () => new Response(''))).toThrow(/^Failed to register protocol: app-bad$/)
    expect(() => session.protocol.unhandle('app-never')).toThrow(/^Failed to unhandle protocol: app-never$/)
    expect(() => session.protocol.unhandle('https')).toThrow(/^Failed to unhandle protocol: https$/)
    const wc = await pageAt(session, server.url('/'))
    expect(await loadScript(wc, 'app-bad://host/x.js')).toBe('error')
  })

  test('handle takes an object shaped like a Response, as Electron does (validateResponse)', async ({ session, server }) => {
    session.protocol.handle('app-like', () => ({ status: 200, headers: [['content-type', 'text/javascript']], body: new Response('window.likeRan = true').body }) as unknown as Response)
    // plain-object headers are not iterable: Electron fails the request
    session.protocol.handle('app-unlike', () => ({ headers: { 'content-type': 'text/javascript' }, body: null }) as unknown as Response)
    const wc = await pageAt(session, server.url('/'))
    expect(await loadScript(wc, 'app-like://host/x.js')).toBe('load')
    expect(await wc.executeJavaScript('window.likeRan === true')).toBe(true)
    expect(await loadScript(wc, 'app-unlike://host/x.js')).toBe('error')
  })
})

describe('ses.protocol: isolation and state', () => {
  test('another session is not affected', async ({ browser, session, server }) => {
    server.setContent('/data.txt', 'from the server', 'text/plain')
    session.protocol.registerBufferProtocol('app-iso', (_request, callback) => callback({ mimeType: 'image/png', data: PNG }))
    session.protocol.interceptStringProtocol('http', (_request, callback) => callback('intercepted'))
    const other = browser.session.fromPartition(`protocol-other-${process.pid}`)
    try {
      expect(other.protocol.isProtocolRegistered('app-iso')).toBe(false)
      const wc = await pageAt(other, server.url('/'))
      expect(await pageFetch(wc, '/data.txt')).toMatchObject({ text: 'from the server' })
      expect(await loadImage(wc, 'app-iso://host/pixel.png')).toBe('error')
      const mine = await session.createWebContents()
      await mine.loadURL(server.url('/data.txt'))
      expect(await mine.executeJavaScript('document.body.textContent')).toBe('intercepted')
    } finally {
      await other.close()
    }
  })

  test('register/unregister answers booleans and calls Electron 5/6 completion callbacks', async ({ session }) => {
    const handler = (_request: ProtocolRequest, callback: (response?: unknown) => void): void => callback('x')
    const completions: Array<Error | null> = []
    const completed = new Promise<void>((resolve) => {
      expect(session.protocol.registerStringProtocol('app-state', handler, (error) => {
        completions.push(error)
        resolve()
      })).toBe(true)
    })
    await completed
    expect(completions).toEqual([null])
    expect(session.protocol.isProtocolRegistered('app-state')).toBe(true)
    expect(session.protocol.isProtocolHandled('app-state')).toBe(true)

    const again = new Promise<Error | null>((resolve) => {
      expect(session.protocol.registerStringProtocol('app-state', handler, resolve)).toBe(false)
    })
    const error = await again
    expect(error).toBeInstanceOf(ValidationError)
    // Electron's completion text (ErrorCodeToString)
    expect(error).toMatchObject({ argument: 'scheme', value: 'app-state', message: 'The scheme has been registered' })

    expect(session.protocol.unregisterProtocol('app-state')).toBe(true)
    expect(session.protocol.unregisterProtocol('app-state')).toBe(false)
    expect(session.protocol.isProtocolRegistered('app-state')).toBe(false)
    expect(session.protocol.interceptStringProtocol('https', handler)).toBe(true)
    expect(session.protocol.interceptStringProtocol('https', handler)).toBe(false)
    expect(session.protocol.uninterceptProtocol('https')).toBe(true)
    expect(session.protocol.uninterceptProtocol('https')).toBe(false)
    // A built-in scheme cannot be registered, only intercepted.
    expect(session.protocol.registerStringProtocol('https', handler)).toBe(false)
  })
})

describe('ses.protocol: bad input', () => {
  const handler = (_request: ProtocolRequest, callback: (response?: unknown) => void): void => callback('x')

  test("what gin cannot convert throws gin's message; scheme names no URL can have are accepted and serve nothing", async ({ session, server }) => {
    const { protocol } = session
    for (const scheme of [undefined, 7]) {
      expect(() => protocol.registerStringProtocol(scheme as unknown as string, handler)).toThrow(ValidationError)
      expect(() => protocol.interceptBufferProtocol(scheme as unknown as string, handler)).toThrow(/^Error processing argument at index 0, conversion failure from /)
      expect(() => protocol.handle(scheme as unknown as string, () => new Response(''))).toThrow(/^(Insufficient number of arguments\.|Error processing argument at index 0)/)
      expect(() => protocol.isProtocolHandled(scheme as unknown as string)).toThrow(ValidationError)
    }
    for (const bad of [undefined, null, 'handler', {}]) {
      expect(() => protocol.registerFileProtocol('app', bad as never)).toThrow(/^(Insufficient number of arguments\.|Error processing argument at index 1, conversion failure from)/)
    }
    expect(protocol.isProtocolRegistered('app')).toBe(false)
    // Electron stores any string; 'App' or 'app:' can never be a URL's scheme, so nothing is served.
    const warnings: string[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(warning.message)
    }
    process.on('warning', onWarning)
    try {
      for (const scheme of ['App', 'app:', 'a b']) {
        expect(protocol.registerStringProtocol(scheme, handler)).toBe(true)
        expect(protocol.isProtocolRegistered(scheme)).toBe(true)
        expect(protocol.registerStringProtocol(scheme, handler)).toBe(false)
        expect(protocol.unregisterProtocol(scheme)).toBe(true)
      }
      // a completion that is not a function is not called, as in Electron
      expect(protocol.registerStreamProtocol('app-done', handler, 'done' as never)).toBe(true)
      // handle() with a handler that is not a function registers; its requests fail
      protocol.handle('app-nofn', 'handler' as never)
      const wc = await pageAt(session, server.url('/'))
      expect(await loadScript(wc, 'app-nofn://host/x.js')).toBe('error')
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.join('\n')).toMatch(/protocol\.registerStringProtocol: ignored scheme "App": Electron accepts the name but no URL can ever have it/)
      expect(warnings.join('\n')).toMatch(/ignored completion "done"/)
      expect(warnings.join('\n')).toMatch(/protocol\.handle: ignored handler "handler"/)
    } finally {
      process.off('warning', onWarning)
    }
  })

  test('schemes Chromium never routes to CDP are NotSupportedError with the reason', ({ session }) => {
    for (const scheme of ['ws', 'wss', 'data', 'blob', 'about', 'javascript']) {
      expect(() => session.protocol.interceptStringProtocol(scheme, handler)).toThrow(NotSupportedError)
      expect(() => session.protocol.handle(scheme, () => new Response(''))).toThrow(/without any CDP interception point/)
    }
  })

  test('a handler answering a bad response gets a ValidationError from callback, and the request fails', async ({ session, server }) => {
    const thrown: unknown[] = []
    session.protocol.registerStringProtocol('app-badcb', (_request, callback) => {
      try {
        callback({ data: 42 })
      } catch (error) {
        thrown.push(error)
      }
    })
    session.protocol.registerStringProtocol('app-throws', () => {
      throw new Error('handler bug')
    })
    const wc = await pageAt(session, server.url('/'))
    expect(await loadScript(wc, 'app-badcb://host/x.js')).toBe('error')
    expect(thrown).toHaveLength(1)
    expect(thrown[0]).toBeInstanceOf(ValidationError)
    expect(thrown[0]).toMatchObject({ argument: 'response', value: { data: 42 } })
    expect(await loadScript(wc, 'app-throws://host/x.js')).toBe('error')
  })
})
