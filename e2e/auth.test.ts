// The session's 'login' hook on real 401 challenges: answered, cancelled, the attempt limit,
// the page's own 'login' event, isolation, and clearAuthCache's documented gap.
import { NotSupportedError, type AuthInfo, type LoginDetails, type WebContents } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'

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

  test('clearAuthCache: NotSupportedError (no CDP command empties Chromium\'s auth cache; measured)', async ({ session }) => {
    await expect(session.clearAuthCache()).rejects.toThrow(NotSupportedError)
  })
})
