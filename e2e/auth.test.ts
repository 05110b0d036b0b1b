// The session's 'login' hook on real 401 challenges: answered, cancelled, the attempt limit,
// the page's own 'login' event, isolation, and clearAuthCache (through the session gateway).
import { NotSupportedError, type AuthInfo, type LoginDetails, type WebContents } from 'cdp-session'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'

async function visibleText(wc: WebContents): Promise<string> {
  return (await wc.executeJavaScript('document.body.innerText')) as string
}

describe('session login', () => {
  test('credentials from the login callback load the page; details and authInfo as Electron', async ({ session, server }) => {
    server.setAuth('/auth/ok.html', 'user', 'secret')
    server.setContent('/auth/ok.html', '<p>welcome</p>')
    const seen: Array<{ wc: WebContents | null; details: LoginDetails; authInfo: AuthInfo }> = []
    session.on('login', (event, wc, details, authInfo, callback) => {
      event.preventDefault()
      seen.push({ wc, details, authInfo })
      callback('user', 'secret')
    })
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/auth/ok.html'))
    expect(await visibleText(wc)).toBe('welcome')
    expect(seen).toHaveLength(1)
    expect(seen[0]?.wc).toBe(wc)
    expect(seen[0]?.details).toEqual({ url: server.url('/auth/ok.html'), method: 'GET', referrer: '' })
    expect(seen[0]?.authInfo).toEqual({ isProxy: false, scheme: 'basic', host: '127.0.0.1', port: server.port, realm: 'cdp-session test server' })
    expect(server.requests.filter((r) => r.path === '/auth/ok.html').at(-1)?.headers.authorization).toBe(`Basic ${Buffer.from('user:secret').toString('base64')}`)
  })

  test('callback() with no credentials cancels: the page gets the 401', async ({ session, server }) => {
    server.setAuth('/auth/cancel.html', 'user', 'secret')
    session.on('login', (event, _wc, _details, _authInfo, callback) => {
      event.preventDefault()
      callback()
    })
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/auth/cancel.html'))
    expect(await visibleText(wc)).toContain('401')
    expect(server.requestCount('/auth/cancel.html')).toBe(1)
  })

  test('without preventDefault the challenge is cancelled (Electron\'s default)', async ({ session, server }) => {
    server.setAuth('/auth/default.html', 'user', 'secret')
    let calls = 0
    session.on('login', () => calls++)
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/auth/default.html'))
    expect(calls).toBe(1)
    expect(await visibleText(wc)).toContain('401')
  })

  test('wrong credentials: asked 3 times for one request, then cancelled (Chromium alone would ask ~31 times)', async ({ session, server }) => {
    server.setAuth('/auth/wrong.html', 'user', 'secret')
    let calls = 0
    session.on('login', (event, _wc, _details, _authInfo, callback) => {
      event.preventDefault()
      calls++
      callback('user', 'wrong')
    })
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/auth/wrong.html'))
    expect(calls).toBe(3)
    expect(server.requestCount('/auth/wrong.html')).toBe(4)
    expect(await visibleText(wc)).toContain('401')
  })

  test('the page\'s own login event comes first and can answer', async ({ session, server }) => {
    server.setAuth('/auth/wc.html', 'user', 'secret')
    server.setContent('/auth/wc.html', '<p>page answered</p>')
    let sessionCalls = 0
    session.on('login', () => sessionCalls++)
    const wc = await session.createWebContents()
    wc.on('login', (event, details, authInfo, callback) => {
      expect(details.url).toBe(server.url('/auth/wc.html'))
      expect(authInfo.isProxy).toBe(false)
      event.preventDefault()
      callback('user', 'secret')
    })
    await wc.loadURL(server.url('/auth/wc.html'))
    expect(await visibleText(wc)).toBe('page answered')
    expect(sessionCalls).toBe(0)
  })

  for (const setting of ['no hook', 'a webRequest hook', 'a protocol handler'] as const) {
    test(`no 'login' listener, ${setting}: the page shows the server's 401 answer (Electron cancels), the load does not fail`, async ({ session, server }) => {
      server.setAuth('/auth/nobody.html', 'user', 'secret')
      if (setting === 'a webRequest hook') session.webRequest.onBeforeRequest((_details, callback) => callback({}))
      if (setting === 'a protocol handler') session.protocol.handle('nobody', () => new Response('x'))
      const wc = await session.createWebContents()
      await wc.loadURL(server.url('/auth/nobody.html'))
      expect(await visibleText(wc)).toContain('401')
      expect(server.requestCount('/auth/nobody.html')).toBe(1)
      // A page's fetch() gets the 401 response too (it does not reject).
      expect(await wc.executeJavaScript(`fetch('/auth/nobody.html').then((r) => r.status, (e) => String(e))`)).toBe(401)
    })
  }

  test('a same-site iframe\'s challenge reaches login with its page, and the answer loads the frame', async ({ session, server }) => {
    server.setAuth('/auth/frame.html', 'user', 'secret')
    server.setContent('/auth/frame.html', '<p>framed</p>')
    server.setContent('/auth/host.html', '<iframe src="/auth/frame.html"></iframe>')
    const seen: Array<{ wc: WebContents | null; url: string }> = []
    session.on('login', (event, wc, details, _authInfo, callback) => {
      event.preventDefault()
      seen.push({ wc, url: details.url })
      callback('user', 'secret')
    })
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/auth/host.html'))
    await expect.poll(() => wc.executeJavaScript(`document.querySelector('iframe').contentDocument?.body?.innerText ?? ''`), { timeout: 10_000 }).toBe('framed')
    expect(seen).toEqual([{ wc, url: server.url('/auth/frame.html') }])
  })

  test('a page\'s own login listener alone is asked (webContents.on(\'login\'), no session listener), and removing it stops that', async ({ session, server }) => {
    server.setAuth('/auth/wc-only.html', 'user', 'secret')
    server.setContent('/auth/wc-only.html', '<p>wc only</p>')
    const wc = await session.createWebContents()
    const asked: string[] = []
    const listener = (event: { preventDefault(): void }, details: LoginDetails, _authInfo: AuthInfo, callback: (u?: string, p?: string) => void): void => {
      asked.push(details.url)
      event.preventDefault()
      callback('user', 'secret')
    }
    wc.on('login', listener)
    await wc.loadURL(server.url('/auth/wc-only.html'))
    expect(await visibleText(wc)).toBe('wc only')
    expect(asked).toEqual([server.url('/auth/wc-only.html')])
    wc.off('login', listener)
    await session.clearAuthCache()
    await wc.loadURL(server.url('/auth/wc-only.html?again'))
    expect(await visibleText(wc)).toContain('401')
    expect(asked).toHaveLength(1)
  })

  test('another session\'s challenges are not this session\'s', async ({ session, server, browser }) => {
    server.setAuth('/auth/other.html', 'user', 'secret')
    let calls = 0
    session.on('login', () => calls++)
    const other = browser.session.fromPartition(`auth-other-${process.pid}`)
    try {
      other.on('login', (event, _wc, _d, _a, callback) => {
        event.preventDefault()
        callback('user', 'secret')
      })
      const wc = await other.createWebContents()
      server.setContent('/auth/other.html', '<p>other</p>')
      await wc.loadURL(server.url('/auth/other.html'))
      expect(await visibleText(wc)).toBe('other')
    } finally {
      await other.close()
    }
    expect(calls).toBe(0)
  })

  test('clearAuthCache: the next request to a plain-http origin is challenged again, and the login event fires again', async ({ session, server }) => {
    server.setAuth('/auth/cached.txt', 'user', 'secret')
    server.setContent('/auth/cached.txt', 'inside', 'text/plain')
    const asked: string[] = []
    session.on('login', (event, _wc, details, _authInfo, callback) => {
      event.preventDefault()
      asked.push(details.url)
      callback('user', 'secret')
    })
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/empty.html'))
    const fetchOnce = (n: number): Promise<unknown> => wc.executeJavaScript(`fetch('/auth/cached.txt?${n}').then(async (r) => r.status + ' ' + await r.text())`)
    expect(await fetchOnce(1)).toBe('200 inside')
    expect(asked).toHaveLength(1)
    // Chromium now sends the cached credentials with every request: no further challenge.
    expect(await fetchOnce(2)).toBe('200 inside')
    expect(asked).toHaveLength(1)
    const sent = (): Array<string | undefined> => server.requests.filter((r) => r.path === '/auth/cached.txt').map((r) => r.headers.authorization as string | undefined)
    expect(sent().at(-1)).toBe(`Basic ${Buffer.from('user:secret').toString('base64')}`)
    await session.clearAuthCache()
    const before = sent().length
    expect(await fetchOnce(3)).toBe('200 inside')
    // Challenged again: one request without credentials (401), the login event, then the answer.
    expect(asked).toHaveLength(2)
    expect(sent().slice(before)).toEqual([undefined, `Basic ${Buffer.from('user:secret').toString('base64')}`])
    // And cached again afterwards, as after any answered challenge.
    expect(await fetchOnce(4)).toBe('200 inside')
    expect(asked).toHaveLength(2)
  })

  test('clearAuthCache: credentials given to an https origin cannot be dropped: NotSupportedError names it', async ({ server }) => {
    // The test server's certificate is self-signed: this test has its own browser.
    const browser = await launchTestBrowser({ args: ['--ignore-certificate-errors'] })
    try {
      const session = browser.session.fromPartition(`auth-tls-${process.pid}`)
      server.setAuth('/auth/tls.txt', 'user', 'secret')
      server.setContent('/auth/tls.txt', 'inside', 'text/plain')
      session.on('login', (event, _wc, _details, _authInfo, callback) => {
        event.preventDefault()
        callback('user', 'secret')
      })
      const wc = await session.createWebContents()
      await wc.loadURL(server.https.url('/empty.html'))
      expect(await wc.executeJavaScript(`fetch('/auth/tls.txt').then((r) => r.status)`)).toBe(200)
      const error = await session.clearAuthCache().then(() => null, (e: unknown) => e)
      expect(error).toBeInstanceOf(NotSupportedError)
      expect(String(error)).toContain(server.https.origin)
      // Nothing left to report: a second call resolves.
      await session.clearAuthCache()
    } finally {
      await browser.close()
    }
  })

  test('clearAuthCache without a gateway: NotSupportedError', async ({ browser }) => {
    const direct = browser.session.fromPartition(`no-gateway-auth-${process.pid}`, { gateway: false })
    try {
      await expect(direct.clearAuthCache()).rejects.toThrow(NotSupportedError)
    } finally {
      await direct.close()
    }
  })
})
