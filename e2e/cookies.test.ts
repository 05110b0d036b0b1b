import fc from 'fast-check'
import { SessionClosedError, ValidationError, type Browser, type Session } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'
import type { TestServer } from './fixtures/server.js'
import { bindingOf } from './fixtures/internals.js'

let partitionCounter = 0
function uniquePartition(label: string): string {
  return `cookies-${label}-${process.pid}-${++partitionCounter}`
}

const at = (server: TestServer, host: string, path = '/') => `http://${host}:${server.port}${path}`
const names = (cookies: { name: string }[]) => cookies.map((c) => c.name).sort()

/** Loads `url` in a fresh page of `session` and returns the Cookie header the server received for it. */
async function cookieHeaderSent(session: Session, server: TestServer, url: string): Promise<string> {
  const path = new URL(url).pathname
  server.setContent(path, '<title>cookie echo</title>')
  const seen = server.waitForRequest(path)
  const wc = await session.createWebContents()
  try {
    await wc.loadURL(url)
    const request = await seen
    return request.headers.cookie ?? ''
  } finally {
    await wc.close()
  }
}

async function expectRejection(promise: Promise<unknown>): Promise<Error> {
  let thrown: unknown
  try {
    await promise
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(Error)
  return thrown as Error
}

async function expectElectronRefusal(promise: Promise<unknown>, text: string): Promise<void> {
  const error = await expectRejection(promise)
  expect(error).not.toBeInstanceOf(ValidationError)
  expect(error.message).toContain(`Failed to set cookie - ${text}`)
}

describe('ses.cookies', () => {
  test('set → get round-trips every field', async ({ session, server }) => {
    const expires = Math.round(Date.now() / 1000) + 3600
    await session.cookies.set({
      url: `https://sub.a.test:${server.https.port}/app/page`,
      name: 'full',
      value: 'v=1',
      domain: 'a.test',
      path: '/app',
      secure: true,
      httpOnly: true,
      expirationDate: expires,
      sameSite: 'strict',
    })
    const [cookie, ...rest] = await session.cookies.get({})
    expect(rest).toEqual([])
    expect(cookie).toMatchObject({
      name: 'full',
      value: 'v=1',
      domain: '.a.test',
      hostOnly: false,
      path: '/app',
      secure: true,
      httpOnly: true,
      session: false,
      sameSite: 'strict',
    })
    expect(cookie?.expirationDate).toBeCloseTo(expires, 0)
  })

  test('defaults: host-only, the url directory as path, lax, session cookie', async ({ session, server }) => {
    await session.cookies.set({ url: at(server, 'a.test', '/dir/sub/page.html'), name: 'd', value: '1' })
    const cookies = await session.cookies.get({})
    expect(cookies).toEqual([
      { name: 'd', value: '1', domain: 'a.test', hostOnly: true, path: '/dir/sub', secure: false, httpOnly: false, session: true, sameSite: 'lax' },
    ])
    await session.cookies.set({ url: at(server, 'a.test', '/'), name: 'u', value: '1', sameSite: 'unspecified' })
    expect((await session.cookies.get({ name: 'u' }))[0]).toMatchObject({ path: '/', sameSite: 'unspecified' })
    await session.cookies.set({ url: `https://a.test:${server.https.port}/`, name: 'n', value: '1', sameSite: 'no_restriction' })
    // Electron: secure defaults to true for no_restriction.
    expect((await session.cookies.get({ name: 'n' }))[0]).toMatchObject({ secure: true, sameSite: 'no_restriction' })
  })

  test('get({ url }): host-only vs domain cookies across a.test and sub.a.test', async ({ session, server }) => {
    await session.cookies.set({ url: at(server, 'a.test'), name: 'hostA', value: '1' })
    await session.cookies.set({ url: at(server, 'a.test'), name: 'domA', value: '1', domain: 'a.test' })
    await session.cookies.set({ url: at(server, 'sub.a.test'), name: 'hostSub', value: '1' })
    await session.cookies.set({ url: at(server, 'sub.a.test'), name: 'domParent', value: '1', domain: '.a.test' })
    await session.cookies.set({ url: at(server, 'b.test'), name: 'hostB', value: '1' })
    expect(names(await session.cookies.get({ url: at(server, 'a.test', '/x') }))).toEqual(['domA', 'domParent', 'hostA'])
    expect(names(await session.cookies.get({ url: at(server, 'sub.a.test', '/x') }))).toEqual(['domA', 'domParent', 'hostSub'])
    expect(names(await session.cookies.get({ url: at(server, 'deep.sub.a.test', '/') }))).toEqual(['domA', 'domParent'])
    expect(names(await session.cookies.get({ url: at(server, 'b.test', '/') }))).toEqual(['hostB'])
    expect(names(await session.cookies.get({ url: at(server, 'c.test', '/') }))).toEqual([])
    // and Chromium agrees: it sends exactly these to a page load of sub.a.test
    const header = await cookieHeaderSent(session, server, at(server, 'sub.a.test', '/x'))
    expect(header.split('; ').map((p) => p.split('=')[0]).sort()).toEqual(['domA', 'domParent', 'hostSub'])
  })

  test('get({ url }): path prefix match', async ({ session, server }) => {
    for (const path of ['/', '/foo', '/foo/', '/foo/bar', '/foobar']) {
      await session.cookies.set({ url: at(server, 'a.test'), name: `p${path}`, value: '1', path })
    }
    expect(names(await session.cookies.get({ url: at(server, 'a.test', '/foo') }))).toEqual(['p/', 'p/foo'])
    expect(names(await session.cookies.get({ url: at(server, 'a.test', '/foo/bar/baz?q=1') }))).toEqual(['p/', 'p/foo', 'p/foo/', 'p/foo/bar'])
    expect(names(await session.cookies.get({ url: at(server, 'a.test', '/foobar') }))).toEqual(['p/', 'p/foobar'])
    expect(names(await session.cookies.get({ url: at(server, 'a.test', '/fo') }))).toEqual(['p/'])
    // longest path first, like a Cookie header
    expect((await session.cookies.get({ url: at(server, 'a.test', '/foo/bar') })).map((c) => c.path)).toEqual(['/foo/bar', '/foo/', '/foo', '/'])
  })

  test('get({ url }): Secure cookies only for https', async ({ session, server }) => {
    await session.cookies.set({ url: `https://a.test:${server.https.port}/`, name: 'sec', value: '1', secure: true })
    await session.cookies.set({ url: at(server, 'a.test'), name: 'plain', value: '1' })
    expect(names(await session.cookies.get({ url: `https://a.test:${server.https.port}/` }))).toEqual(['plain', 'sec'])
    expect(names(await session.cookies.get({ url: at(server, 'a.test') }))).toEqual(['plain'])
    expect(names(await session.cookies.get({ url: `wss://a.test:${server.https.port}/ws` }))).toEqual(['plain', 'sec'])
    expect(names(await session.cookies.get({ url: `ftp://a.test/` }))).toEqual([])
    // a page load over http does not get the Secure cookie either
    expect(await cookieHeaderSent(session, server, at(server, 'a.test', '/s'))).toBe('plain=1')
  })

  test('get({ domain }): the domain and its subdomains, leading dots ignored', async ({ session, server }) => {
    await session.cookies.set({ url: at(server, 'a.test'), name: 'hostA', value: '1' })
    await session.cookies.set({ url: at(server, 'a.test'), name: 'domA', value: '1', domain: 'a.test' })
    await session.cookies.set({ url: at(server, 'sub.a.test'), name: 'hostSub', value: '1' })
    await session.cookies.set({ url: at(server, 'sub.a.test'), name: 'domSub', value: '1', domain: 'sub.a.test' })
    await session.cookies.set({ url: at(server, 'b.test'), name: 'hostB', value: '1' })
    await session.cookies.set({ url: at(server, 'xa.test'), name: 'hostXa', value: '1' })
    expect(names(await session.cookies.get({ domain: 'a.test' }))).toEqual(['domA', 'domSub', 'hostA', 'hostSub'])
    expect(names(await session.cookies.get({ domain: '.a.test' }))).toEqual(['domA', 'domSub', 'hostA', 'hostSub'])
    expect(names(await session.cookies.get({ domain: 'sub.a.test' }))).toEqual(['domSub', 'hostSub'])
    expect(names(await session.cookies.get({ domain: 'test' }))).toEqual(['domA', 'domSub', 'hostA', 'hostB', 'hostSub', 'hostXa'])
    expect(names(await session.cookies.get({ domain: 'c.test' }))).toEqual([])
  })

  test('get({ name, path, secure, session, httpOnly }) each filter', async ({ session, server }) => {
    const https = `https://a.test:${server.https.port}`
    const later = Math.round(Date.now() / 1000) + 600
    await session.cookies.set({ url: `${https}/`, name: 'a', value: '1', path: '/', secure: true })
    await session.cookies.set({ url: `${https}/`, name: 'a', value: '2', path: '/x' })
    await session.cookies.set({ url: `${https}/`, name: 'b', value: '3', path: '/x/y', httpOnly: true, expirationDate: later })
    await session.cookies.set({ url: `${https}/`, name: 'c', value: '4', path: '/x/', expirationDate: later })
    expect((await session.cookies.get({ name: 'a' })).map((c) => c.value).sort()).toEqual(['1', '2'])
    expect(names(await session.cookies.get({ path: '/x' }))).toEqual(['a'])
    expect(names(await session.cookies.get({ path: '/x/' }))).toEqual(['c'])
    expect(names(await session.cookies.get({ secure: true }))).toEqual(['a'])
    expect(names(await session.cookies.get({ secure: false }))).toEqual(['a', 'b', 'c'])
    expect(names(await session.cookies.get({ session: true }))).toEqual(['a', 'a'])
    expect(names(await session.cookies.get({ session: false }))).toEqual(['b', 'c'])
    expect(names(await session.cookies.get({ httpOnly: true }))).toEqual(['b'])
    expect(names(await session.cookies.get({ httpOnly: false }))).toEqual(['a', 'a', 'c'])
    // fields combine
    expect((await session.cookies.get({ name: 'a', secure: false })).map((c) => c.value)).toEqual(['2'])
    expect(names(await session.cookies.get({ url: `${https}/x/y`, session: false }))).toEqual(['b', 'c'])
  })

  test('a page sees API cookies (document.cookie, Cookie header) and the API sees page cookies', async ({ session, server }) => {
    await session.cookies.set({ url: at(server, 'a.test'), name: 'api', value: 'one' })
    await session.cookies.set({ url: at(server, 'a.test'), name: 'hidden', value: 'two', httpOnly: true })
    server.setContent('/page', '<title>page</title>')
    const seen = server.waitForRequest('/page')
    const wc = await session.createWebContents()
    await wc.loadURL(at(server, 'a.test', '/page'))
    expect((await seen).headers.cookie?.split('; ').sort()).toEqual(['api=one', 'hidden=two'])
    expect(await wc.executeJavaScript('document.cookie')).toBe('api=one')
    await wc.executeJavaScript(`document.cookie = 'fromPage=three; path=/; max-age=600'`)
    // The page's write reaches the cookie store by a message of its own, not before the script
    // returns: read until it is there (at most 5 s).
    let fromPage = await session.cookies.get({ name: 'fromPage' })
    for (let i = 0; i < 100 && fromPage.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      fromPage = await session.cookies.get({ name: 'fromPage' })
    }
    expect(fromPage).toHaveLength(1)
    expect(fromPage[0]).toMatchObject({ value: 'three', domain: 'a.test', hostOnly: true, session: false })
    await wc.close()
  })

  test('a Set-Cookie response header shows up in get() in Electron\'s shape', async ({ session, server }) => {
    server.setContent('/set-cookie', '<title>sc</title>', 'text/html; charset=utf-8', { 'Set-Cookie': 'foo=bar' })
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/set-cookie'))
    await wc.close()
    expect(await session.cookies.get({})).toEqual([
      { name: 'foo', value: 'bar', domain: '127.0.0.1', hostOnly: true, path: '/', secure: false, httpOnly: false, session: true, sameSite: 'unspecified' },
    ])
  })

  test('a closed session rejects', async ({ browser, server }) => {
    const ses = browser.session.fromPartition(uniquePartition('closed'))
    await ses.close()
    await expect(ses.cookies.get({})).rejects.toBeInstanceOf(SessionClosedError)
    await expect(ses.cookies.set({ url: at(server, 'a.test'), name: 'n', value: '1' })).rejects.toBeInstanceOf(SessionClosedError)
  })

  test('sessions are isolated; the default session works too', async ({ browser, session, server }) => {
    const other = browser.session.fromPartition(uniquePartition('other'))
    try {
      await session.cookies.set({ url: at(server, 'a.test'), name: 'mine', value: '1' })
      expect(await other.cookies.get({})).toEqual([])
      await other.cookies.set({ url: at(server, 'a.test'), name: 'theirs', value: '1' })
      expect(names(await session.cookies.get({}))).toEqual(['mine'])
      expect(names(await other.cookies.get({}))).toEqual(['theirs'])
    } finally {
      await other.close()
    }
    const def = browser.session.defaultSession
    const name = `default-${process.pid}`
    await def.cookies.set({ url: at(server, 'a.test'), name, value: 'd' })
    try {
      expect((await def.cookies.get({ name })).map((c) => c.value)).toEqual(['d'])
      expect(await session.cookies.get({ name })).toEqual([])
      expect(await cookieHeaderSent(def, server, at(server, 'a.test', '/default'))).toContain(`${name}=d`)
    } finally {
      await def.cookies.remove(at(server, 'a.test'), name)
    }
    expect(await def.cookies.get({ name })).toEqual([])
  })

  test('remove(url, name) deletes what the url would get under that name, nothing else', async ({ session, server }) => {
    const https = `https://sub.a.test:${server.https.port}`
    await session.cookies.set({ url: at(server, 'sub.a.test'), name: 'x', value: 'host' })
    await session.cookies.set({ url: at(server, 'sub.a.test'), name: 'x', value: 'dom', domain: 'a.test' })
    await session.cookies.set({ url: at(server, 'sub.a.test'), name: 'x', value: 'deep', path: '/deep' })
    await session.cookies.set({ url: at(server, 'b.test'), name: 'x', value: 'other-site' })
    await session.cookies.set({ url: at(server, 'sub.a.test'), name: 'y', value: 'other-name' })
    await session.cookies.set({ url: `${https}/`, name: 'x', value: 'secure-http-only', path: '/s', secure: true, httpOnly: true })
    await session.cookies.remove(at(server, 'sub.a.test', '/'), 'x')
    expect((await session.cookies.get({})).map((c) => c.value).sort()).toEqual(['deep', 'other-name', 'other-site', 'secure-http-only'])
    // an http url does not reach the Secure cookie; https does
    await session.cookies.remove(at(server, 'sub.a.test', '/s'), 'x')
    expect((await session.cookies.get({ name: 'x' })).map((c) => c.value).sort()).toEqual(['deep', 'other-site', 'secure-http-only'])
    await session.cookies.remove(`${https}/s/page`, 'x')
    await session.cookies.remove(at(server, 'sub.a.test', '/deep/er'), 'x')
    expect((await session.cookies.get({})).map((c) => c.value).sort()).toEqual(['other-name', 'other-site'])
    // nothing to remove is fine
    await session.cookies.remove(at(server, 'nothing.test'), 'x')
  })

  test('expirationDate is in seconds; a past date deletes the cookie', async ({ session, server }) => {
    const soon = Math.round(Date.now() / 1000) + 120
    await session.cookies.set({ url: at(server, 'a.test'), name: 'e', value: '1', expirationDate: soon })
    const [cookie] = await session.cookies.get({ name: 'e' })
    expect(cookie?.session).toBe(false)
    expect(cookie?.expirationDate).toBeCloseTo(soon, 0)
    // a page sees it (an expiry read as milliseconds or as the past would not be sent)
    expect(await cookieHeaderSent(session, server, at(server, 'a.test', '/e'))).toBe('e=1')
    await session.cookies.set({ url: at(server, 'a.test'), name: 'e', value: '2', expirationDate: Math.round(Date.now() / 1000) - 10 })
    expect(await session.cookies.get({ name: 'e' })).toEqual([])
    // Chromium caps expiry at 400 days, as Electron reports it
    const now = Date.now() / 1000
    await session.cookies.set({ url: at(server, 'a.test'), name: 'far', value: '1', expirationDate: now + 1000 * 86400 })
    const far = (await session.cookies.get({ name: 'far' }))[0]?.expirationDate ?? 0
    expect(far).toBeGreaterThan(now + 399 * 86400)
    expect(far).toBeLessThan(now + 401 * 86400)
    await session.cookies.set({ url: at(server, 'a.test'), name: 'z', value: '1' })
    await session.cookies.set({ url: at(server, 'a.test'), name: 'z', value: '1', expirationDate: 0 })
    expect(await session.cookies.get({ name: 'z' })).toEqual([])
  })

  test('an overwrite keeps one cookie; Promise.all of many sets stores all of them', async ({ session, server }) => {
    await session.cookies.set({ url: at(server, 'a.test'), name: 'o', value: '1' })
    await session.cookies.set({ url: at(server, 'a.test'), name: 'o', value: '2' })
    expect((await session.cookies.get({ name: 'o' })).map((c) => c.value)).toEqual(['2'])
    // Chromium keeps at most 180 cookies per domain (then evicts down to 150): spread them.
    const hosts = ['a.test', 'b.test', 'c.test']
    await Promise.all(Array.from({ length: 300 }, (_, i) => session.cookies.set({ url: at(server, hosts[i % 3] as string), name: `m${i}`, value: String(i) })))
    expect(await session.cookies.get({ url: at(server, 'a.test') })).toHaveLength(101)
    const all = await session.cookies.get({})
    expect(all).toHaveLength(301)
    expect(all.filter((c) => c.name.startsWith('m')).map((c) => Number(c.value)).sort((x, y) => x - y)).toEqual(Array.from({ length: 300 }, (_, i) => i))
  })

  test('get and remove see sets called before them (call order is kept)', async ({ session, server }) => {
    const url = at(server, 'a.test')
    const set = session.cookies.set({ url, name: 'o1', value: '1' })
    const seen = session.cookies.get({})
    const removed = session.cookies.remove(url, 'o1')
    const after = session.cookies.get({})
    await Promise.all([set, removed])
    expect(names(await seen)).toEqual(['o1'])
    expect(await after).toEqual([])
  })

  test('one refused cookie in a batch does not take the others down', async ({ session, server }) => {
    const results = await Promise.allSettled([
      session.cookies.set({ url: at(server, 'a.test'), name: 'ok1', value: '1' }),
      session.cookies.set({ url: at(server, 'a.test'), name: 'bad', value: '1', domain: 'b.test' }),
      session.cookies.set({ url: at(server, 'a.test'), name: 'ok2', value: '1' }),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(names(await session.cookies.get({}))).toEqual(['ok1', 'ok2'])
  })

  test('refused cookies reject with Electron texts and are not stored', async ({ session, server }) => {
    const http = at(server, 'sub.a.test', '/')
    const https = `https://sub.a.test:${server.https.port}/`
    await expectElectronRefusal(session.cookies.set({ url: http, name: 'a', value: '1', domain: 'b.test' }), 'The cookie was set with an invalid Domain attribute.')
    await expectElectronRefusal(session.cookies.set({ url: http, name: 'a', value: '1', domain: 'deeper.sub.a.test' }), 'The cookie was set with an invalid Domain attribute.')
    await expectElectronRefusal(session.cookies.set({ url: http, name: 'a', value: '1', domain: 'test' }), 'The cookie was set with an invalid Domain attribute.')
    await expectElectronRefusal(session.cookies.set({ url: 'not a url', name: 'a', value: '1' }), 'The cookie was set with an invalid Domain attribute.')
    await expectElectronRefusal(session.cookies.set({ url: http, name: 'a', value: '1', secure: true }), 'The cookie was Secure, but the URL was not allowed to access Secure cookies.')
    await expectElectronRefusal(
      session.cookies.set({ url: https, name: 'a', value: '1', sameSite: 'no_restriction', secure: false }),
      'The cookie specified SameSite=None, but it was not Secure.',
    )
    await expectElectronRefusal(session.cookies.set({ url: http, name: 'a;b', value: '1' }), 'The cookie contains ASCII control characters')
    await expectElectronRefusal(session.cookies.set({ url: http, name: 'a', value: 'x\u0001y' }), 'The cookie contains ASCII control characters')
    await expectElectronRefusal(session.cookies.set({ url: http, name: 'a', value: '1', path: 'relative' }), 'The cookie was malformed and could not be stored')
    await expectElectronRefusal(session.cookies.set({ url: 'file:///tmp/x', name: 'a', value: '1' }), 'Attempted to set a cookie from a scheme that does not support cookies.')
    await expectElectronRefusal(session.cookies.set({ url: https, name: '__Host-a', value: '1', secure: true, path: '/p' }), 'The cookie was set with an invalid __Host- or __Secure- prefix.')
    await expectElectronRefusal(session.cookies.set({ url: https, name: '__Secure-a', value: '1', secure: false }), 'The cookie was set with an invalid __Host- or __Secure- prefix.')
    await expectElectronRefusal(session.cookies.set({ url: http }), 'The cookie contains no content or only whitespace.')
    await expectElectronRefusal(session.cookies.set({ url: http, name: 'big', value: 'v'.repeat(4094) }), 'The cookie exceeded the name/value pair size limit.')
    expect(await session.cookies.get({})).toEqual([])

    // overwrite rules need the store
    await session.cookies.set({ url: https, name: 'h', value: '1', httpOnly: true })
    await expectElectronRefusal(session.cookies.set({ url: https, name: 'h', value: '2' }), 'The cookie would have overwritten an HttpOnly cookie, and was not allowed to do so.')
    await session.cookies.set({ url: https, name: 's', value: '1', secure: true })
    await expectElectronRefusal(session.cookies.set({ url: http, name: 's', value: '2' }), 'The cookie would have overwritten a Secure cookie, and was not allowed to do so.')
    expect((await session.cookies.get({})).map((c) => `${c.name}=${c.value}`).sort()).toEqual(['h=1', 's=1'])
    // the right way to replace them works
    await session.cookies.set({ url: https, name: 'h', value: '3', httpOnly: true })
    await session.cookies.set({ url: https, name: 's', value: '4', secure: true })
    expect((await session.cookies.get({})).map((c) => `${c.name}=${c.value}`).sort()).toEqual(['h=3', 's=4'])
    // an https url may replace a Secure cookie with a plain one
    await session.cookies.set({ url: https, name: 's', value: '5' })
    expect((await session.cookies.get({ name: 's' })).map((c) => [c.value, c.secure])).toEqual([['5', false]])
  })

  test('set() accepts exactly the Domain attributes Chromium accepts from a page', async ({ browser, session, server }) => {
    const hosts = ['a.test', 'sub.a.test', 'x.sub.a.test']
    const domains = ['a.test', '.a.test', 'sub.a.test', '.sub.a.test', 'x.sub.a.test', 'b.test', 'test', '.test', 'y.a.test', 'ub.a.test', 'A.TEST']
    await compareDomainVerdicts(browser, session, server, hosts, domains)
  })

  test('set() follows the Public Suffix List as Chromium does (co.uk, github.io refused as a Domain)', async ({ browser, session, server }) => {
    // *.co.uk and *.github.io are mapped to 127.0.0.1 in the test browser (fixtures/test.ts).
    const hosts = ['shop.example.co.uk', 'me.github.io']
    const domains = ['co.uk', '.co.uk', 'example.co.uk', '.example.co.uk', 'shop.example.co.uk', 'uk', 'github.io', '.github.io', 'me.github.io', 'io']
    await compareDomainVerdicts(browser, session, server, hosts, domains)
  })

  async function compareDomainVerdicts(browser: Browser, session: Session, server: TestServer, hosts: string[], domains: string[]): Promise<void> {
    const viaApi = browser.session.fromPartition(uniquePartition('domain-api'))
    try {
      for (const host of hosts) {
        server.setContent('/domain-probe', '<title>probe</title>')
        const wc = await session.createWebContents()
        await wc.loadURL(at(server, host, '/domain-probe'))
        for (const [i, domain] of domains.entries()) {
          const name = `d${i}_${host.replaceAll('.', '_')}`
          // The page's own view is synchronous; the store gets the write a moment later.
          const accepted = await wc.executeJavaScript(
            `document.cookie = ${JSON.stringify(`${name}=1; path=/; domain=${domain}`)}; document.cookie.split('; ').includes(${JSON.stringify(`${name}=1`)})`,
          )
          if (accepted) await expect.poll(async () => (await session.cookies.get({ name })).length).toBe(1)
          const [byPage] = await session.cookies.get({ name })
          expect(Boolean(byPage), `host ${host}, domain ${domain}: page view and store agree`).toBe(accepted)
          const apiResult = await viaApi.cookies.set({ url: at(server, host, '/'), name, value: '1', path: '/', domain }).then(
            () => 'stored',
            (error: Error) => error.message,
          )
          const [byApi] = await viaApi.cookies.get({ name })
          const label = `host ${host}, domain ${domain}`
          if (byPage) {
            expect(apiResult, label).toBe('stored')
            expect(byApi?.domain, label).toBe(byPage.domain)
          } else {
            expect(apiResult, label).toMatch(/^Failed to set cookie - The cookie was set with an invalid Domain attribute\./)
            expect(byApi, label).toBeUndefined()
          }
        }
        await wc.close()
      }
    } finally {
      await viaApi.close()
    }
  }

  test('set() refuses exactly the names, values and paths Chromium\'s cookie sanitizer refuses', async ({ session, server }) => {
    // CDP's Storage.setCookies builds cookies with Chromium's CanonicalCookie::CreateSanitizedCookie
    // (it skips only the domain/secure/SameSite checks), so its verdict on these is Chromium's.
    const { browser: client, contextId } = await bindingOf(session)
    const url = at(server, 'a.test')
    const chars = ['a', ' ', '\t', ';', '=', '"', ',', '\u0001', '\u007f', 'é', '\n', '\r', '\u0000', '\\']
    const cases: { name: string; value: string; path: string }[] = []
    for (const c of chars) {
      cases.push(
        { name: `n${c}x`, value: 'v', path: '/' },
        { name: `${c}n`, value: 'v', path: '/' },
        { name: `n${c}`, value: 'v', path: '/' },
        { name: 'n', value: `v${c}x`, path: '/' },
        { name: 'n', value: `${c}v`, path: '/' },
        { name: 'n', value: `v${c}`, path: '/' },
        { name: 'n', value: 'v', path: `/p${c}q` },
        { name: '', value: `${c}`, path: '/' },
      )
    }
    cases.push(
      { name: '', value: 'a=b', path: '/' },
      { name: 'n', value: '', path: '/' },
      { name: 'n'.repeat(2000), value: 'v'.repeat(2096), path: '/' },
      { name: 'n'.repeat(2000), value: 'v'.repeat(2097), path: '/' },
    )
    for (const c of cases) {
      const label = JSON.stringify(c).slice(0, 80)
      const chromium = await client.send('Storage.setCookies', { cookies: [{ url, ...c }], browserContextId: contextId }).then(
        () => true,
        () => false,
      )
      const chromiumStored = chromium && (await session.cookies.get({})).some((k) => k.name === c.name && k.value === c.value)
      await client.send('Storage.clearCookies', { browserContextId: contextId })
      const ours = await session.cookies.set({ url, ...c }).then(
        () => true,
        (error: Error) => {
          expect(error.message, label).toMatch(/^Failed to set cookie - /)
          return false
        },
      )
      expect(ours, label).toBe(chromiumStored)
      await client.send('Storage.clearCookies', { browserContextId: contextId })
    }
  })

  test('Chromium itself refuses to let an http page shadow a Secure cookie (the rule set() applies)', async ({ session, server }) => {
    await session.cookies.set({ url: `https://a.test:${server.https.port}/`, name: 's', value: 'secure', secure: true })
    server.setContent('/shadow', '<title>shadow</title>')
    const wc = await session.createWebContents()
    await wc.loadURL(at(server, 'a.test', '/shadow'))
    await wc.executeJavaScript(`document.cookie = 's=page; path=/'`)
    await wc.executeJavaScript(`document.cookie = 'other=page; path=/'`)
    await wc.close()
    expect((await session.cookies.get({})).map((c) => `${c.name}=${c.value}`).sort()).toEqual(['other=page', 's=secure'])
    await expectElectronRefusal(session.cookies.set({ url: at(server, 'a.test'), name: 's', value: 'api' }), 'The cookie would have overwritten a Secure cookie')
  })

  test('Secure cookies can be set for and are sent to http://localhost', async ({ session, server }) => {
    const url = `http://localhost:${server.port}/local`
    await session.cookies.set({ url, name: 'ls', value: '1', secure: true })
    expect(names(await session.cookies.get({ url }))).toEqual(['ls'])
    expect(await cookieHeaderSent(session, server, url)).toBe('ls=1')
  })

  test("what Electron rejects is rejected with Electron's message (electron_api_cookies.cc, gin)", async ({ session, server }) => {
    const url = at(server, 'a.test')
    // [call, argument named, Electron's message]
    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [() => session.cookies.set({ url, name: 'n', value: '1', sameSite: 'garbage' } as never), 'details.sameSite', "Failed to convert 'garbage' to an appropriate cookie same site value"],
      [() => session.cookies.set({ url, sameSite: 'none' } as never), 'details.sameSite', "Failed to convert 'none' to an appropriate cookie same site value"],
      [() => session.cookies.set({} as never), 'details.url', "Missing required option 'url'"],
      [() => session.cookies.set({ url: 5, name: 'n' } as never), 'details.url', "Missing required option 'url'"],
      [() => session.cookies.set(undefined as never), 'details', 'Insufficient number of arguments.'],
      [() => session.cookies.set('a=b' as never), 'details', 'Error processing argument at index 0, conversion failure from a=b'],
      [() => session.cookies.get(null as never), 'filter', 'Error processing argument at index 0, conversion failure from null'],
      [() => session.cookies.remove(5 as never, 'x'), 'url', 'Error processing argument at index 0, conversion failure from '],
      [() => session.cookies.remove(url, undefined as never), 'name', 'Insufficient number of arguments.'],
    ]
    for (const [call, argument, message] of cases) {
      const error = await expectRejection(call())
      expect(error, message).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).argument).toBe(argument)
      expect(error.message).toBe(message)
    }
    // Chromium's own refusals keep Electron's "Failed to set cookie - " text
    await expectElectronRefusal(session.cookies.set({ url: 'nope', name: 'n', value: '1' }), 'The cookie was set with an invalid Domain attribute.')
    expect(await session.cookies.get({})).toEqual([])
  })

  test('what Electron ignores (a field of the wrong type reads as absent) is ignored too, with a warning', async ({ session, server }) => {
    const url = at(server, 'a.test')
    const warnings: string[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(warning.message)
    }
    process.on('warning', onWarning)
    try {
      // name 5 → '' (a nameless cookie); secure 'yes' → false; expirationDate '1' and NaN → a session cookie
      await session.cookies.set({ url, name: 5, value: 'v', secure: 'yes', expirationDate: '1' } as never)
      await session.cookies.set({ url, name: 'nan', value: '1', expirationDate: Number.NaN, colour: 'red' } as never)
      const stored = await session.cookies.get({ url })
      expect(stored.map((c) => [c.name, c.value, c.secure, c.session])).toEqual([
        ['', 'v', false, true],
        ['nan', '1', false, true],
      ])
      // filter fields of the wrong type are left out of the match; an invalid url matches nothing
      expect((await session.cookies.get({ secure: 1, domain: 3 } as never)).length).toBe(2)
      expect(await session.cookies.get({ url: 'nope' })).toEqual([])
      // remove with a url that is not one removes nothing, and resolves
      await session.cookies.remove('nope', 'nan')
      expect((await session.cookies.get({})).length).toBe(2)
      await new Promise((resolve) => setImmediate(resolve))
      const text = warnings.join('\n')
      for (const expected of [
        /cookies\.set: ignored details\.name number 5: not a string, so Electron reads it as absent/,
        /details\.secure "yes": not a boolean/,
        /details\.expirationDate "1": not a finite number/,
        /details\.expirationDate number NaN/,
        /details\.colour: Electron reads only url, name/,
        /cookies\.get: ignored filter\.secure number 1/,
        /cookies\.get: ignored filter\.url "nope": not a valid URL/,
        /cookies\.remove: ignored url "nope"/,
      ]) {
        expect(text).toMatch(expected)
      }
    } finally {
      process.off('warning', onWarning)
    }
  })

  test('flushStore resolves after earlier changes reached the store', async ({ session, server }) => {
    const { browser: client, contextId } = await bindingOf(session)
    const pending = session.cookies.set({ url: at(server, 'a.test'), name: 'f', value: '1' })
    await session.cookies.flushStore()
    // read the store directly: the cookie is there before anyone awaited set()
    const { cookies } = await client.send('Storage.getCookies', { browserContextId: contextId })
    expect(cookies.map((c) => c.name)).toEqual(['f'])
    await pending
  })

  test('property: get({ url }) returns exactly the cookies Chromium sends to that url, in header order', async ({ browser, server }) => {
    const hosts = ['a.test', 'sub.a.test'] as const
    const cookieArb = fc.record({
      name: fc.constantFrom('k1', 'k2', 'k3'),
      host: fc.constantFrom(...hosts),
      domain: fc.boolean(),
      path: fc.constantFrom('/', '/p', '/p/', '/p/q', '/pq'),
      secure: fc.boolean(),
    })
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(cookieArb, { maxLength: 6 }),
        fc.constantFrom(...hosts),
        fc.constantFrom('/p/q/leaf', '/pq', '/p', '/x', '/'),
        async (cookies, host, path) => {
          const url = `http://${host}:${server.port}${path}`
          const ses = browser.session.fromPartition(uniquePartition(`prop${++run}`))
          try {
            for (const [i, c] of cookies.entries()) {
              const base = c.secure ? `https://${c.host}:${server.https.port}` : `http://${c.host}:${server.port}`
              // Refusals are Chromium's rules too (an http cookie may not shadow a Secure one).
              await ses.cookies
                .set({ url: `${base}/`, name: c.name, value: `v${i}`, path: c.path, secure: c.secure, ...(c.domain ? { domain: 'a.test' } : {}) })
                .catch((error: Error) => expect(error.message).toMatch(/^Failed to set cookie - The cookie would have overwritten a Secure cookie/))
            }
            const ours = (await ses.cookies.get({ url })).map((c) => `${c.name}=${c.value}`)
            const header = await cookieHeaderSent(ses, server, url)
            expect(ours).toEqual(header === '' ? [] : header.split('; '))
          } finally {
            await ses.close()
          }
        },
      ),
      // Each run is a session, some cookies and a page load: 20 keep the file under a minute.
      { numRuns: 20, endOnFailure: false },
    )
  })
})
