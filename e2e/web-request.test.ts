// ses.webRequest against real Chromium: every hook and callback field, the kinds of requests a
// session makes (documents, subresources, fetch, cross-site iframes, workers, service workers),
// filters, the bounded listener policy and isolation from other sessions.
import { ValidationError, type ErrorOccurredDetails, type Session, type WebContents, type WebRequestDetails } from 'cdp-session'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'
import type { TestServer } from './fixtures/server.js'

async function page(session: Session, server: TestServer, path = '/wr/page.html'): Promise<WebContents> {
  if (path === '/wr/page.html') server.setContent('/wr/page.html', '<!doctype html><p>page</p>')
  const wc = await session.createWebContents()
  await wc.loadURL(server.url(path))
  return wc
}

function fetchText(wc: WebContents, url: string, init = '{ cache: "no-store" }'): Promise<string> {
  return wc.executeJavaScript(`fetch(${JSON.stringify(url)}, ${init}).then(async (r) => r.status + ' ' + await r.text(), (e) => 'error ' + e.message)`) as Promise<string>
}

describe('ses.webRequest', () => {
  test('onBeforeRequest: a new page\'s first document, with Electron\'s details', async ({ session, server }) => {
    const seen: WebRequestDetails[] = []
    session.webRequest.onBeforeRequest((details, callback) => {
      seen.push(details)
      callback({})
    })
    const wc = await page(session, server)
    const doc = seen.find((d) => d.url === server.url('/wr/page.html'))
    expect(doc).toMatchObject({ method: 'GET', resourceType: 'mainFrame', webContentsId: wc.id, referrer: '' })
    expect(doc?.id).toBeTypeOf('number')
    expect(doc?.timestamp).toBeGreaterThan(Date.UTC(2020, 0))
    expect(doc?.webContents).toBe(wc)
  })

  test('onBeforeRequest: cancel fails the request with net::ERR_BLOCKED_BY_CLIENT (onErrorOccurred)', async ({ session, server }) => {
    server.setContent('/wr/blocked.txt', 'never', 'text/plain')
    const errors: ErrorOccurredDetails[] = []
    session.webRequest.onBeforeRequest({ urls: ['*://*/wr/blocked.txt'] }, (_details, callback) => callback({ cancel: true }))
    session.webRequest.onErrorOccurred((details) => errors.push(details))
    const wc = await page(session, server)
    expect(await fetchText(wc, '/wr/blocked.txt')).toMatch(/^error /)
    expect(server.requestCount('/wr/blocked.txt')).toBe(0)
    expect(errors.find((d) => d.url.endsWith('/wr/blocked.txt'))).toMatchObject({ error: 'net::ERR_BLOCKED_BY_CLIENT', resourceType: 'xhr', webContentsId: wc.id })
  })

  test('onBeforeRequest: redirectURL is a redirect the page follows (onBeforeRedirect), one id across it', async ({ session, server }) => {
    server.setContent('/wr/from.txt', 'original', 'text/plain')
    server.setContent('/wr/to.txt', 'redirected', 'text/plain')
    const ids: Record<string, number> = {}
    const redirects: Array<{ id: number; redirectURL: string; statusCode: number }> = []
    session.webRequest.onBeforeRequest({ urls: ['*://*/wr/*.txt'] }, (details, callback) => {
      ids[new URL(details.url).pathname] = details.id
      callback(details.url.endsWith('/from.txt') ? { redirectURL: server.url('/wr/to.txt') } : {})
    })
    session.webRequest.onBeforeRedirect((d) => redirects.push({ id: d.id, redirectURL: d.redirectURL, statusCode: d.statusCode }))
    const wc = await page(session, server)
    expect(await fetchText(wc, '/wr/from.txt')).toBe('200 redirected')
    expect(server.requestCount('/wr/from.txt')).toBe(0)
    expect(ids['/wr/to.txt']).toBe(ids['/wr/from.txt'])
    expect(redirects).toEqual([{ id: ids['/wr/from.txt'], redirectURL: server.url('/wr/to.txt'), statusCode: 307 }])
  })

  test('a server redirect keeps one id through onBeforeRequest, onBeforeRedirect and onCompleted', async ({ session, server }) => {
    server.setRedirect('/wr/old', '/wr/new.txt')
    server.setContent('/wr/new.txt', 'new', 'text/plain')
    const events: string[] = []
    session.webRequest.onBeforeRequest({ urls: ['*://*/wr/*'] }, (d, cb) => {
      events.push(`before ${d.id} ${new URL(d.url).pathname}`)
      cb({})
    })
    session.webRequest.onBeforeRedirect({ urls: ['*://*/wr/*'] }, (d) => events.push(`redirect ${d.id} ${d.statusCode} ${new URL(d.redirectURL).pathname}`))
    session.webRequest.onCompleted({ urls: ['*://*/wr/*'] }, (d) => events.push(`completed ${d.id} ${d.statusCode}`))
    const wc = await page(session, server)
    events.length = 0
    expect(await fetchText(wc, '/wr/old')).toBe('200 new')
    const id = /before (\d+)/.exec(events[0] ?? '')?.[1]
    expect(events).toEqual([`before ${id} /wr/old`, `redirect ${id} 302 /wr/new.txt`, `before ${id} /wr/new.txt`, `completed ${id} 200`])
  })

  test('onBeforeSendHeaders: requestHeaders replace what is sent; cancel blocks', async ({ session, server }) => {
    const seen: Record<string, string>[] = []
    session.webRequest.onBeforeSendHeaders({ urls: ['*://*/echo-headers*'] }, (details, callback) => {
      seen.push(details.requestHeaders)
      if (details.url.includes('block')) callback({ cancel: true })
      else callback({ requestHeaders: { ...details.requestHeaders, 'X-Added': 'yes', 'X-Multi': ['a', 'b'] } })
    })
    const wc = await page(session, server)
    const echoed = JSON.parse((await fetchText(wc, '/echo-headers?x')).slice(4)) as Record<string, string>
    expect(echoed['x-added']).toBe('yes')
    expect(echoed['x-multi']).toBe('a, b')
    expect(Object.keys(seen[0] ?? {}).length).toBeGreaterThan(0)
    expect(await fetchText(wc, '/echo-headers?block')).toMatch(/^error /)
  })

  test('onSendHeaders, onResponseStarted, onCompleted: headers, status, ip, fromCache', async ({ session, server }) => {
    server.setContent('/wr/data.txt', 'data', 'text/plain', { 'X-Test': 'one' })
    const log: Record<string, Record<string, unknown>> = {}
    const filter = { urls: ['*://*/wr/data.txt'] }
    session.webRequest.onSendHeaders(filter, (d) => (log.send = { ...d }))
    session.webRequest.onResponseStarted(filter, (d) => (log.started = { ...d }))
    session.webRequest.onCompleted(filter, (d) => (log.completed = { ...d }))
    const wc = await page(session, server)
    expect(await fetchText(wc, '/wr/data.txt')).toBe('200 data')
    expect(log.send).toMatchObject({ method: 'GET', resourceType: 'xhr', webContentsId: wc.id })
    expect(Object.keys(log.send?.requestHeaders as object)).toContain('User-Agent')
    for (const d of [log.started, log.completed]) {
      expect(d).toMatchObject({ statusCode: 200, statusLine: 'HTTP/1.1 200 OK', fromCache: false, ip: '127.0.0.1', webContentsId: wc.id })
      // Names as the server wrote them, as Chromium reports them without a proxy (and Electron).
      expect((d?.responseHeaders as Record<string, string[]>)['X-Test']).toEqual(['one'])
    }
    expect(log.completed?.id).toBe(log.send?.id)
  })

  test('onHeadersReceived: responseHeaders and statusLine change the response; cancel blocks', async ({ session, server }) => {
    server.setContent('/wr/h.txt', 'body', 'text/plain')
    const statusLines: string[] = []
    session.webRequest.onHeadersReceived({ urls: ['*://*/wr/h.txt*'] }, (details, callback) => {
      statusLines.push(details.statusLine)
      expect(details.responseHeaders?.['Content-Type']).toEqual(['text/plain'])
      if (details.url.endsWith('cancel')) callback({ cancel: true })
      else callback({ responseHeaders: { ...details.responseHeaders, 'X-Injected': ['1'] }, statusLine: 'HTTP/1.1 299 Fine' })
    })
    const wc = await page(session, server)
    const result = await wc.executeJavaScript(`fetch('/wr/h.txt', { cache: 'no-store' }).then(async (r) => [r.status, r.statusText, r.headers.get('x-injected'), await r.text()])`)
    expect(result).toEqual([299, 'Fine', '1', 'body'])
    expect(statusLines[0]).toBe('HTTP/1.1 200 OK')
    expect(await fetchText(wc, '/wr/h.txt?cancel')).toMatch(/^error /)
  })

  test('uploadData carries a POST body', async ({ session, server }) => {
    let upload: Buffer | undefined
    session.webRequest.onBeforeRequest({ urls: ['*://*/echo-body*'] }, (details, callback) => {
      upload = details.uploadData?.[0]?.bytes
      callback({})
    })
    const wc = await page(session, server)
    await fetchText(wc, '/echo-body', '{ method: "POST", body: "hello body" }')
    expect(upload?.toString()).toBe('hello body')
  })

  test('filters: urls with host wildcards and ports, types, excludeUrls', async ({ session, server }) => {
    server.setContent('/wr/f.png', 'x', 'image/png')
    server.setContent('/wr/f.txt', 'x', 'text/plain')
    server.setContent('/wr/f.html', `<img src="/wr/f.png"><img src="http://b.test:${server.port}/wr/f.png?b"><script>fetch('/wr/f.txt')</script>`)
    const seen: string[] = []
    session.webRequest.onBeforeRequest(
      { urls: [`*://*.test:${server.port}/wr/*`, `http://127.0.0.1:${server.port}/wr/*`], types: ['image', 'xhr'], excludeUrls: ['*://*/wr/f.txt'] },
      (details, callback) => {
        seen.push(`${details.resourceType} ${details.url}`)
        callback({})
      },
    )
    const wc = await session.createWebContents()
    await wc.loadURL(`http://a.test:${server.port}/wr/f.html`)
    await wc.executeJavaScript(`fetch('/wr/f.txt').then(() => 1)`)
    expect(seen.sort()).toEqual([`image http://a.test:${server.port}/wr/f.png`, `image http://b.test:${server.port}/wr/f.png?b`])
  })

  test('a cross-site iframe and its subresources: subFrame, the page\'s webContentsId', async ({ session, server }) => {
    server.setContent('/wr/top.html', `<iframe src="http://b.test:${server.port}/wr/frame.html"></iframe>`)
    server.setContent('/wr/frame.html', '<img src="/wr/in-frame.png">')
    server.setContent('/wr/in-frame.png', 'x', 'image/png')
    const seen = new Map<string, WebRequestDetails>()
    session.webRequest.onBeforeRequest((details, callback) => {
      seen.set(new URL(details.url).pathname, details)
      callback({})
    })
    const done = server.waitForRequest('/wr/in-frame.png')
    const wc = await session.createWebContents()
    await wc.loadURL(`http://a.test:${server.port}/wr/top.html`)
    await done
    expect(seen.get('/wr/top.html')).toMatchObject({ resourceType: 'mainFrame', webContentsId: wc.id })
    expect(seen.get('/wr/frame.html')).toMatchObject({ resourceType: 'subFrame', webContentsId: wc.id })
    expect(seen.get('/wr/in-frame.png')).toMatchObject({ resourceType: 'image', webContentsId: wc.id })
  })

  // The deciding hooks alone enable no Network domain (issue #17: it costs Chromium ~10 events per
  // request); their ids and types then come from Fetch alone. Each case runs both ways.
  const networkCases = [
    { label: 'deciding hooks alone (no Network)', observe: false },
    { label: 'with an observing hook (Network on)', observe: true },
  ] as const

  test.for(networkCases)('$label: a server redirect chain keeps one id through each hop\'s onBeforeRequest and onHeadersReceived', async ({ observe }, { session, server }) => {
    server.setRedirect('/wr/chain1', '/wr/chain2')
    server.setRedirect('/wr/chain2', '/wr/chain.txt')
    server.setContent('/wr/chain.txt', 'end', 'text/plain')
    const events: string[] = []
    session.webRequest.onBeforeRequest({ urls: ['*://*/wr/chain*'] }, (d, cb) => {
      events.push(`before ${d.id} ${new URL(d.url).pathname}`)
      cb({})
    })
    session.webRequest.onHeadersReceived({ urls: ['*://*/wr/chain*'] }, (d, cb) => {
      events.push(`headers ${d.id} ${d.statusCode} ${new URL(d.url).pathname}`)
      cb({})
    })
    if (observe) session.webRequest.onCompleted({ urls: ['*://*/wr/chain*'] }, (d) => events.push(`completed ${d.id}`))
    const wc = await page(session, server)
    const other = await page(session, server)
    expect(await fetchText(wc, '/wr/chain1')).toBe('200 end')
    expect(await fetchText(other, '/wr/chain1?again')).toBe('200 end')
    const ids = [...new Set(events.map((e) => e.split(' ')[1]))]
    expect(ids).toHaveLength(2)
    const [first, second] = ids
    expect(events.filter((e) => e.split(' ')[1] === first)).toEqual([
      `before ${first} /wr/chain1`,
      `headers ${first} 302 /wr/chain1`,
      `before ${first} /wr/chain2`,
      `headers ${first} 302 /wr/chain2`,
      `before ${first} /wr/chain.txt`,
      `headers ${first} 200 /wr/chain.txt`,
      ...(observe ? [`completed ${first}`] : []),
    ])
    expect(events.filter((e) => e.split(' ')[1] === second)).toHaveLength(observe ? 7 : 6)
  })

  test.for(networkCases)('$label: a page\'s requests of every kind get Electron\'s resourceType', async ({ observe }, { session, server }) => {
    server.setContent('/wr/kinds.html', `<iframe src="http://b.test:${server.port}/wr/kinds-frame.html"></iframe><img src="/wr/k.png"><link rel="stylesheet" href="/wr/k.css"><script src="/wr/k.js"></script>`)
    server.setContent('/wr/kinds-frame.html', '<p>frame</p>')
    server.setContent('/wr/k.png', 'x', 'image/png')
    server.setContent('/wr/k.css', 'p {}', 'text/css')
    server.setContent('/wr/k.js', '1', 'text/javascript')
    server.setContent('/wr/k.txt', 'x', 'text/plain')
    server.setContent('/wr/beacon', '', 'text/plain')
    const seen = new Map<string, string>()
    session.webRequest.onBeforeRequest((details, callback) => {
      seen.set(new URL(details.url).pathname, details.resourceType)
      callback({})
    })
    if (observe) session.webRequest.onCompleted(() => undefined)
    const wc = await session.createWebContents()
    await wc.loadURL(`http://a.test:${server.port}/wr/kinds.html`)
    await wc.executeJavaScript(`fetch('/wr/k.txt').then(() => new Promise((resolve) => { const x = new XMLHttpRequest(); x.open('GET', '/wr/k.txt?xhr'); x.onloadend = resolve; x.send() }))`)
    const beacon = server.waitForRequest('/wr/beacon')
    await wc.executeJavaScript(`navigator.sendBeacon('/wr/beacon', 'x')`)
    await beacon
    expect(Object.fromEntries(seen)).toMatchObject({
      '/wr/kinds.html': 'mainFrame',
      '/wr/kinds-frame.html': 'subFrame',
      '/wr/k.png': 'image',
      '/wr/k.css': 'stylesheet',
      '/wr/k.js': 'script',
      '/wr/k.txt': 'xhr',
      // Electron's type for a beacon; the dedicated-worker inference must not take it for a script.
      '/wr/beacon': 'ping',
    })
  })

  test.for([...networkCases, { label: 'deciding hooks alone, with a user agent override', observe: false, userAgent: true }])('$label: dedicated, shared and service workers: their scripts and fetches', async (setting, { session, server }) => {
    const { observe } = setting
    if ('userAgent' in setting) session.setUserAgent('cdp-session-test/1.0')
    const seen: WebRequestDetails[] = []
    session.webRequest.onBeforeRequest((details, callback) => {
      seen.push(details)
      callback({})
    })
    if (observe) session.webRequest.onCompleted(() => undefined)
    const wc = await page(session, server, '/worker-probe.html')
    await wc.executeJavaScript('probeDedicatedWorker()')
    await wc.executeJavaScript('probeSharedWorker()')
    await wc.executeJavaScript('probeServiceWorker()')
    const find = (path: string): WebRequestDetails | undefined => seen.find((d) => d.url.endsWith(path))
    // Fetch reports worker scripts as 'Other'. Shared and service worker scripts are told apart by their
    // worker targets, a dedicated worker's by the page's Network report of it (Electron: 'script') or,
    // without Network, by the headers the browser process fetches it with.
    expect(find('/worker.js')).toMatchObject({ resourceType: 'script', webContentsId: wc.id })
    expect(find('/echo-headers?from=dedicated')).toMatchObject({ resourceType: 'xhr', webContentsId: wc.id })
    expect(find('/shared-worker.js')).toMatchObject({ resourceType: 'script', webContentsId: wc.id })
    expect(find('/sw.js')).toMatchObject({ resourceType: 'script' })
    // Shared and service workers belong to no page, as in Electron.
    for (const kind of ['shared', 'service']) {
      const fetched = find(`/echo-headers?from=${kind}`)
      expect(fetched).toMatchObject({ resourceType: 'xhr' })
      expect(fetched?.webContentsId).toBeUndefined()
    }
  })

  // Chromium never rebuilds a shared worker's loaders, so interception that goes off and on again
  // at browser level would lose a running one; each shared worker keeps its own Fetch instead.
  test('a running shared worker: a hook removed stops seeing its fetches, the next hook set sees them again', async ({ session, server }) => {
    const seen: string[] = []
    const hook = (label: string) => (details: WebRequestDetails, callback: (response: { cancel?: boolean }) => void) => {
      if (details.url.includes('from=shared')) seen.push(label)
      callback({})
    }
    session.webRequest.onBeforeRequest(hook('first'))
    const wc = await page(session, server, '/worker-probe.html')
    // A shared worker that stays: the page holds a port of it, and each probe of this name reuses it.
    await wc.executeJavaScript(`window.keep = new SharedWorker('/shared-worker.js', 'kept'); keep.port.start(); probeSharedWorker('kept')`)
    expect(seen).toEqual(['first'])
    session.webRequest.onBeforeRequest(null)
    await wc.executeJavaScript(`probeSharedWorker('kept')`)
    expect(seen).toEqual(['first'])
    session.webRequest.onBeforeRequest(hook('second'))
    await wc.executeJavaScript(`probeSharedWorker('kept')`)
    expect(seen).toEqual(['first', 'second'])
    // One worker all along: its script was fetched once.
    expect(server.requests.filter((r) => r.path === '/shared-worker.js')).toHaveLength(1)
  })

  // Fetch never pauses a WebSocket handshake (the deciding hooks cannot see it); Network reports it.
  test('WebSocket handshakes: onSendHeaders, onResponseStarted, onCompleted with resourceType webSocket', async ({ session, server }) => {
    const events: string[] = []
    const filter = { urls: ['ws://*/*'] }
    session.webRequest.onSendHeaders(filter, (d) => events.push(`send ${d.resourceType} ${d.webContentsId} ${d.requestHeaders['Upgrade'] ?? d.requestHeaders['upgrade']}`))
    session.webRequest.onResponseStarted(filter, (d) => events.push(`started ${d.statusCode} ${d.statusLine}`))
    session.webRequest.onCompleted(filter, (d) => events.push(`completed ${d.id > 0}`))
    const wc = await page(session, server)
    const echoed = await wc.executeJavaScript(`new Promise((resolve, reject) => {
      const ws = new WebSocket('ws://127.0.0.1:${server.port}/ws')
      ws.onopen = () => ws.send('hi')
      ws.onmessage = (e) => { resolve(String(e.data)); ws.close() }
      ws.onerror = () => reject(new Error('ws failed'))
    })`)
    expect(echoed).toBe('hi')
    expect(events).toEqual([`send webSocket ${wc.id} websocket`, 'started 101 HTTP/1.1 101 Switching Protocols', 'completed true'])
  })

  test('a page with 200 subresources loads completely under a pass-through onBeforeRequest', async ({ session, server }) => {
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
    for (let i = 0; i < 200; i++) server.setContent(`/wr/many/${i}.gif`, gif, 'image/gif')
    const images = Array.from({ length: 200 }, (_, i) => `<img src="/wr/many/${i}.gif">`).join('')
    server.setContent('/wr/many.html', `<!doctype html>${images}`)
    let calls = 0
    session.webRequest.onBeforeRequest((_details, callback) => {
      calls++
      callback({})
    })
    const wc = await page(session, server, '/wr/many.html')
    const loaded = await wc.executeJavaScript(`[...document.images].filter((img) => img.complete && img.naturalWidth === 1).length`)
    expect(loaded).toBe(200)
    for (let i = 0; i < 200; i++) expect(server.requestCount(`/wr/many/${i}.gif`)).toBe(1)
    expect(calls).toBe(201)
  })

  test('listeners that throw or never call back: 1,000 requests all proceed; the session reports each', async ({ session, server }) => {
    server.setContent('/wr/n.txt', 'ok', 'text/plain')
    const reported: string[] = []
    session.on('web-request-error', (error, details) => reported.push(`${details.hook} ${error.message.includes('did not call back') ? 'timeout' : 'threw'}`))
    session.webRequest.setListenerTimeout(200)
    let n = 0
    session.webRequest.onBeforeRequest({ urls: ['*://*/wr/n.txt*'] }, () => {
      if (n++ % 2 === 0) throw new Error('listener bug')
      // never calls back
    })
    const wc = await page(session, server)
    const results = (await wc.executeJavaScript(
      `Promise.all(Array.from({ length: 1000 }, (_, i) => fetch('/wr/n.txt?' + i).then((r) => r.text(), () => 'lost')))`,
    )) as string[]
    expect(results.filter((r) => r === 'ok').length).toBe(1000)
    expect(reported.filter((r) => r === 'onBeforeRequest threw').length).toBe(500)
    expect(reported.filter((r) => r === 'onBeforeRequest timeout').length).toBe(500)
  })

  // Chromium misses a loaded page's later requests when browser-level Fetch is first enabled
  // after the page loaded (measured: also with an empty pattern list). The interceptor keeps one
  // never-matching pattern enabled from connect. A browser without session gateways shows it
  // plainly (a gateway's own auth handler enables Fetch early too).
  test('a hook set after the page loaded sees its later requests', async ({ server }) => {
    server.setContent('/wr/later.txt', 'later', 'text/plain')
    const browser = await launchTestBrowser({ gateway: false })
    try {
      const session = browser.session.fromPartition('later')
      const wc = await page(session, server)
      const seen: string[] = []
      session.webRequest.onBeforeRequest((details, callback) => {
        seen.push(details.url)
        callback({})
      })
      await session.webRequest.ready()
      expect(await fetchText(wc, '/wr/later.txt')).toBe('200 later')
      expect(seen).toContain(server.url('/wr/later.txt'))
    } finally {
      await browser.close()
    }
  })

  test('one listener per hook: a new one replaces it, null removes it', async ({ session, server }) => {
    server.setContent('/wr/r.txt', 'r', 'text/plain')
    const calls: string[] = []
    session.webRequest.onBeforeRequest({ urls: ['*://*/wr/r.txt*'] }, (_d, cb) => {
      calls.push('first')
      cb({})
    })
    session.webRequest.onBeforeRequest({ urls: ['*://*/wr/r.txt*'] }, (_d, cb) => {
      calls.push('second')
      cb({})
    })
    const wc = await page(session, server)
    await fetchText(wc, '/wr/r.txt?1')
    session.webRequest.onBeforeRequest(null)
    await session.webRequest.ready()
    await fetchText(wc, '/wr/r.txt?2')
    expect(calls).toEqual(['second'])
  })

  test('another session\'s requests are never seen', async ({ session, server, browser }) => {
    server.setContent('/wr/other.txt', 'other', 'text/plain')
    const seen: string[] = []
    session.webRequest.onBeforeRequest((d, cb) => {
      seen.push(d.url)
      cb({})
    })
    session.webRequest.onCompleted((d) => seen.push(d.url))
    await session.webRequest.ready()
    const other = browser.session.fromPartition(`wr-other-${process.pid}`)
    try {
      const wc = await page(other, server)
      expect(await fetchText(wc, '/wr/other.txt')).toBe('200 other')
    } finally {
      await other.close()
    }
    expect(seen).toEqual([])
  })

  test('bad input: a bad pattern, a bad listener, a bad callback object', async ({ session, server }) => {
    expect(() => session.webRequest.onBeforeRequest({ urls: ['http://*foo/'] }, () => undefined)).toThrow(ValidationError)
    expect(() => session.webRequest.onBeforeRequest({ urls: ['no-scheme'] }, () => undefined)).toThrow(/argument 'filter.urls.0'/)
    expect(() => session.webRequest.onBeforeRequest({ types: ['picture' as never] }, () => undefined)).toThrow(/argument 'filter.types.0'/)
    expect(() => session.webRequest.onBeforeRequest({ url: ['<all_urls>'] } as never, () => undefined)).toThrow(/argument 'filter'/)
    expect(() => session.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, 'nope' as never)).toThrow(/argument 'listener'/)
    server.setContent('/wr/bad.txt', 'still loads', 'text/plain')
    const thrown: unknown[] = []
    session.webRequest.onBeforeRequest({ urls: ['*://*/wr/bad.txt'] }, (_d, callback) => {
      try {
        callback({ cancel: 'yes' } as never)
      } catch (error) {
        thrown.push(error)
      }
    })
    const wc = await page(session, server)
    expect(await fetchText(wc, '/wr/bad.txt')).toBe('200 still loads')
    expect(thrown[0]).toBeInstanceOf(ValidationError)
    expect((thrown[0] as ValidationError).argument).toBe('response.cancel')
  })
})
