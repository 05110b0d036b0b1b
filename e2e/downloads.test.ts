// Downloads against real Chromium and a local server that records every request: will-download
// for every kind of download (attachment navigation, <a download>, blob:, data:, same-site and
// cross-site iframes, popups), session isolation, preventDefault, save paths and Chrome's
// uniquified names, pause (the server's sending stalls), resume by Range + If-Range (206
// continues, 200 restarts), interruptions, createInterruptedDownload and downloadURL.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ValidationError, type DownloadItem } from 'cdp-session'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'
import { startHttpProxy } from './fixtures/server.js'
import { capture, click, isNodeRequest, LAST_MODIFIED, openPage, Served, tempDir, untilItem, type Captured, type ServeOptions } from './fixtures/downloads.js'

// ---- tests --------------------------------------------------------------------------------

describe('will-download: every kind of download', () => {
  interface Kind {
    name: string
    /** Script run in the page that starts the download. */
    start(urls: { file: string; plain: string; crossFrame: string; frame: string; utf8: string }): string
    filename: string
    /** The bytes expected on disk: of /file, of /utf8, or made by the page. */
    bytes: (served: Served, utf8: Served) => Buffer
    popup?: boolean
  }
  const kinds: Kind[] = [
    { name: 'attachment navigation', start: ({ file }) => `location.href = ${JSON.stringify(file)}; 1`, filename: 'file.bin', bytes: (s) => s.bytes() },
    // Chromium: a Content-Disposition filename wins over the download attribute, so this URL sends none.
    { name: '<a download> of a same-origin URL', start: ({ plain }) => click(plain, 'chosen.bin'), filename: 'chosen.bin', bytes: (s) => s.bytes() },
    {
      name: 'blob: URL (revoked right after the click)',
      start: () =>
        `{ const u = URL.createObjectURL(new Blob(['made in the page'], { type: 'text/plain' })); const a = document.createElement('a'); a.href = u; a.download = 'blob.txt'; document.body.append(a); a.click(); URL.revokeObjectURL(u); 1 }`,
      filename: 'blob.txt',
      bytes: () => Buffer.from('made in the page'),
    },
    { name: 'data: URL', start: () => click('data:text/plain;base64,ZGF0YSBieXRlcw==', 'data.txt'), filename: 'data.txt', bytes: () => Buffer.from('data bytes') },
    { name: 'same-site iframe', start: ({ frame }) => `document.getElementById('f').src = ${JSON.stringify(frame)}; 1`, filename: 'file.bin', bytes: (s) => s.bytes() },
    { name: 'cross-site iframe (its own process)', start: ({ crossFrame }) => `document.getElementById('f').src = ${JSON.stringify(crossFrame)}; 1`, filename: 'file.bin', bytes: (s) => s.bytes() },
    { name: 'popup (window.open of an attachment)', start: ({ file }) => `window.open(${JSON.stringify(file)}); 1`, filename: 'file.bin', bytes: (s) => s.bytes(), popup: true },
    // The server writes the UTF-8 name as raw bytes (no filename*); through the session gateway
    // those bytes must reach Chromium unchanged (they were once re-encoded, giving 'naÃ¯ve').
    { name: 'attachment navigation, filename in raw UTF-8 bytes', start: ({ utf8 }) => `location.href = ${JSON.stringify(utf8)}; 1`, filename: 'naïve résumé.txt', bytes: (_s, u) => u.bytes() },
  ]
  for (const kind of kinds) {
    test(kind.name, async ({ session, server }) => {
      const dir = await tempDir()
      try {
        const served = new Served(server, '/file', { size: 300_000 })
        new Served(server, '/plain', { size: 300_000, disposition: null })
        const utf8 = new Served(server, '/utf8', { size: 300_000, disposition: Buffer.from('attachment; filename="naïve résumé.txt"', 'utf8').toString('latin1') })
        server.setContent('/frame', `<!doctype html><a id="a" href="/file">x</a><script>document.getElementById('a').click()</script>`, 'text/html')
        const cross = `http://cross.test:${server.port}`
        const downloads = capture(session)
        session.setDownloadPath(dir)
        const wc = await openPage(session, server)
        const next = downloads.next()
        await wc.executeJavaScript(kind.start({ file: server.url('/file'), plain: server.url('/plain'), frame: server.url('/frame'), crossFrame: `${cross}/frame`, utf8: server.url('/utf8') }))
        const { item, webContents, done } = await next
        expect(await done).toBe('completed')
        expect(item.getFilename()).toBe(kind.filename)
        expect(item.getSavePath()).toBe(join(dir, kind.filename))
        expect(readFileSync(item.getSavePath()).equals(kind.bytes(served, utf8))).toBe(true)
        expect(readdirSync(dir)).toEqual([kind.filename])
        expect(item.getState()).toBe('completed')
        expect(item.getReceivedBytes()).toBe(kind.bytes(served, utf8).length)
        expect(webContents?.session).toBe(session)
        if (!kind.popup) expect(webContents?.id).toBe(wc.id)
        expect(downloads.all).toHaveLength(1)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })
  }
})

describe('sessions and requests', () => {
  test('a download in session A never reaches session B, and Node\'s request carries A\'s cookies and user agent', async ({ browser, session, server }) => {
    const other = browser.session.fromPartition(`dl-other-${process.pid}`)
    const [dirA, dirB] = [await tempDir(), await tempDir()]
    try {
      const served = new Served(server, '/file', { size: 50_000 })
      session.setUserAgent('DownloadBot/1.0')
      await session.cookies.set({ url: server.origin, name: 'who', value: 'session-a' })
      await other.cookies.set({ url: server.origin, name: 'who', value: 'session-b' })
      const a = capture(session)
      const b = capture(other)
      session.setDownloadPath(dirA)
      other.setDownloadPath(dirB)
      const wcB = await openPage(other, server)
      const wc = await openPage(session, server)
      const next = a.next()
      await wc.executeJavaScript(`location.href = ${JSON.stringify(server.url('/file'))}; 1`)
      const { done } = await next
      expect(await done).toBe('completed')
      expect(b.all).toHaveLength(0)
      expect(readdirSync(dirB)).toEqual([])
      const node = served.nodeRequests()
      expect(node).toHaveLength(1)
      expect(node[0]).toMatchObject({ cookie: 'who=session-a', userAgent: 'DownloadBot/1.0' })
      // And B's own download is B's.
      const nextB = b.next()
      await wcB.executeJavaScript(`location.href = ${JSON.stringify(server.url('/file'))}; 1`)
      expect(await (await nextB).done).toBe('completed')
      expect(a.all).toHaveLength(1)
      expect(served.nodeRequests()[1]?.cookie).toBe('who=session-b')
    } finally {
      await other.close()
      await rm(dirA, { recursive: true, force: true })
      await rm(dirB, { recursive: true, force: true })
    }
  })

  test('Node\'s request takes the session\'s proxy route (setProxy), like the page\'s own requests', async ({ session, server }) => {
    const proxy = await startHttpProxy()
    const dir = await tempDir()
    try {
      proxy.mapHost('a.test', '127.0.0.1')
      await session.setProxy({ proxyRules: proxy.url })
      const served = new Served(server, '/file', { size: 100_000 })
      const downloads = capture(session)
      session.setDownloadPath(dir)
      server.setContent('/dl-page', '<!doctype html><title>downloads</title>', 'text/html')
      const wc = await session.createWebContents()
      await wc.loadURL(`http://a.test:${server.port}/dl-page`)
      const next = downloads.next()
      await wc.executeJavaScript(`location.href = '/file'; 1`)
      expect(await (await next).done).toBe('completed')
      const viaProxy = proxy.requests.filter((r) => r.target === `http://a.test:${server.port}/file`)
      // Chromium's request (through the gateway, then the proxy) and Node's (to the proxy directly).
      expect(viaProxy.map((r) => isNodeRequest(r.headers ?? {})).sort()).toEqual([false, true])
      expect(served.nodeRequests()).toHaveLength(1)
      expect(readFileSync(join(dir, 'file.bin')).equals(served.bytes())).toBe(true)
    } finally {
      await proxy.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('https with a certificate only Chromium accepts: Node cannot fetch it, Chromium keeps the download and it completes', async ({ server }) => {
    const browser = await launchTestBrowser({ args: ['--ignore-certificate-errors'] })
    const dir = await tempDir()
    try {
      const session = browser.session.fromPartition('dl-https')
      const served = new Served(server, '/file', { size: 120_000 })
      const downloads = capture(session)
      session.setDownloadPath(dir)
      server.setContent('/dl-page', '<!doctype html><title>downloads</title>', 'text/html')
      const wc = await session.createWebContents()
      await wc.loadURL(server.https.url('/dl-page'))
      const next = downloads.next()
      await wc.executeJavaScript(`location.href = '/file'; 1`)
      const { item, done } = await next
      expect(await done).toBe('completed')
      expect(served.nodeRequests()).toHaveLength(0)
      expect(item.getURL()).toBe(server.https.url('/file'))
      expect(readFileSync(join(dir, 'file.bin')).equals(served.bytes())).toBe(true)
      expect(readdirSync(dir)).toEqual(['file.bin'])
    } finally {
      await browser.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('a will-download listener that throws is reported as a warning; the download goes on', async ({ session, server }) => {
    const dir = await tempDir()
    try {
      const served = new Served(server, '/file', { size: 20_000 })
      session.setDownloadPath(dir)
      const warning = new Promise<Error>((resolve) => process.once('warning', resolve))
      const item = new Promise<DownloadItem>((resolve) =>
        session.once('will-download', (_event, started) => {
          resolve(started)
          throw new Error('listener bug')
        }),
      )
      const wc = await openPage(session, server)
      await wc.executeJavaScript(`location.href = '/file'; 1`)
      const started = await item
      expect((await warning).message).toContain('listener bug')
      if (started.getState() !== 'completed') await new Promise((resolve) => started.once('done', resolve))
      expect(started.getState()).toBe('completed')
      expect(readFileSync(join(dir, 'file.bin')).equals(served.bytes())).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  for (const which of ['the default session', 'a persist: partition (its own browser process)'] as const) {
    test(`${which} downloads too (its context's real id, its own browser connection)`, async ({ browser, server }) => {
      const session = which === 'the default session' ? browser.session.defaultSession : browser.session.fromPartition(`persist:dl-${process.pid}`)
      const dir = await tempDir()
      try {
        const served = new Served(server, '/file', { size: 64_000 })
        const downloads = capture(session, (item) => item.setSavePath(join(dir, 'here.bin')))
        const wc = await openPage(session, server)
        const next = downloads.next()
        await wc.executeJavaScript(`location.href = '/file'; 1`)
        const { done, webContents } = await next
        expect(await done).toBe('completed')
        expect(webContents?.id).toBe(wc.id)
        expect(served.nodeRequests()).toHaveLength(1)
        expect(readFileSync(join(dir, 'here.bin')).equals(served.bytes())).toBe(true)
        await wc.close()
      } finally {
        session.removeAllListeners('will-download')
        if (session !== browser.session.defaultSession) await session.close()
        await rm(dir, { recursive: true, force: true })
      }
    })
  }

  test('preventDefault cancels: nothing is written, the only event is done \'cancelled\'', async ({ session, server }) => {
    const dir = await tempDir()
    try {
      new Served(server, '/file', { size: 200_000 })
      const downloads = capture(session, (_item, event) => event.preventDefault())
      session.setDownloadPath(dir)
      const wc = await openPage(session, server)
      const next = downloads.next()
      await wc.executeJavaScript(`location.href = '/file'; 1`)
      const { item, events, done } = await next
      expect(await done).toBe('cancelled')
      expect(events).toEqual(['done:cancelled'])
      expect(item.getState()).toBe('cancelled')
      expect(readdirSync(dir)).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('setSavePath in the handler wins (missing folders are made); without it names are uniquified like Chrome', async ({ session, server }) => {
    const dir = await tempDir()
    try {
      const served = new Served(server, '/file', { size: 10_000, name: 'report.tar.gz' })
      writeFileSync(join(dir, 'report.tar.gz'), 'already here')
      let explicit = true
      const downloads = capture(session, (item) => {
        if (explicit) item.setSavePath(join(dir, 'sub', 'deeper', 'mine.bin'))
      })
      session.setDownloadPath(dir)
      const wc = await openPage(session, server)
      const go = async (): Promise<Captured> => {
        const next = downloads.next()
        await wc.executeJavaScript(`location.href = '/file'; 1`)
        const captured = await next
        expect(await captured.done).toBe('completed')
        return captured
      }
      expect((await go()).item.getSavePath()).toBe(join(dir, 'sub', 'deeper', 'mine.bin'))
      explicit = false
      const names: string[] = []
      for (let i = 0; i < 3; i++) names.push((await go()).item.getSavePath())
      expect(names).toEqual([join(dir, 'report (1).tar.gz'), join(dir, 'report (2).tar.gz'), join(dir, 'report (3).tar.gz')])
      expect(readFileSync(join(dir, 'report.tar.gz'), 'utf8')).toBe('already here')
      for (const name of names) expect(readFileSync(name).equals(served.bytes())).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('pause, resume, interruptions', () => {
  test('pause() stops the transfer (the server\'s writes stall), resume() continues to a byte-exact file', async ({ session, server }) => {
    const dir = await tempDir()
    try {
      const size = 48 * 1024 * 1024
      const holdAt = 1024 * 1024
      const served = new Served(server, '/big', { size, holdAt })
      const downloads = capture(session)
      session.setDownloadPath(dir)
      const wc = await openPage(session, server)
      const next = downloads.next()
      await wc.executeJavaScript(click('/big'))
      const { item, done, events } = await next
      await untilItem(item, () => item.getReceivedBytes() === holdAt)
      item.pause()
      expect(item.isPaused()).toBe(true)
      expect(item.canResume()).toBe(true)
      served.release()
      const request = served.nodeRequests()[0]!
      // The server blocks now and then while the client reads; paused, it stays blocked for good.
      let sentWhenBlocked = -1
      while (sentWhenBlocked !== request.sent || !request.blocked) {
        expect(request.sent).toBeLessThan(size)
        sentWhenBlocked = request.sent
        await served.until(() => request.blocked)
        await sleep(300)
      }
      const received = item.getReceivedBytes()
      await sleep(700)
      // Nothing more left the server and nothing more arrived while paused.
      expect(request.blocked).toBe(true)
      expect(request.sent).toBe(sentWhenBlocked)
      expect(item.getReceivedBytes()).toBe(received)
      expect(received).toBeLessThan(size)
      expect(existsSync(join(dir, 'file.bin'))).toBe(false)
      item.resume()
      expect(item.isPaused()).toBe(false)
      expect(await done).toBe('completed')
      expect(served.nodeRequests()).toHaveLength(1)
      expect(readFileSync(join(dir, 'file.bin')).equals(served.bytes())).toBe(true)
      expect(events.at(-1)).toBe('done:completed')
      expect(item.getPercentComplete()).toBe(100)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  interface ResumeCase {
    name: string
    options: Partial<ServeOptions>
    /** Change the file on the server before resuming. */
    change: boolean
    expectIfRange: (served: Served) => string
    expectStatus: number
  }
  const cases: ResumeCase[] = [
    { name: 'ETag matches → 206 continues from the received bytes', options: {}, change: false, expectIfRange: (s) => s.etag, expectStatus: 206 },
    { name: 'only Last-Modified → If-Range carries it, 206', options: { etag: false }, change: false, expectIfRange: () => LAST_MODIFIED, expectStatus: 206 },
    { name: 'the file changed (If-Range no longer matches) → 200 restarts from zero', options: {}, change: true, expectIfRange: () => '"v0-2000000"', expectStatus: 200 },
  ]
  for (const c of cases) {
    test(`server drops the connection → 'interrupted', canResume; resume: ${c.name}`, async ({ session, server }) => {
      const dir = await tempDir()
      try {
        const size = 2_000_000
        const dropAt = 700_000
        const served = new Served(server, '/file', { size, dropAt, ...c.options })
        await session.cookies.set({ url: server.origin, name: 'resume', value: 'yes' })
        const downloads = capture(session)
        session.setDownloadPath(dir)
        const wc = await openPage(session, server)
        const next = downloads.next()
        await wc.executeJavaScript(`location.href = '/file'; 1`)
        const { item, events, done } = await next
        await untilItem(item, () => item.getState() === 'interrupted')
        expect(events.at(-1)).toBe('updated:interrupted')
        expect(item.canResume()).toBe(true)
        expect(item.getReceivedBytes()).toBe(dropAt)
        // The half file is never under the final name.
        expect(readdirSync(dir)).toEqual(['file.bin.crdownload'])
        if (c.change) served.version = 1
        item.resume()
        expect(await done).toBe('completed')
        const [, resumed] = served.nodeRequests()
        expect(resumed).toMatchObject({ range: c.expectStatus === 206 || c.change ? `bytes=${dropAt}-` : undefined, ifRange: c.expectIfRange(served), status: c.expectStatus, cookie: 'resume=yes' })
        expect(readFileSync(join(dir, 'file.bin')).equals(served.bytes())).toBe(true)
        expect(readdirSync(dir)).toEqual(['file.bin'])
        expect(item.getTotalBytes()).toBe(size)
        expect(events).toContain('updated:progressing')
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })
  }

  test('cancel() mid-transfer removes the partial file; done is \'cancelled\'', async ({ session, server }) => {
    const dir = await tempDir()
    try {
      const served = new Served(server, '/file', { size: 4_000_000, holdAt: 500_000 })
      const downloads = capture(session)
      session.setDownloadPath(dir)
      const wc = await openPage(session, server)
      const next = downloads.next()
      await wc.executeJavaScript(`location.href = '/file'; 1`)
      const { item, done } = await next
      await untilItem(item, () => item.getReceivedBytes() === 500_000)
      expect(readdirSync(dir)).toEqual(['file.bin.crdownload'])
      item.cancel()
      expect(await done).toBe('cancelled')
      expect(readdirSync(dir)).toEqual([])
      served.release()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('closing the session mid-download ends it \'interrupted\'; no half file under the final name', async ({ browser, server }) => {
    const dir = await tempDir()
    const session = browser.session.fromPartition(`dl-close-${process.pid}`)
    try {
      const served = new Served(server, '/file', { size: 4_000_000, holdAt: 300_000 })
      const downloads = capture(session)
      session.setDownloadPath(dir)
      const wc = await openPage(session, server)
      const next = downloads.next()
      await wc.executeJavaScript(`location.href = '/file'; 1`)
      const { item, done } = await next
      await untilItem(item, () => item.getReceivedBytes() === 300_000)
      await session.close()
      expect(await done).toBe('interrupted')
      expect(existsSync(join(dir, 'file.bin'))).toBe(false)
      served.release()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('createInterruptedDownload and downloadURL', () => {
  test('createInterruptedDownload → will-download with an interrupted item; resume() asks Range from offset and completes the file', async ({ session, server }) => {
    const dir = await tempDir()
    try {
      const size = 1_000_000
      const served = new Served(server, '/file', { size })
      const path = join(dir, 'saved.bin')
      const offset = 400_000
      writeFileSync(path, served.bytes().subarray(0, offset))
      const downloads = capture(session)
      const next = downloads.next()
      session.createInterruptedDownload({ path, urlChain: [server.url('/file')], mimeType: 'application/octet-stream', offset, length: size, eTag: served.etag, lastModified: served.lastModified, startTime: 1700000000 })
      const { item, webContents, done } = await next
      expect(webContents).toBeNull()
      expect(item.getState()).toBe('interrupted')
      expect(item.canResume()).toBe(true)
      expect([item.getSavePath(), item.getReceivedBytes(), item.getTotalBytes(), item.getETag(), item.getStartTime(), item.getURL()]).toEqual([path, offset, size, served.etag, 1700000000, server.url('/file')])
      item.resume()
      expect(await done).toBe('completed')
      expect(served.nodeRequests()[0]).toMatchObject({ range: `bytes=${offset}-`, ifRange: served.etag, status: 206 })
      expect(readFileSync(path).equals(served.bytes())).toBe(true)
      expect(readdirSync(dir)).toEqual(['saved.bin'])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  const bad: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['no path', { urlChain: ['http://a.test/'], length: 10 }, 'options.path', /^Must pass non-empty path, urlChain and length\./],
    ['empty urlChain', { path: '/tmp/x', urlChain: [], length: 10 }, 'options.urlChain', /^Must pass non-empty path, urlChain and length\./],
    ['length 0', { path: '/tmp/x', urlChain: ['http://a.test/'], length: 0 }, 'options.length', /^Must pass non-empty path, urlChain and length\./],
    ['offset = length', { path: '/tmp/x', urlChain: ['http://a.test/'], length: 10, offset: 10 }, 'options.offset', /^Must pass an offset value less than length\./],
    ['offset not a number', { path: '/tmp/x', urlChain: ['http://a.test/'], length: 10, offset: '3' }, 'options.offset', /argument 'options\.offset'/],
    ['urlChain entry not a URL', { path: '/tmp/x', urlChain: ['nope'], length: 10 }, 'options.urlChain.0', /argument 'options\.urlChain\.0'/],
  ]
  for (const [name, options, argument, message] of bad) {
    test(`createInterruptedDownload rejects ${name} with a ValidationError (Electron's text where it has one)`, ({ session }) => {
      let error: unknown
      try {
        session.createInterruptedDownload(options as never)
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).argument).toBe(argument)
      expect((error as Error).message).toMatch(message)
    })
  }

  test('other bad input: typed errors naming the argument', async ({ session, server }) => {
    expect(() => session.setDownloadPath('')).toThrow(ValidationError)
    expect(() => session.setDownloadPath(42 as never)).toThrow(/argument 'path'/)
    expect(() => session.downloadURL('not a url')).toThrow(/argument 'url'/)
    expect(() => session.downloadURL(server.url('/'), { headers: { a: 1 } } as never)).toThrow(ValidationError)
    new Served(server, '/file', { size: 10 })
    const dir = await tempDir()
    try {
      const downloads = capture(session, (item) => {
        expect(() => item.setSavePath(7 as never)).toThrow(/argument 'path'/)
        item.setSavePath(join(dir, 'ok.bin'))
      })
      const next = downloads.next()
      session.downloadURL(server.url('/file'))
      expect(await (await next).done).toBe('completed')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  interface NameCase {
    name: string
    disposition: string | null
    path: string
    expected: string
    /** What getContentDisposition() says, when the header's bytes are not the string sent. */
    reported?: string
  }
  // A server that writes a UTF-8 filename as raw bytes (no filename*): Node writes a header
  // string as latin1, so each UTF-8 byte goes as one character.
  const rawUtf8 = 'attachment; filename="naïve résumé.txt"'
  const names: NameCase[] = [
    { name: 'Content-Disposition filename', disposition: 'attachment; filename="plain name.txt"', path: '/files/ignored.bin', expected: 'plain name.txt' },
    { name: "filename* (RFC 5987) wins over filename", disposition: `attachment; filename="fallback.txt"; filename*=UTF-8''%C3%A9t%C3%A9%20%E2%82%AC.txt`, path: '/files/ignored.bin', expected: 'été €.txt' },
    { name: 'a filename in raw UTF-8 bytes', disposition: Buffer.from(rawUtf8, 'utf8').toString('latin1'), path: '/files/ignored.bin', expected: 'naïve résumé.txt', reported: rawUtf8 },
    { name: 'no Content-Disposition: the URL\'s last segment', disposition: null, path: '/files/report%202024.pdf', expected: 'report 2024.pdf' },
  ]
  for (const c of names) {
    test(`downloadURL: getFilename from ${c.name}; headers, redirects and every getter`, async ({ session, server }) => {
      const dir = await tempDir()
      try {
        const served = new Served(server, c.path, { size: 3000, disposition: c.disposition, contentType: 'application/pdf; charset=binary' })
        server.setRedirect('/go', c.path, 302)
        const downloads = capture(session)
        session.setDownloadPath(dir)
        const next = downloads.next()
        session.downloadURL(server.url('/go'), { headers: { 'X-Download': 'from-node' } })
        const { item, webContents, done } = await next
        expect(webContents).toBeNull()
        expect(await done).toBe('completed')
        expect(item.getFilename()).toBe(c.expected)
        expect(item.getSavePath()).toBe(join(dir, c.expected))
        expect(item.getURLChain()).toEqual([server.url('/go'), server.url(c.path)])
        expect(item.getURL()).toBe(server.url(c.path))
        expect(item.getMimeType()).toBe('application/pdf')
        expect(item.getContentDisposition()).toBe(c.reported ?? c.disposition ?? '')
        expect([item.getTotalBytes(), item.getReceivedBytes(), item.getPercentComplete()]).toEqual([3000, 3000, 100])
        expect([item.getETag(), item.getLastModifiedTime()]).toEqual([served.etag, LAST_MODIFIED])
        expect(item.hasUserGesture()).toBe(false)
        expect(item.getStartTime()).toBeGreaterThan(1_600_000_000)
        expect(item.getEndTime()).toBeGreaterThanOrEqual(item.getStartTime())
        expect(item.getCurrentBytesPerSecond()).toBe(0)
        expect(served.nodeRequests()[0]?.headers['x-download']).toBe('from-node')
        expect(readFileSync(item.getSavePath()).equals(served.bytes())).toBe(true)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })
  }
})
