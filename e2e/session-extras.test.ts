// The seed's deprecated callback forms (each calls the promise form), clearAuthCache's
// RemovePassword options, and webContents.setUserAgent for one page.
import { ValidationError, type Session } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'
import type { TestServer } from './fixtures/server.js'

/**
 * Calls `start` with a callback and resolves with the arguments of its one call (a second call
 * fails the test). The callback declares `arity` parameters: Electron's callback forms look at
 * a callback's length (two: `(error, result)`).
 */
function called<A extends unknown[]>(start: (callback: (...args: A) => void) => void, arity: 1 | 2 = 1): Promise<A> {
  return new Promise((resolve, reject) => {
    let calls = 0
    const record = (args: unknown[]): void => {
      calls += 1
      if (calls > 1) reject(new Error('callback called twice'))
      else setTimeout(() => (calls === 1 ? resolve(args as A) : undefined), 50)
    }
    const one = function (this: unknown, _a?: unknown) {
      // eslint-disable-next-line prefer-rest-params
      record([...arguments])
    }
    const two = function (this: unknown, _a: unknown, _b: unknown) {
      // eslint-disable-next-line prefer-rest-params
      record([...arguments])
    }
    start((arity === 2 ? two : one) as unknown as (...args: A) => void)
  })
}

async function withLoginAnswer(session: Session, server: TestServer, path: string): Promise<{ asked: string[]; fetchOnce: (n: number) => Promise<unknown> }> {
  server.setAuth(path, 'user', 'secret')
  server.setContent(path, 'inside', 'text/plain')
  const asked: string[] = []
  session.on('login', (event, _wc, details, _authInfo, callback) => {
    event.preventDefault()
    asked.push(new URL(details.url).pathname)
    callback('user', 'secret')
  })
  const wc = await session.createWebContents()
  await wc.loadURL(server.url('/empty.html'))
  return { asked, fetchOnce: (n) => wc.executeJavaScript(`fetch('${path}?${n}').then((r) => r.status)`) }
}

describe('callback forms (the seed), each once with the promise form\'s value', () => {
  test('session methods', async ({ session, server }) => {
    const url = server.url('/x')
    expect(await called<[string]>((cb) => session.resolveProxy(url, cb))).toEqual([await session.resolveProxy(url)])
    expect(await called<[]>((cb) => session.setProxy({ proxyRules: 'direct://' }, cb))).toEqual([undefined])
    expect(await session.resolveProxy(url)).toBe('DIRECT')
    expect(await called<[]>((cb) => session.clearHostResolverCache(cb))).toEqual([undefined])
    expect(await called<[]>((cb) => session.clearCache(cb))).toEqual([undefined])
    // clearStorageData([options,] callback): both shapes.
    await session.cookies.set({ url: server.origin, name: 'a', value: '1' })
    expect(await called<[]>((cb) => session.clearStorageData(cb))).toEqual([undefined])
    expect(await session.cookies.get({})).toEqual([])
    await session.cookies.set({ url: server.origin, name: 'b', value: '2' })
    expect(await called<[]>((cb) => session.clearStorageData({ storages: ['cookies'] }, cb))).toEqual([undefined])
    expect(await session.cookies.get({})).toEqual([])
    // getBlobData(identifier, callback) with the page's blob bytes.
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/empty.html'))
    const blobUrl = (await wc.executeJavaScript(`URL.createObjectURL(new Blob(['blob bytes']))`)) as string
    const [bytes] = await called<[Buffer]>((cb) => session.getBlobData(blobUrl, cb))
    expect(bytes.toString()).toBe('blob bytes')
    expect(await called<[]>((cb) => session.clearAuthCache({ type: 'password' }, cb))).toEqual([undefined])
    // A failure (an in-memory session has no cache size to read) reaches a one-parameter
    // callback as Electron's promisify does, with nothing, and is emitted as a warning.
    const warning = new Promise<Error>((resolve) => {
      const onWarning = (w: Error): void => {
        if (!w.message.startsWith('session.getCacheSize failed')) return
        process.off('warning', onWarning)
        resolve(w)
      }
      process.on('warning', onWarning)
    })
    expect(await called<[number]>((cb) => session.getCacheSize(cb))).toEqual([])
    expect((await warning).message).toContain("Chromium's DevTools protocol reports no cache size")
  })

  test('a two-parameter callback gets (error, result); a failure reaches it as the error', async ({ session, server }) => {
    const resolveProxy = session.resolveProxy.bind(session) as (url: string, callback: (...args: unknown[]) => void) => void
    expect(await called((cb) => resolveProxy(server.url('/'), cb), 2)).toEqual([null, 'DIRECT'])
    const [failure] = await called((cb) => resolveProxy('not a url', cb), 2)
    expect(failure).toBeInstanceOf(ValidationError)
  })

  test('cookies: error-first callbacks', async ({ session, server }) => {
    expect(await called<[Error | null]>((cb) => session.cookies.set({ url: server.origin, name: 'c', value: '3' }, cb))).toEqual([null])
    const [error, cookies] = await called<[Error | null, unknown]>((cb) => session.cookies.get({ name: 'c' }, cb), 2)
    expect(error).toBeNull()
    expect((cookies as Array<{ value: string }>).map((c) => c.value)).toEqual(['3'])
    const [rejected] = await called<[Error | null]>((cb) => session.cookies.set({ url: 'https://a.test', name: 'x', value: 'y', domain: 'b.test' }, cb))
    expect(rejected?.message).toMatch(/^Failed to set cookie - /)
    expect(await called<[Error | null]>((cb) => session.cookies.remove(server.origin, 'c', cb))).toEqual([null])
    expect(await session.cookies.get({ name: 'c' })).toEqual([])
    expect(await called<[Error | null]>((cb) => session.cookies.flushStore(cb))).toEqual([null])
  })
})

describe('clearAuthCache(options)', () => {
  test("{ type: 'password', origin } drops that origin's credentials only when it matches", async ({ session, server }) => {
    const { asked, fetchOnce } = await withLoginAnswer(session, server, '/auth/opt.txt')
    expect(await fetchOnce(1)).toBe(200)
    expect(asked).toEqual(['/auth/opt.txt'])
    // Another origin: nothing of ours is dropped, no new challenge.
    await session.clearAuthCache({ type: 'password', origin: 'http://elsewhere.test' })
    expect(await fetchOnce(2)).toBe(200)
    expect(asked).toHaveLength(1)
    // Its own origin and scheme: challenged again.
    await session.clearAuthCache({ type: 'password', origin: server.origin, scheme: 'basic' })
    expect(await fetchOnce(3)).toBe(200)
    expect(asked).toHaveLength(2)
  })

  test("{ type: 'clientCertificate' } resolves (a session never picks one); bad options are a ValidationError", async ({ session }) => {
    await expect(session.clearAuthCache({ type: 'clientCertificate', origin: 'https://a.test' })).resolves.toBeUndefined()
    await expect(session.clearAuthCache({ type: 'pasword' } as never)).rejects.toBeInstanceOf(ValidationError)
    await expect(session.clearAuthCache({ type: 'password', origin: 'not an origin' })).rejects.toBeInstanceOf(ValidationError)
  })
})

describe('webContents.setUserAgent', () => {
  test('one page: its documents, subresources, cross-site frames and workers; other pages keep the session UA', async ({ session, server }) => {
    session.setUserAgent('SessionUA/1')
    server.setContent('/ua.html', `<iframe src="${server.crossOrigin}/ua-frame.html"></iframe>`, 'text/html')
    server.setContent('/ua-frame.html', '<p>frame</p>', 'text/html')
    server.setContent('/ua-worker.js', `fetch('/ua-worker-fetch').then(() => postMessage(navigator.userAgent))`, 'text/javascript')
    server.setContent('/ua-worker-fetch', 'ok', 'text/plain')
    const page = await session.createWebContents()
    const other = await session.createWebContents()
    expect(page.getUserAgent()).toBe('SessionUA/1')
    page.setUserAgent('PageUA/2')
    expect(page.getUserAgent()).toBe('PageUA/2')
    await page.loadURL(server.url('/ua.html'))
    await other.loadURL(server.url('/empty.html'))
    const uaOf = (path: string): unknown[] => server.requests.filter((r) => r.path === path).map((r) => r.headers['user-agent'])
    expect(uaOf('/ua.html')).toEqual(['PageUA/2'])
    expect(uaOf('/ua-frame.html')).toEqual(['PageUA/2'])
    expect(await page.executeJavaScript('navigator.userAgent')).toBe('PageUA/2')
    const workerUa = await page.executeJavaScript(`new Promise((resolve) => { const w = new Worker('/ua-worker.js'); w.onmessage = (e) => resolve(e.data) })`)
    expect(workerUa).toBe('PageUA/2')
    expect(uaOf('/ua-worker-fetch')).toEqual(['PageUA/2'])
    expect(uaOf('/empty.html')).toEqual(['SessionUA/1'])
    expect(other.getUserAgent()).toBe('SessionUA/1')
    expect(() => page.setUserAgent('')).toThrow(ValidationError)
  })
})

describe('no header injection through cookies', () => {
  test.for([
    ['value', { name: 'a', value: 'x\r\nSet-Cookie: injected=1' }],
    ['name', { name: 'a\r\nX-Injected', value: 'x' }],
    ['path', { name: 'a', value: 'x', path: '/\r\nX-Injected: 1' }],
  ] as const)('a CR/LF in the %s is refused and nothing reaches the store or the request', async ([, details], { session, server }) => {
    await expect(session.cookies.set({ url: server.origin, ...details })).rejects.toThrow(/^Failed to set cookie - /)
    expect(await session.cookies.get({})).toEqual([])
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/empty.html'))
    const sent = server.requests.filter((r) => r.path === '/empty.html').map((r) => r.headers.cookie)
    expect(sent).toEqual([undefined])
  })
})
