// ses.cookies.on('changed'): changes by pages (document.cookie, CookieStore),
// by responses (Set-Cookie of navigations, fetch, workers), by expiry, in
// order and without duplicates; isolation between sessions; no work after the
// last listener is gone; latency from a page write to the event in Node.
import type { Cookie, Session, WebContents } from 'cdp-session'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'
import type { RouteHandler, TestServer } from './fixtures/server.js'
import { bindingOf, liveTargetsOf } from './fixtures/internals.js'

type Cause = 'explicit' | 'overwrite' | 'expired' | 'evicted' | 'expired-overwrite'
interface Change {
  cookie: Cookie
  cause: Cause
  removed: boolean
  /** Date.now() in Node when the event arrived. */
  at: number
}

const SENTINEL = '__listening'
let sentinelCounter = 0

/** Records 'changed' events of a session; `line()` gives "name=value cause added|removed". */
function recorder(): { changes: Change[]; listener: (...args: never[]) => void; lines(filter?: (c: Change) => boolean): string[] } {
  const changes: Change[] = []
  const listener = (_event: unknown, cookie: Cookie, cause: Cause, removed: boolean): void => {
    changes.push({ cookie, cause, removed, at: Date.now() })
  }
  return {
    changes,
    listener: listener as (...args: never[]) => void,
    lines: (filter = (c: Change) => c.cookie.name !== SENTINEL) =>
      changes.filter(filter).map((c) => `${c.cookie.name}=${c.cookie.value} ${c.cause} ${c.removed ? 'removed' : 'added'}`),
  }
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function pageAt(session: Session, url: string): Promise<WebContents> {
  const wc = await session.createWebContents()
  await wc.loadURL(url)
  return wc
}

/**
 * Adds the listener and proves the tracking is live: a sentinel cookie written
 * by `wc` must come back as an event. The recorded events are then cleared.
 */
async function listen(session: Session, wc: WebContents, rec: ReturnType<typeof recorder>): Promise<void> {
  session.cookies.on('changed', rec.listener as never)
  const value = String(++sentinelCounter)
  await wc.executeJavaScript(`document.cookie = '${SENTINEL}=${value}; path=/'`)
  await waitFor(() => rec.changes.some((c) => c.cookie.name === SENTINEL && c.cookie.value === value && !c.removed), 'the sentinel cookie event')
  rec.changes.length = 0
}

/** Counts Storage.getCookies commands sent for this session's context (observed on the browser-level client). */
async function countCookieReads(session: Session): Promise<{ count(): number; restore(): void }> {
  const binding = await bindingOf(session)
  const browser = binding.browser as unknown as { send: (method: string, params?: { browserContextId?: string }) => Promise<unknown> }
  const original = browser.send.bind(browser)
  let reads = 0
  browser.send = (method, params) => {
    if (method === 'Storage.getCookies' && params?.browserContextId === binding.contextId) reads++
    return original(method, params)
  }
  return {
    count: () => reads,
    restore: () => {
      delete (browser as { send?: unknown }).send
    },
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}

function host(server: TestServer): string {
  return new URL(server.origin).hostname
}

describe('cookies changed event', () => {
  test('document.cookie in a page loaded before listening fires (cookie, explicit, false) with Electron fields', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    const before = Date.now() / 1000
    await wc.executeJavaScript(`document.cookie = 'a=1; path=/; max-age=3600'`)
    await waitFor(() => rec.changes.length >= 1, 'the change event')
    await sleep(100)
    expect(rec.lines()).toEqual(['a=1 explicit added'])
    const { cookie } = rec.changes[0] as Change
    expect(cookie).toMatchObject({ name: 'a', value: '1', domain: host(server), hostOnly: true, path: '/', secure: false, httpOnly: false, session: false, sameSite: 'unspecified' })
    expect(cookie.expirationDate).toBeGreaterThan(before + 3590)
    expect(cookie.expirationDate).toBeLessThan(before + 3610)
  })

  test('overwrite and deletion via document.cookie in a page opened while listening', async ({ session, server }) => {
    const rec = recorder()
    const first = await pageAt(session, server.url('/empty.html'))
    await listen(session, first, rec)
    // A new page and a new document: the wrapper comes from the new-document script.
    const wc = await pageAt(session, server.url('/title.html'))
    await wc.executeJavaScript(`document.cookie = 'b=1; path=/'`)
    await waitFor(() => rec.changes.length >= 1, 'b=1')
    await wc.executeJavaScript(`document.cookie = 'b=2; path=/'`)
    await waitFor(() => rec.changes.length >= 3, 'the overwrite')
    // Chromium deletes an existing cookie set again with a past expiry as EXPIRED_OVERWRITE.
    await wc.executeJavaScript(`document.cookie = 'b=; path=/; max-age=0'`)
    await waitFor(() => rec.changes.length >= 4, 'the deletion')
    await sleep(150)
    expect(rec.lines()).toEqual(['b=1 explicit added', 'b=1 overwrite removed', 'b=2 explicit added', 'b=2 expired-overwrite removed'])
    // Deleting a cookie that does not exist changes nothing.
    await wc.executeJavaScript(`document.cookie = 'never=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT'`)
    await sleep(300)
    expect(rec.changes).toHaveLength(4)
  })

  test('CookieStore.set / delete fire explicit/added and expired-overwrite/removed', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    await wc.executeJavaScript(`cookieStore.set('cs', 'one')`)
    await waitFor(() => rec.changes.length >= 1, 'cookieStore.set')
    await wc.executeJavaScript(`cookieStore.set({ name: 'cs', value: 'two' })`)
    await waitFor(() => rec.changes.length >= 3, 'cookieStore.set overwrite')
    await wc.executeJavaScript(`cookieStore.delete('cs')`)
    await waitFor(() => rec.changes.length >= 4, 'cookieStore.delete')
    await sleep(150)
    expect(rec.lines()).toEqual(['cs=one explicit added', 'cs=one overwrite removed', 'cs=two explicit added', 'cs=two expired-overwrite removed'])
  })

  test('a burst of CookieStore writes of one cookie reports every change, in order', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    await wc.executeJavaScript(`Promise.all(Array.from({ length: 8 }, (_, i) => cookieStore.set('cb', 'v' + i)))`)
    await waitFor(() => rec.lines().at(-1) === 'cb=v7 explicit added', 'cb=v7')
    await sleep(300)
    const expected = ['cb=v0 explicit added']
    for (let i = 1; i < 8; i++) expected.push(`cb=v${i - 1} overwrite removed`, `cb=v${i} explicit added`)
    expect(rec.lines()).toEqual(expected)
  })

  test('Set-Cookie from a navigation, a fetch, a dedicated worker and a same-site iframe fires, promptly (not by the 1 s poll)', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)

    const timed = async (name: string, action: () => Promise<unknown>): Promise<number> => {
      const start = Date.now()
      await action()
      await waitFor(() => rec.changes.some((c) => c.cookie.name === name), `${name} event`)
      return (rec.changes.find((c) => c.cookie.name === name) as Change).at - start
    }
    const latencies: Record<string, number> = {}
    latencies.navigation = await timed('nav', () => wc.loadURL(server.url('/set-cookie?nav=1')))
    latencies.fetch = await timed('fetched', () => wc.executeJavaScript(`fetch('/set-cookie?fetched=1').then((r) => r.text())`))
    server.setContent('/cookie-worker.js', `fetch('/set-cookie?worker=1').then((r) => r.text()).then(() => postMessage('done'))`, 'text/javascript')
    latencies.worker = await timed('worker', () =>
      wc.executeJavaScript(`new Promise((resolve) => { const w = new Worker('/cookie-worker.js'); w.onmessage = () => resolve(true) })`),
    )
    latencies.iframe = await timed('framed', () =>
      wc.executeJavaScript(`new Promise((resolve) => { const f = document.createElement('iframe'); f.onload = () => resolve(true); f.src = '/set-cookie?framed=1'; document.body.append(f) })`),
    )
    await sleep(150)
    expect(rec.lines()).toEqual(['nav=1 explicit added', 'fetched=1 explicit added', 'worker=1 explicit added', 'framed=1 explicit added'])
    expect(rec.changes.map((c) => c.cookie.path)).toEqual(['/', '/', '/', '/'])
    console.log('Set-Cookie → event latency (ms, from the start of the action):', latencies)
    for (const ms of Object.values(latencies)) expect(ms).toBeLessThan(800)
  })

  test('document.cookie in a cross-site iframe (its own target) fires promptly: a partitioned cookie', async ({ server }) => {
    // Chromium keeps third-party cookies out of the store, so the frame writes a
    // partitioned (CHIPS) cookie, which needs https: this test has its own browser.
    const browser = await launchTestBrowser({ args: ['--ignore-certificate-errors'] })
    try {
      const session = browser.session.fromPartition(`cookie-changes-oopif-${process.pid}`)
      const wc = await pageAt(session, server.https.url('/empty.html'))
      const rec = recorder()
      await listen(session, wc, rec)
      server.setContent(
        '/frame-writes.html',
        `<!doctype html><script>addEventListener('message', (e) => { document.cookie = 'chip=' + e.data + '; path=/; SameSite=None; Secure; Partitioned'; parent.postMessage('written', '*') })</script>`,
      )
      await wc.executeJavaScript(
        `new Promise((resolve) => { const f = document.createElement('iframe'); f.id = 'x'; f.onload = () => resolve(true); f.src = ${JSON.stringify(`${server.https.crossOrigin}/frame-writes.html`)}; document.body.append(f) })`,
      )
      expect((await liveTargetsOf(session)).map((t) => t.kind)).toContain('iframe')
      const latencies: number[] = []
      for (let i = 1; i <= 3; i++) {
        const started = Date.now()
        await wc.executeJavaScript(`new Promise((resolve) => { addEventListener('message', resolve, { once: true }); document.getElementById('x').contentWindow.postMessage('${i}', '*') })`)
        await waitFor(() => rec.changes.some((c) => c.cookie.value === String(i) && !c.removed), `chip=${i}`, 3000)
        latencies.push((rec.changes.find((c) => c.cookie.value === String(i) && !c.removed) as Change).at - started)
      }
      await sleep(150)
      expect(rec.lines()).toEqual(['chip=1 explicit added', 'chip=1 overwrite removed', 'chip=2 explicit added', 'chip=2 overwrite removed', 'chip=3 explicit added'])
      expect(rec.changes[0]?.cookie).toMatchObject({ domain: 'localhost', secure: true, sameSite: 'no_restriction', session: true })
      console.log('cross-site iframe write → event (ms):', latencies)
      // The 1 s poll would make these up to a second; the frame's own binding makes them prompt.
      for (const ms of latencies) expect(ms).toBeLessThan(250)
    } finally {
      await browser.close()
    }
  })

  test('changes through ses.cookies.set / remove fire as in Electron, promptly', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    const url = `${server.origin}/`
    const timed = async (count: number, action: () => Promise<unknown>): Promise<number> => {
      const start = Date.now()
      await action()
      await waitFor(() => rec.changes.length >= count, `${count} events`)
      return (rec.changes[count - 1] as Change).at - start
    }
    const latencies = [
      await timed(1, () => session.cookies.set({ url, name: 'api', value: '1' })),
      await timed(3, () => session.cookies.set({ url, name: 'api', value: '2', expirationDate: Date.now() / 1000 + 60, httpOnly: true })),
      await timed(4, () => session.cookies.remove(url, 'api')),
    ]
    await sleep(150)
    expect(rec.lines()).toEqual(['api=1 explicit added', 'api=1 overwrite removed', 'api=2 explicit added', 'api=2 explicit removed'])
    expect(rec.changes[2]?.cookie).toMatchObject({ httpOnly: true, session: false, hostOnly: true, domain: host(server) })
    console.log('cookies.set/set/remove → event (ms):', latencies)
    for (const ms of latencies) expect(ms).toBeLessThan(250)

    // Ten sets in one tick: ten events, each once.
    rec.changes.length = 0
    await Promise.all(Array.from({ length: 10 }, (_, i) => session.cookies.set({ url, name: `many${i}`, value: 'v' })))
    await waitFor(() => rec.changes.length >= 10, '10 events')
    await sleep(300)
    expect([...rec.lines()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `many${i}=v explicit added`).sort())
  })

  // Chromium replaces a cookie even by an equal one and reports both halves:
  // CookieMonster::MaybeDeleteEquivalentCookieAndUpdateStatus deletes the old
  // one with DELETE_COOKIE_OVERWRITE without comparing values, then
  // SetCanonicalCookie inserts the new one. The store does not change, so these
  // come from the writes themselves.
  describe('an identical rewrite fires (old, overwrite, true) then (new, explicit, false)', () => {
    const pair = (name: string, value: string): string[] => [`${name}=${value} overwrite removed`, `${name}=${value} explicit added`]

    test('through ses.cookies.set; a set Chromium refuses fires nothing', async ({ session, server }) => {
      const wc = await pageAt(session, server.url('/empty.html'))
      const rec = recorder()
      await listen(session, wc, rec)
      const url = `${server.origin}/`
      await session.cookies.set({ url, name: 'same', value: '1' })
      await waitFor(() => rec.changes.length >= 1, 'the first set')
      await session.cookies.set({ url, name: 'same', value: '1' })
      await waitFor(() => rec.changes.length >= 3, 'the rewrite')
      // Two in one tick: one Storage.setCookies, two replacements.
      await Promise.all([session.cookies.set({ url, name: 'same', value: '1' }), session.cookies.set({ url, name: 'same', value: '1' })])
      await waitFor(() => rec.changes.length >= 7, 'two more rewrites')
      await session.cookies.set({ url, name: 'locked', value: 'v', httpOnly: true })
      await waitFor(() => rec.changes.length >= 8, 'the httpOnly cookie')
      // Chromium refuses a non-HttpOnly set over an HttpOnly cookie from this API (EXCLUDE_OVERWRITE_HTTP_ONLY).
      await expect(session.cookies.set({ url, name: 'locked', value: 'v' })).rejects.toThrow(/EXCLUDE_OVERWRITE_HTTP_ONLY/)
      await sleep(300)
      expect(rec.lines()).toEqual(['same=1 explicit added', ...pair('same', '1'), ...pair('same', '1'), ...pair('same', '1'), 'locked=v explicit added'])
      expect(rec.changes[1]?.cookie).toMatchObject({ domain: host(server), path: '/', session: true })
    })

    test('through document.cookie, also twice in one read window', async ({ session, server }) => {
      const wc = await pageAt(session, server.url('/empty.html'))
      const rec = recorder()
      await listen(session, wc, rec)
      await wc.executeJavaScript(`document.cookie = 'dc=1; path=/'`)
      await waitFor(() => rec.changes.length >= 1, 'dc=1')
      await wc.executeJavaScript(`document.cookie = 'dc=1; path=/'`)
      await waitFor(() => rec.changes.length >= 3, 'the rewrite')
      await wc.executeJavaScript(`document.cookie = 'dc=1; path=/'; document.cookie = 'dc=1'`)
      await waitFor(() => rec.changes.length >= 7, 'two more rewrites')
      await sleep(300)
      expect(rec.lines()).toEqual(['dc=1 explicit added', ...pair('dc', '1'), ...pair('dc', '1'), ...pair('dc', '1')])
    })

    test('through Set-Cookie (navigation and fetch)', async ({ session, server }) => {
      const wc = await pageAt(session, server.url('/empty.html'))
      const rec = recorder()
      await listen(session, wc, rec)
      await wc.loadURL(server.url('/set-cookie?sc=1'))
      await waitFor(() => rec.changes.length >= 1, 'sc=1')
      await wc.loadURL(server.url('/set-cookie?sc=1'))
      await waitFor(() => rec.changes.length >= 3, 'the rewrite by a navigation')
      await wc.executeJavaScript(`fetch('/set-cookie?sc=1').then((r) => r.text())`)
      await waitFor(() => rec.changes.length >= 5, 'the rewrite by a fetch')
      await sleep(300)
      expect(rec.lines()).toEqual(['sc=1 explicit added', ...pair('sc', '1'), ...pair('sc', '1')])
    })

    test('through the Set-Cookie of a 302 (navigation and fetch, reached directly or by another redirect), with the default path of the redirecting url', async ({ session, server }) => {
      // No Path attribute: the cookie's path comes from the 302's own url (/redir), not from the page it leads to.
      server.setRoute('/redir/set', (_req, res) => {
        res.writeHead(302, { 'Set-Cookie': 'rd=1', 'Location': '/empty.html', 'Content-Length': '0', 'Cache-Control': 'no-store' })
        res.end()
      })
      server.setRedirect('/redir/via', '/redir/set')
      const wc = await pageAt(session, server.url('/empty.html'))
      const rec = recorder()
      await listen(session, wc, rec)
      await wc.loadURL(server.url('/redir/set'))
      await waitFor(() => rec.changes.length >= 1, 'rd=1')
      await wc.loadURL(server.url('/redir/set'))
      await waitFor(() => rec.changes.length >= 3, 'the rewrite by a redirected navigation')
      await wc.loadURL(server.url('/redir/via'))
      await waitFor(() => rec.changes.length >= 5, 'the rewrite by a navigation redirected twice')
      await wc.executeJavaScript(`fetch('/redir/set').then((r) => r.text())`)
      await waitFor(() => rec.changes.length >= 7, 'the rewrite by a redirected fetch')
      await wc.executeJavaScript(`fetch('/redir/via').then((r) => r.text())`)
      await waitFor(() => rec.changes.length >= 9, 'the rewrite by a fetch redirected twice')
      await sleep(300)
      expect(rec.lines()).toEqual(['rd=1 explicit added', ...pair('rd', '1'), ...pair('rd', '1'), ...pair('rd', '1'), ...pair('rd', '1')])
      for (const change of rec.changes) expect(change.cookie).toMatchObject({ domain: host(server), path: '/redir' })
      expect(wc.getURL()).toBe(server.url('/empty.html'))
    })

    test('through the Set-Cookie of a 302 that a webRequest redirectURL led to (that redirect sends Chromium no headers)', async ({ session, server }) => {
      server.setRoute('/redir/set', (_req, res) => {
        res.writeHead(302, { 'Set-Cookie': 'rd=1', 'Location': '/empty.html', 'Content-Length': '0', 'Cache-Control': 'no-store' })
        res.end()
      })
      session.webRequest.onBeforeRequest({ urls: ['*://*/wr/*'] }, (_details, callback) => callback({ redirectURL: server.url('/redir/set') }))
      const wc = await pageAt(session, server.url('/empty.html'))
      const rec = recorder()
      await listen(session, wc, rec)
      await wc.loadURL(server.url('/wr/start'))
      await waitFor(() => rec.changes.length >= 1, 'rd=1')
      await wc.loadURL(server.url('/wr/start'))
      await waitFor(() => rec.changes.length >= 3, 'the rewrite by a navigation')
      await wc.executeJavaScript(`fetch('/wr/start').then((r) => r.text())`)
      await waitFor(() => rec.changes.length >= 5, 'the rewrite by a fetch')
      await sleep(300)
      expect(rec.lines()).toEqual(['rd=1 explicit added', ...pair('rd', '1'), ...pair('rd', '1')])
      for (const change of rec.changes) expect(change.cookie).toMatchObject({ domain: host(server), path: '/redir' })
      expect(server.requestCount('/wr/start')).toBe(0)
    })

    test('through a redirect chain whose hops set different cookies, across sites: each once, with its own hop\'s domain and path', async ({ session, server }) => {
      // localhost/c1/hop → 302 (h1) → 127.0.0.1/c2/hop → 302 (h2) → /c3/page → 200 (h3); no Path attribute: each
      // cookie's path is its hop's directory, its domain its hop's host.
      const hop = (cookie: string, location: string): RouteHandler => (_req, res) => {
        res.writeHead(302, { 'Set-Cookie': cookie, 'Location': location, 'Content-Length': '0', 'Cache-Control': 'no-store' })
        res.end()
      }
      server.setRoute('/c1/hop', hop('h1=a', `${server.origin}/c2/hop`))
      server.setRoute('/c2/hop', hop('h2=b', '/c3/page'))
      server.setContent('/c3/page', '<p>end</p>', 'text/html; charset=utf-8', { 'Set-Cookie': 'h3=c', 'Cache-Control': 'no-store' })
      const wc = await pageAt(session, server.url('/empty.html'))
      const rec = recorder()
      await listen(session, wc, rec)
      const start = `${server.crossOrigin}/c1/hop`
      await wc.loadURL(start)
      await waitFor(() => rec.changes.length >= 3, 'the three cookies')
      await wc.loadURL(start)
      await waitFor(() => rec.changes.length >= 9, 'the three rewrites')
      await sleep(300)
      expect(rec.lines()).toEqual(['h1=a explicit added', 'h2=b explicit added', 'h3=c explicit added', ...pair('h1', 'a'), ...pair('h2', 'b'), ...pair('h3', 'c')])
      const where: Record<string, { domain: string; path: string }> = {
        h1: { domain: 'localhost', path: '/c1' },
        h2: { domain: host(server), path: '/c2' },
        h3: { domain: host(server), path: '/c3' },
      }
      for (const change of rec.changes) expect(change.cookie).toMatchObject(where[change.cookie.name] ?? {})
      expect(wc.getURL()).toBe(server.url('/c3/page'))
    })

    test('through CookieStore.set', async ({ session, server }) => {
      const wc = await pageAt(session, server.url('/empty.html'))
      const rec = recorder()
      await listen(session, wc, rec)
      await wc.executeJavaScript(`cookieStore.set('cs', 'one')`)
      await waitFor(() => rec.changes.length >= 1, 'cs=one')
      await wc.executeJavaScript(`cookieStore.set({ name: 'cs', value: 'one', path: '/' })`)
      await waitFor(() => rec.changes.length >= 3, 'the rewrite')
      await sleep(300)
      expect(rec.lines()).toEqual(['cs=one explicit added', ...pair('cs', 'one')])
    })

    test('a same-value write Chromium refuses fires nothing', async ({ session, server }) => {
      // a.test is not localhost: an http page there may not set Secure cookies.
      const origin = `http://a.test:${server.port}`
      const wc = await pageAt(session, `${origin}/empty.html`)
      const rec = recorder()
      await listen(session, wc, rec)
      await session.cookies.set({ url: `${origin}/`, name: 'plain', value: '1' })
      await session.cookies.set({ url: `https://a.test:${server.port}/`, name: 'sec', value: '1', secure: true })
      await session.cookies.set({ url: `${origin}/`, name: 'http', value: '1', httpOnly: true })
      await waitFor(() => rec.changes.length >= 3, 'the three cookies')
      rec.changes.length = 0
      await wc.executeJavaScript(
        [
          `document.cookie = 'plain=1; path=/; domain=other.example'`, // invalid domain
          `document.cookie = 'sec=1; path=/; Secure'`, // Secure from an insecure url
          `document.cookie = 'sec=1; path=/'`, // would overwrite a Secure cookie from an insecure url
          `document.cookie = 'http=1; path=/'`, // would overwrite an HttpOnly cookie from script
          `document.cookie = 'plain=1; path=/; HttpOnly'`, // HttpOnly from script
        ].join('; '),
      )
      await wc.loadURL(`${origin}/set-cookie?sec=${encodeURIComponent('1; Secure')}`) // Secure from http: blockedCookies
      await wc.executeJavaScript(`document.cookie = 'after=1; path=/'`)
      await waitFor(() => rec.changes.length >= 1, 'the write after the refused ones')
      await sleep(300)
      expect(rec.lines()).toEqual(['after=1 explicit added'])
      expect((await session.cookies.get({ name: 'sec' }))[0]).toMatchObject({ value: '1', secure: true })
    })
  })

  test('cookies.set with a past expirationDate over an existing cookie fires (old, expired-overwrite, true)', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    const url = `${server.origin}/`
    await session.cookies.set({ url, name: 'gone', value: 'v', expirationDate: Date.now() / 1000 + 60 })
    await waitFor(() => rec.changes.length >= 1, 'the added event')
    await session.cookies.set({ url, name: 'gone', value: 'v', expirationDate: Date.now() / 1000 - 60 })
    await waitFor(() => rec.changes.length >= 2, 'the removal event')
    await sleep(150)
    expect(rec.lines()).toEqual(['gone=v explicit added', 'gone=v expired-overwrite removed'])
    expect(await session.cookies.get({ name: 'gone' })).toEqual([])
  })

  test('cookieStore.set in a service worker fires promptly', async ({ session, server }) => {
    server.setContent(
      '/cookie-sw.js',
      `self.addEventListener('install', (e) => e.waitUntil(self.skipWaiting()))
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()))
self.addEventListener('message', (e) => { e.waitUntil(cookieStore.set('sw', String(e.data)).then(() => e.source.postMessage('done'))) })`,
      'text/javascript',
    )
    const wc = await pageAt(session, server.url('/empty.html'))
    await wc.executeJavaScript(`navigator.serviceWorker.register('/cookie-sw.js').then(() => navigator.serviceWorker.ready).then(() => true)`)
    const rec = recorder()
    await listen(session, wc, rec)
    const latencies: number[] = []
    for (let i = 1; i <= 3; i++) {
      const started = Date.now()
      await wc.executeJavaScript(
        `new Promise(async (resolve) => { const reg = await navigator.serviceWorker.ready; navigator.serviceWorker.addEventListener('message', resolve, { once: true }); reg.active.postMessage(${i}) }).then(() => true)`,
      )
      await waitFor(() => rec.changes.some((c) => c.cookie.value === String(i) && !c.removed), `sw=${i}`, 3000)
      latencies.push((rec.changes.find((c) => c.cookie.value === String(i) && !c.removed) as Change).at - started)
    }
    await sleep(150)
    expect(rec.lines()).toEqual(['sw=1 explicit added', 'sw=1 overwrite removed', 'sw=2 explicit added', 'sw=2 overwrite removed', 'sw=3 explicit added'])
    console.log('service worker cookieStore.set → event (ms):', latencies)
    for (const ms of latencies) expect(ms).toBeLessThan(250)
  })

  test('going over Chromium\'s 180 cookies per domain fires (cookie, evicted, true) for the purged ones', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    await wc.executeJavaScript(`for (let i = 0; i < 149; i++) document.cookie = 'pre' + i + '=v; path=/'`)
    const rec = recorder()
    await listen(session, wc, rec) // the sentinel is cookie 150
    // 31 more: the 181st insert makes Chromium purge the domain down to 150 (180 - 30).
    await wc.executeJavaScript(`for (let i = 0; i < 31; i++) document.cookie = 'post' + i + '=v; path=/'`)
    await waitFor(() => rec.changes.length >= 62, '31 inserts and 31 evictions')
    await sleep(300)
    const added = rec.changes.filter((c) => !c.removed)
    const removed = rec.changes.filter((c) => c.removed)
    expect(added.map((c) => `${c.cookie.name} ${c.cause}`)).toEqual(Array.from({ length: 31 }, (_, i) => `post${i} explicit`))
    expect(new Set(removed.map((c) => c.cause))).toEqual(new Set(['evicted']))
    // Chromium purges the least recently used: the oldest ones written.
    expect(removed.map((c) => c.cookie.name)).toEqual(Array.from({ length: 31 }, (_, i) => `pre${i}`))
    expect(rec.changes).toHaveLength(62)
  })

  test('a cookie that expires fires (cookie, expired, true) at its expiry', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    await wc.executeJavaScript(`document.cookie = 'short=1; path=/; max-age=2'`)
    await waitFor(() => rec.changes.length >= 1, 'short=1')
    const expiry = (rec.changes[0] as Change).cookie.expirationDate as number
    await waitFor(() => rec.changes.length >= 2, 'the expiry', 5000)
    expect(rec.lines()).toEqual(['short=1 explicit added', 'short=1 expired removed'])
    const late = (rec.changes[1] as Change).at - expiry * 1000
    console.log(`expiry reported ${late} ms after the cookie's expirationDate`)
    expect(late).toBeGreaterThanOrEqual(0)
    expect(late).toBeLessThan(300)
  })

  test('a change in another session fires nothing here', async ({ browser, session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    const other = browser.session.fromPartition(`cookie-changes-other-${process.pid}`)
    try {
      const otherWc = await pageAt(other, server.url('/empty.html'))
      await otherWc.executeJavaScript(`document.cookie = 'elsewhere=1; path=/'`)
      await otherWc.loadURL(server.url('/set-cookie?elsewhere2=1'))
      // A later change here proves the tracker read the store after the other session's writes.
      await wc.executeJavaScript(`document.cookie = 'here=1; path=/'`)
      await waitFor(() => rec.changes.length >= 1, 'here=1')
      await sleep(1200) // one poll period too
      expect(rec.lines()).toEqual(['here=1 explicit added'])
    } finally {
      await other.close()
    }
  })

  test('removing the last listener stops all reads; a new listener reports only later changes', async ({ session, server }) => {
    const reads = await countCookieReads(session)
    try {
      const wc = await pageAt(session, server.url('/empty.html'))
      const rec = recorder()
      await listen(session, wc, rec)
      await sleep(1100)
      expect(reads.count()).toBeGreaterThan(0) // the poll runs while listening
      session.cookies.off('changed', rec.listener as never)
      await sleep(50) // a read in flight at the time may still complete
      const after = reads.count()
      // Page writes, Set-Cookie, a cookie with a near expiry, and two poll periods.
      await wc.executeJavaScript(`document.cookie = 'unheard=1; path=/; max-age=1'; cookieStore.set('unheard2', '1')`)
      await wc.loadURL(server.url('/set-cookie?unheard3=1'))
      await wc.executeJavaScript(`document.cookie = 'unheard4=1; path=/'`)
      await sleep(2200)
      expect(reads.count()).toBe(after)
      expect(rec.changes).toEqual([])

      // Listening again: earlier changes (including the expiry that happened meanwhile) are not replayed.
      await listen(session, wc, rec)
      await wc.executeJavaScript(`document.cookie = 'heard=1; path=/'`)
      await waitFor(() => rec.changes.length >= 1, 'heard=1')
      await sleep(300)
      expect(rec.lines()).toEqual(['heard=1 explicit added'])
    } finally {
      reads.restore()
    }
  })

  test('closing a session while listening stops its tracking', async ({ browser, server }) => {
    const session = browser.session.fromPartition(`cookie-changes-closing-${process.pid}`)
    const reads = await countCookieReads(session)
    try {
      const wc = await pageAt(session, server.url('/empty.html'))
      const rec = recorder()
      await listen(session, wc, rec)
      await session.close()
      const after = reads.count()
      await sleep(1300) // more than one poll period
      expect(reads.count()).toBe(after)
      expect(session.cookies.listenerCount('changed')).toBe(1) // the listener stays; the work stopped
    } finally {
      reads.restore()
    }
  })

  test('the throwaway cookie of the cookie-store flush (domain cdp-session-flush.invalid) is never reported', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    const binding = await bindingOf(session)
    const expires = Math.floor(Date.now() / 1000) + 600
    await binding.browser.send('Storage.setCookies', {
      browserContextId: binding.contextId,
      cookies: [
        { name: '__cdp_session_flush_x', value: '1', domain: 'cdp-session-flush.invalid', path: '/', expires },
        { name: 'visible', value: '1', domain: 'elsewhere.test', path: '/', expires },
      ],
    })
    await waitFor(() => rec.changes.length >= 1, 'the visible cookie (poll)', 3000)
    await sleep(1200)
    expect(rec.lines()).toEqual(['visible=1 explicit added'])
  })

  test('20 rapid document.cookie writes of different cookies: all reported once, in write order', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    // Varying paths too: the store lists cookies by path length, not by write order.
    await wc.executeJavaScript(`for (let i = 0; i < 20; i++) document.cookie = 'r' + i + '=v; path=/' + (i % 3 === 0 ? '' : 'p' + (20 - i))`)
    await waitFor(() => rec.changes.length >= 20, '20 events')
    await sleep(1200)
    expect(rec.lines()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}=v explicit added`))
  })

  test('writes of one cookie: one per round trip, and a synchronous burst of 20, are all reported in order', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    for (let i = 0; i < 10; i++) {
      await wc.executeJavaScript(`document.cookie = 'seq=${i}; path=/'`)
      await waitFor(() => rec.lines().at(-1) === `seq=${i} explicit added`, `seq=${i}`)
    }
    const expected = ['seq=0 explicit added']
    for (let i = 1; i < 10; i++) expected.push(`seq=${i - 1} overwrite removed`, `seq=${i} explicit added`)
    expect(rec.lines()).toEqual(expected)

    // Many writes land between two reads of the store: each write's own line
    // (sent by the page wrapper) lets the tracker replay them one by one.
    rec.changes.length = 0
    await wc.executeJavaScript(`for (let i = 10; i < 30; i++) document.cookie = 'seq=' + i + '; path=/'`)
    await waitFor(() => rec.lines().at(-1) === 'seq=29 explicit added', 'seq=29')
    await sleep(300)
    const burst: string[] = []
    for (let i = 10; i < 30; i++) burst.push(`seq=${i - 1} overwrite removed`, `seq=${i} explicit added`)
    expect(rec.lines()).toEqual(burst)
  })

  test('two cookies of one name on different paths written in turns, in one burst: every change, in write order', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    await wc.executeJavaScript(`for (let i = 0; i < 6; i++) { document.cookie = 'twin=' + i + '; path=/'; document.cookie = 'twin=' + i + '; path=/sub' }`)
    await waitFor(() => rec.changes.filter((c) => !c.removed && c.cookie.value === '5').length >= 2, 'twin=5 on both paths')
    await sleep(300)
    const expected = ['/ twin=0 explicit added', '/sub twin=0 explicit added']
    for (let i = 1; i < 6; i++) {
      for (const path of ['/', '/sub']) expected.push(`${path} twin=${i - 1} overwrite removed`, `${path} twin=${i} explicit added`)
    }
    expect(rec.changes.map((c) => `${c.cookie.path} ${c.cookie.name}=${c.cookie.value} ${c.cause} ${c.removed ? 'removed' : 'added'}`)).toEqual(expected)
  })

  test('latency: page write → event in Node over 50 writes (p50/p95)', async ({ session, server }) => {
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    const latencies: number[] = []
    for (let i = 0; i < 50; i++) {
      const writtenAt = (await wc.executeJavaScript(`document.cookie = 'lat${i}=1; path=/'; Date.now()`)) as number
      await waitFor(() => rec.changes.some((c) => c.cookie.name === `lat${i}`), `lat${i}`)
      latencies.push((rec.changes.find((c) => c.cookie.name === `lat${i}`) as Change).at - writtenAt)
    }
    latencies.sort((a, b) => a - b)
    const p50 = percentile(latencies, 50)
    const p95 = percentile(latencies, 95)
    console.log(`document.cookie → 'changed' latency over 50 writes: p50 ${p50} ms, p95 ${p95} ms, max ${latencies.at(-1)} ms`)
    expect(rec.changes).toHaveLength(50)
    // The numbers are a measurement (logged above); what is asserted is the mechanism: most
    // events come from the page's write hook, not from the 1 s poll of the store.
    expect(p50).toBeLessThan(1000)
  })

  test('latency with 2000 cookies in the store (each read lists them all)', async ({ session, server }) => {
    const binding = await bindingOf(session)
    const cookies = Array.from({ length: 2000 }, (_, i) => ({ name: `bulk${i}`, value: 'x'.repeat(40), domain: `d${i % 40}.test`, path: '/' }))
    await binding.browser.send('Storage.setCookies', { cookies, browserContextId: binding.contextId })
    const started = Date.now()
    await binding.browser.send('Storage.getCookies', { browserContextId: binding.contextId })
    const readMs = Date.now() - started
    const wc = await pageAt(session, server.url('/empty.html'))
    const rec = recorder()
    await listen(session, wc, rec)
    const latencies: number[] = []
    for (let i = 0; i < 20; i++) {
      const writtenAt = (await wc.executeJavaScript(`document.cookie = 'big${i}=1; path=/'; Date.now()`)) as number
      await waitFor(() => rec.changes.some((c) => c.cookie.name === `big${i}`), `big${i}`)
      latencies.push((rec.changes.find((c) => c.cookie.name === `big${i}`) as Change).at - writtenAt)
    }
    latencies.sort((a, b) => a - b)
    console.log(`2000 cookies: one Storage.getCookies ${readMs} ms; write → event p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms`)
    expect(rec.changes).toHaveLength(20)
    // A measurement (logged); asserted: the write hook, not the 1 s poll, delivers most events.
    expect(percentile(latencies, 50)).toBeLessThan(1000)
  })
})
