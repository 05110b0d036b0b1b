import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, NotSupportedError, SessionClosedError, ValidationError, type Browser, type Session, type WebContents } from 'cdp-session'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'
import type { TestServer } from './fixtures/server.js'

let partitionCounter = 0
/** A partition string no other test of this file uses. */
function uniquePartition(label: string): string {
  return `sessions-${label}-${process.pid}-${++partitionCounter}`
}

async function pageAt(session: Session, url: string): Promise<WebContents> {
  const wc = await session.createWebContents()
  await wc.loadURL(url)
  return wc
}

/** Runs `fn`, expects a ValidationError and checks that its message names argument, value and expectation. */
function expectValidationError(fn: () => unknown, argument: string, valueText: string, expectedText: string | RegExp): ValidationError {
  let thrown: unknown
  try {
    fn()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(ValidationError)
  const error = thrown as ValidationError
  expect(error.code).toBe('ERR_INVALID_ARGUMENT')
  expect(error.argument).toBe(argument)
  expect(error.message).toContain(`argument '${argument}'`)
  expect(error.message).toContain(valueText)
  expect(error.message).toMatch(/; expected /)
  if (typeof expectedText === 'string') expect(error.message).toContain(expectedText)
  else expect(error.message).toMatch(expectedText)
  return error
}

// Reads / writes the three kinds of storage of a page's origin.
const WRITE_STORAGE = (value: string) => `(async () => {
  document.cookie = 'p=${value}; expires=' + new Date(Date.now() + 7 * 86400e3).toUTCString() + '; path=/'
  localStorage.setItem('p', '${value}')
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('persist-db', 1)
    open.onupgradeneeded = () => open.result.createObjectStore('kv')
    open.onsuccess = () => resolve(open.result)
    open.onerror = () => reject(open.error)
  })
  await new Promise((resolve, reject) => {
    const tx = db.transaction('kv', 'readwrite')
    tx.objectStore('kv').put({ value: '${value}' }, 'p')
    tx.oncomplete = resolve
    tx.onerror = () => reject(tx.error)
  })
  db.close()
  return true
})()`

const READ_STORAGE = `(async () => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('persist-db', 1)
    open.onupgradeneeded = () => open.result.createObjectStore('kv')
    open.onsuccess = () => resolve(open.result)
    open.onerror = () => reject(open.error)
  })
  const record = await new Promise((resolve, reject) => {
    const request = db.transaction('kv').objectStore('kv').get('p')
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  db.close()
  return { cookie: document.cookie, local: localStorage.getItem('p'), idb: record === undefined ? null : record.value }
})()`

/** Also clears the request log: tests that do not take the `session` fixture get no reset() from it. */
function cacheableRoute(server: TestServer, path: string): void {
  server.reset()
  server.setContent(path, '<title>cacheable</title>', 'text/html; charset=utf-8', { 'Cache-Control': 'max-age=3600' })
}

describe('session module', () => {
  test('fromPartition memoises by string; "" is the default session', ({ browser }) => {
    const name = uniquePartition('memo')
    const a = browser.session.fromPartition(name)
    expect(browser.session.fromPartition(name)).toBe(a)
    expect(browser.session.fromPartition(`${name}-other`)).not.toBe(a)
    expect(browser.session.fromPartition('')).toBe(browser.session.defaultSession)
    expect(browser.session.defaultSession).toBe(browser.session.defaultSession)
    expect(browser.session.defaultSession.partition).toBe('')
    expect(a.partition).toBe(name)
    // The cache option does not make a different session for the same string.
    expect(browser.session.fromPartition(name, { cache: true })).toBe(a)
  })

  test('two in-memory sessions share no cookies and no localStorage on the same origin', async ({ browser, session, server }) => {
    const other = browser.session.fromPartition(uniquePartition('iso'))
    try {
      const url = server.url('/empty.html')
      const [a, b] = await Promise.all([pageAt(session, url), pageAt(other, url)])
      await a.executeJavaScript(`document.cookie = 'only=a; path=/'; localStorage.setItem('only', 'a')`)
      // The write took effect in A: a second page of A on the same origin sees both.
      const a2 = await pageAt(session, url)
      expect(await a2.executeJavaScript('document.cookie')).toBe('only=a')
      expect(await a2.executeJavaScript(`localStorage.getItem('only')`)).toBe('a')
      // B's page (loaded before the write) and a fresh page of B see neither.
      const b2 = await pageAt(other, url)
      for (const page of [b, b2]) {
        expect(await page.executeJavaScript('document.cookie')).toBe('')
        expect(await page.executeJavaScript(`localStorage.getItem('only')`)).toBeNull()
      }
      // And the cookie does not go to the server in requests of B.
      const request = server.waitForRequest('/echo-headers')
      await b2.loadURL(server.url('/echo-headers'))
      expect((await request).headers.cookie).toBeUndefined()
    } finally {
      await other.close()
    }
  })

  test('in-memory sessions have separate HTTP caches', async ({ browser, session, server }) => {
    cacheableRoute(server, '/cacheable.html')
    const url = server.url('/cacheable.html')
    const other = browser.session.fromPartition(uniquePartition('cache'))
    try {
      await pageAt(session, url)
      expect(server.requestCount('/cacheable.html')).toBe(1)
      // A second page of A gets it from A's cache.
      const again = await pageAt(session, url)
      expect(await again.executeJavaScript('document.title')).toBe('cacheable')
      expect(server.requestCount('/cacheable.html')).toBe(1)
      // B has never seen it: it goes to the server.
      await pageAt(other, url)
      expect(server.requestCount('/cacheable.html')).toBe(2)
      // ...and now B has it cached too.
      await pageAt(other, url)
      expect(server.requestCount('/cacheable.html')).toBe(2)
    } finally {
      await other.close()
    }
  })

  test('fromPartition(p, { cache: false }) turns the HTTP cache off for the session', async ({ browser, server }) => {
    cacheableRoute(server, '/cacheable.html')
    const url = server.url('/cacheable.html')
    const noCache = browser.session.fromPartition(uniquePartition('nocache'), { cache: false })
    try {
      await pageAt(noCache, url)
      await pageAt(noCache, url)
      expect(server.requestCount('/cacheable.html')).toBe(2)
      // A fetch() from a page of the session bypasses the cache as well.
      const wc = await pageAt(noCache, server.url('/empty.html'))
      await wc.executeJavaScript(`fetch('/cacheable.html').then(r => r.text())`)
      expect(server.requestCount('/cacheable.html')).toBe(3)
    } finally {
      await noCache.close()
    }
  })

  test('isPersistent() and getStoragePath() of in-memory and default sessions', ({ browser, session }) => {
    expect(session.isPersistent()).toBe(false)
    expect(session.getStoragePath()).toBeNull()
    const def = browser.session.defaultSession
    expect(def.isPersistent()).toBe(true)
    const dir = def.getStoragePath()
    expect(typeof dir).toBe('string')
    // It is the live profile of the running browser: Chromium keeps its default profile in 'Default'.
    expect(existsSync(join(dir!, 'Default'))).toBe(true)
  })

  test('session.fromPath(absDir) is a persistent session stored in that directory', async ({ browser, server }) => {
    const dir = mkdtempSync(join(tmpdir(), 'cdp-session-frompath-'))
    try {
      const ses = browser.session.fromPath(dir)
      expect(browser.session.fromPath(dir)).toBe(ses)
      expect(browser.session.fromPath(`${dir}/`)).toBe(ses)
      expect(ses.isPersistent()).toBe(true)
      expect(ses.getStoragePath()).toBe(dir)
      const wc = await pageAt(ses, server.url('/empty.html'))
      await wc.executeJavaScript(`localStorage.setItem('where', 'fromPath')`)
      await ses.close()
      // Chromium wrote its profile into the directory, and a new session for the same path reads it back.
      expect(existsSync(join(dir, 'Default'))).toBe(true)
      const reopened = browser.session.fromPath(dir)
      expect(reopened).not.toBe(ses)
      try {
        const wc2 = await pageAt(reopened, server.url('/empty.html'))
        expect(await wc2.executeJavaScript(`localStorage.getItem('where')`)).toBe('fromPath')
      } finally {
        await reopened.close()
      }
      expectValidationError(() => browser.session.fromPath('relative/dir'), 'path', '"relative/dir"', 'an absolute directory path')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('close() ends the session: its pages are destroyed and later calls fail with SessionClosedError', async ({ browser, server }) => {
    const name = uniquePartition('close')
    const ses = browser.session.fromPartition(name)
    const pages = await Promise.all([pageAt(ses, server.url('/empty.html')), ses.createWebContents()])
    await pages[0]!.executeJavaScript(`document.cookie = 'old=1; path=/'`)
    const destroyed = pages.map((wc) => new Promise<void>((resolve) => wc.once('destroyed', () => resolve())))
    let closedEvents = 0
    ses.on('closed', () => closedEvents++)
    await ses.close()
    await Promise.all(destroyed)
    expect(closedEvents).toBe(1)
    for (const wc of pages) {
      expect(wc.isDestroyed()).toBe(true)
      expect(browser.webContents.fromId(wc.id)).toBeUndefined()
    }
    expect(ses.closed).toBe(true)
    expect(ses.getAllWebContents()).toEqual([])
    await ses.close() // idempotent

    await expect(ses.createWebContents()).rejects.toBeInstanceOf(SessionClosedError)
    await expect(ses.createWebContents()).rejects.toThrow(`the session '${name}' is closed`)
    await expect(ses.ready()).rejects.toBeInstanceOf(SessionClosedError)
    expect(() => ses.setUserAgent('Closed/1')).toThrow(SessionClosedError)
    expect(() => ses.setPreloads([])).toThrow(SessionClosedError)
    expect(() => ses.enableNetworkEmulation({ offline: true })).toThrow(SessionClosedError)
    expect(() => ses.disableNetworkEmulation()).toThrow(SessionClosedError)

    // The same string now gives a new, working session with none of the old data.
    const fresh = browser.session.fromPartition(name)
    expect(fresh).not.toBe(ses)
    try {
      const wc = await pageAt(fresh, server.url('/empty.html'))
      expect(await wc.executeJavaScript('document.cookie')).toBe('')
      expect(await wc.executeJavaScript('1 + 1')).toBe(2)
    } finally {
      await fresh.close()
    }
  })

  test('await using closes the session at the end of the block', async ({ browser, server }) => {
    let ses: Session | undefined
    let wc: WebContents | undefined
    {
      await using s = browser.session.fromPartition(uniquePartition('using'))
      ses = s
      wc = await pageAt(s, server.url('/empty.html'))
      expect(await wc.executeJavaScript('location.pathname')).toBe('/empty.html')
      expect(s.closed).toBe(false)
    }
    expect(ses.closed).toBe(true)
    expect(wc.isDestroyed()).toBe(true)
    await expect(ses.createWebContents()).rejects.toBeInstanceOf(SessionClosedError)
  })

  test('the default session cannot be closed', async ({ browser, server }) => {
    const def = browser.session.defaultSession
    await expect(def.close()).rejects.toBeInstanceOf(NotSupportedError)
    await expect(def.close()).rejects.toThrow(/default session/)
    expect(def.closed).toBe(false)
    const wc = await pageAt(def, server.url('/empty.html'))
    try {
      expect(await wc.executeJavaScript('1 + 1')).toBe(2)
      expect(browser.session.defaultSession).toBe(def)
    } finally {
      await wc.close()
    }
  })

  test('persist: and default sessions keep cookies, localStorage and IndexedDB across a relaunch; in-memory ones do not', async ({ server }) => {
    const userDataDir = mkdtempSync(join(tmpdir(), 'cdp-session-persist-'))
    const url = server.url('/empty.html')
    let browser: Browser | undefined
    try {
      browser = await launchTestBrowser({ userDataDir })
      const keep = browser.session.fromPartition('persist:keep')
      const def = browser.session.defaultSession
      const memoryName = uniquePartition('gone')
      const memory = browser.session.fromPartition(memoryName)
      expect(keep.isPersistent()).toBe(true)
      expect(keep.getStoragePath()).toBe(join(userDataDir, 'Partitions', 'keep'))
      expect(def.isPersistent()).toBe(true)
      expect(def.getStoragePath()).toBe(userDataDir)
      expect(memory.isPersistent()).toBe(false)

      const written = await Promise.all(
        ([[keep, 'keep'], [def, 'default'], [memory, 'memory']] as const).map(async ([ses, value]) => {
          const wc = await pageAt(ses, url)
          await wc.executeJavaScript(WRITE_STORAGE(value))
          return wc.executeJavaScript(READ_STORAGE)
        }),
      )
      // Each session sees its own data before the restart (so the reads below can tell).
      expect(written).toEqual([
        { cookie: 'p=keep', local: 'keep', idb: 'keep' },
        { cookie: 'p=default', local: 'default', idb: 'default' },
        { cookie: 'p=memory', local: 'memory', idb: 'memory' },
      ])
      await browser.close()
      expect(existsSync(join(userDataDir, 'Partitions', 'keep'))).toBe(true) // a given profile is never deleted

      browser = await launchTestBrowser({ userDataDir })
      const readBack = await Promise.all(
        ['persist:keep', '', memoryName].map(async (partition) => {
          const wc = await pageAt(browser!.session.fromPartition(partition), url)
          return wc.executeJavaScript(READ_STORAGE)
        }),
      )
      expect(readBack).toEqual([
        { cookie: 'p=keep', local: 'keep', idb: 'keep' },
        { cookie: 'p=default', local: 'default', idb: 'default' },
        { cookie: '', local: null, idb: null },
      ])
    } finally {
      await browser?.close()
      rmSync(userDataDir, { recursive: true, force: true })
    }
  })

  describe('bad input throws a ValidationError naming argument, value and expectation, and changes nothing', () => {
    test('fromPartition', async ({ browser, server }) => {
      expectValidationError(() => browser.session.fromPartition(123 as unknown as string), 'partition', 'number 123', 'a string')
      const name = uniquePartition('badopts')
      expectValidationError(
        () => browser.session.fromPartition(name, { cache: 'no' } as unknown as { cache: boolean }),
        'options.cache',
        '"no"',
        '{ cache?: boolean, gateway?: boolean }',
      )
      expectValidationError(() => browser.session.fromPartition('persist:'), 'partition', '"persist:"', "'persist:' followed by a name")
      // The rejected call did not create (or memoise) a cache-less session for that string:
      // the session made now caches normally.
      cacheableRoute(server, '/cacheable.html')
      const ses = browser.session.fromPartition(name)
      try {
        await pageAt(ses, server.url('/cacheable.html'))
        await pageAt(ses, server.url('/cacheable.html'))
        expect(server.requestCount('/cacheable.html')).toBe(1)
      } finally {
        await ses.close()
      }
    })

    test('setUserAgent', async ({ session, server }) => {
      session.setUserAgent('Custom/1.0')
      expectValidationError(() => session.setUserAgent(''), 'userAgent', '""', 'a non-empty string')
      expectValidationError(() => session.setUserAgent('Other/2', 'not a language list!'), 'acceptLanguages', '"not a language list!"', 'language tags')
      expect(session.getUserAgent()).toBe('Custom/1.0')
      const wc = await pageAt(session, server.url('/empty.html'))
      expect(await wc.executeJavaScript('navigator.userAgent')).toBe('Custom/1.0')
    })

    test('enableNetworkEmulation', async ({ session, server }) => {
      expectValidationError(() => session.enableNetworkEmulation({ latency: -1 }), 'options.latency', 'number -1', 'latency?: ms ≥ 0')
      expectValidationError(
        () => session.enableNetworkEmulation({ bogus: 1 } as unknown as { offline: boolean }),
        'options',
        '{"bogus":1}',
        'offline?: boolean',
      )
      // A bad call that also asks for offline did not switch anything on.
      expect(() => session.enableNetworkEmulation({ offline: true, bogus: 1 } as unknown as { offline: boolean })).toThrow(ValidationError)
      expect(() => session.enableNetworkEmulation({ offline: true, latency: -1 })).toThrow(ValidationError)
      const wc = await pageAt(session, server.url('/empty.html'))
      expect(await wc.executeJavaScript('navigator.onLine')).toBe(true)
      expect(await wc.executeJavaScript(`fetch('/empty.html').then(r => r.status)`)).toBe(200)
    })

    test('setPreloads', async ({ session, server }) => {
      const dir = mkdtempSync(join(tmpdir(), 'cdp-session-preload-'))
      try {
        const preload = join(dir, 'preload.js')
        writeFileSync(preload, 'window.preloaded = "yes"')
        session.setPreloads([preload])
        expectValidationError(() => session.setPreloads('x' as unknown as string[]), 'preloads', '"x"', 'an array of absolute file paths')
        expectValidationError(() => session.setPreloads(['relative.js']), 'preloads.0', '"relative.js"', 'an array of absolute file paths')
        expect(session.getPreloads()).toEqual([preload])
        const wc = await pageAt(session, server.url('/empty.html'))
        expect(await wc.executeJavaScript('window.preloaded')).toBe('yes')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })

    test('loadURL', async ({ session, server }) => {
      const wc = await pageAt(session, server.url('/empty.html'))
      let thrown: unknown
      await wc.loadURL('nope').catch((error: unknown) => (thrown = error))
      expectValidationError(
        () => {
          throw thrown
        },
        'url',
        '"nope"',
        'an absolute URL',
      )
      expect(wc.getURL()).toBe(server.url('/empty.html'))
      expect(await wc.executeJavaScript('location.href')).toBe(server.url('/empty.html'))
    })

    test('connect', async () => {
      let thrown: unknown
      await connect({}).catch((error: unknown) => (thrown = error))
      expectValidationError(
        () => {
          throw thrown
        },
        'options',
        'an object ({})',
        /\{ browserURL \} or \{ browserWSEndpoint \}/,
      )
    })
  })
})
