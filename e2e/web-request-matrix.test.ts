// The webRequest matrix: every hook and callback field × every kind of request a session makes
// (e2e/fixtures/web-request-kinds.ts), hooks set before and after the page exists, listeners
// replaced and removed; Electron's order of the eight hooks with one id across redirects; and the
// bounded policy for listeners that misbehave. Each cell has its own timeout: a hang fails it.
// Cells where CDP cannot give Electron's value assert what we give and say why (kind.limit).
import { ValidationError, type Session, type WebContents, type WebRequestDetails } from 'cdp-session'
import { closedPort, describe, expect, test } from './fixtures/test.js'
import { KINDS, serveMatrix, targetUrl, type RequestKind } from './fixtures/web-request-kinds.js'
import type { TestServer } from './fixtures/server.js'

const CELL = { timeout: 20_000 }
const FILTER = { urls: ['*://*/m/t/*'] }
const HOOKS = ['onBeforeRequest', 'onBeforeSendHeaders', 'onSendHeaders', 'onHeadersReceived', 'onResponseStarted', 'onBeforeRedirect', 'onCompleted', 'onErrorOccurred'] as const
type HookName = (typeof HOOKS)[number]
type Deciding = 'onBeforeRequest' | 'onBeforeSendHeaders' | 'onHeadersReceived'
type Details = WebRequestDetails & Record<string, unknown>
type Decide = Partial<Record<Deciding, (details: Details) => object>>

interface Seen {
  hook: HookName
  details: Details
}

/** Every call of every hook (filtered to the matrix's targets), and a way to wait for one. */
class HookLog {
  readonly seen: Seen[] = []
  readonly #waiters: Array<{ match: (s: Seen) => boolean; resolve: (s: Seen) => void }> = []

  constructor(session: Session, decide: Decide = {}, hooks: readonly HookName[] = HOOKS) {
    const wr = session.webRequest as unknown as Record<HookName, (filter: object, listener: (...args: never[]) => void) => void>
    for (const hook of hooks) {
      const decider = decide[hook as Deciding]
      if (hook === 'onBeforeRequest' || hook === 'onBeforeSendHeaders' || hook === 'onHeadersReceived') {
        wr[hook](FILTER, ((details: Details, callback: (r: object) => void) => {
          this.#add(hook, details)
          callback(decider?.(details) ?? {})
        }) as never)
      } else {
        wr[hook](FILTER, ((details: Details) => this.#add(hook, details)) as never)
      }
    }
  }

  #add(hook: HookName, details: Details): void {
    const entry = { hook, details }
    this.seen.push(entry)
    for (const waiter of [...this.#waiters]) {
      if (!waiter.match(entry)) continue
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
      waiter.resolve(entry)
    }
  }

  /** The call of `hook` for `url` (waits for it: observers come from Network events, after the page may have its answer). */
  until(hook: HookName, url: string): Promise<Details> {
    const match = (s: Seen): boolean => s.hook === hook && s.details.url === url
    const found = this.seen.find(match)
    if (found) return Promise.resolve(found.details)
    return new Promise<Seen>((resolve) => this.#waiters.push({ match, resolve })).then((s) => s.details)
  }

  /** Hooks called for request `id`, in order, as 'hook /path'. */
  sequence(id: number): string[] {
    return this.seen.filter((s) => s.details.id === id).map((s) => `${s.hook} ${new URL(s.details.url).pathname}`)
  }

  for(hook: HookName, url: string): Details[] {
    return this.seen.filter((s) => s.hook === hook && s.details.url === url).map((s) => s.details)
  }
}

const name = (details: { url: string }): string => new URL(details.url).pathname.split('/').pop() ?? ''
const path = (url: string): string => new URL(url).pathname
/** A pass-through hop: what Electron calls for a request that is sent and answered. */
const hop = (url: string, last: boolean): string[] => {
  const p = path(url)
  const head = [`onBeforeRequest ${p}`, `onBeforeSendHeaders ${p}`, `onSendHeaders ${p}`, `onHeadersReceived ${p}`]
  return last ? [...head, `onResponseStarted ${p}`, `onCompleted ${p}`] : [...head, `onBeforeRedirect ${p}`]
}

function expectOwner(details: Details, kind: RequestKind, wc: WebContents): void {
  if (kind.ofPage === 'opened') {
    // The popup's own WebContents, not its opener's.
    expect(details.webContentsId).toEqual(expect.any(Number))
    expect(details.webContentsId).not.toBe(wc.id)
    expect((details.webContents as WebContents | undefined)?.id).toBe(details.webContentsId)
  } else if (kind.ofPage) {
    expect(details.webContentsId).toBe(wc.id)
    expect(details.webContents).toBe(wc)
  } else {
    expect(details.webContentsId).toBeUndefined()
  }
}

/** The page's own view of a successful request: its marker where the page can read one. */
function passed(kind: RequestKind, marker: string): object {
  return kind.body === 'img' ? { ok: true } : { ok: true, marker }
}

async function setUp(kind: RequestKind, session: Session, server: TestServer, decide: Decide = {}): Promise<{ log: HookLog; wc: WebContents }> {
  serveMatrix(server)
  const log = new HookLog(session, decide)
  const wc = await kind.open(session, server)
  return { log, wc }
}

describe('webRequest matrix', () => {
  for (const kind of KINDS) {
    describe(kind.name, () => {
      test('onBeforeRequest: details; {} passes, cancel fails it (onErrorOccurred), redirectURL redirects it (307, same id)', CELL, async ({ session, server }) => {
        const { log, wc } = await setUp(kind, session, server, {
          onBeforeRequest: (d) => (name(d) === 'cancel' ? { cancel: true } : name(d) === 'from' ? { redirectURL: d.url.replace('/m/t/from', '/m/t/to') } : {}),
        })
        // {} passes, with Electron's details
        const pass = targetUrl(kind, server, 'pass')
        expect(await kind.run(wc, pass)).toMatchObject(passed(kind, 'pass'))
        const [details] = log.for('onBeforeRequest', pass)
        expect(details).toMatchObject({ url: pass, method: kind.method, resourceType: kind.resourceType })
        expect(details!.id).toBeTypeOf('number')
        expect(details!.timestamp).toBeGreaterThan(Date.UTC(2020, 0))
        // loadURL sends no referrer; a page's window.open sends its opener's URL
        expect(details!.referrer).toEqual(kind.ofPage === 'opened' ? wc.getURL() : kind.resourceType === 'mainFrame' ? '' : expect.stringMatching(/^http:\/\//))
        expectOwner(details!, kind, wc)
        if (kind.method === 'POST') expect(details!.uploadData?.map((u) => u.bytes.toString())).toEqual(['payload'])
        else expect(details!.uploadData).toBeUndefined()
        expect(await log.until('onCompleted', pass)).toMatchObject({ id: details!.id, statusCode: 200 })
        expect(log.sequence(details!.id)).toEqual(hop(pass, true))

        // cancel: the page sees a network error, the server nothing, onErrorOccurred the reason
        const cancel = targetUrl(kind, server, 'cancel')
        expect((await kind.run(wc, cancel, false)).ok).toBe(false)
        const error = await log.until('onErrorOccurred', cancel)
        expect(error).toMatchObject({ error: 'net::ERR_BLOCKED_BY_CLIENT', resourceType: kind.resourceType, method: kind.method, fromCache: false })
        expectOwner(error, kind, wc)
        expect(log.sequence(error.id)).toEqual([`onBeforeRequest ${path(cancel)}`, `onErrorOccurred ${path(cancel)}`])
        expect(server.requestCount('/m/t/cancel')).toBe(0)

        // redirectURL: a 307 the page follows; the hooks run again for the new URL with the same id
        const from = targetUrl(kind, server, 'from')
        const to = from.replace('/m/t/from', '/m/t/to')
        expect(await kind.run(wc, from)).toMatchObject(passed(kind, 'to'))
        const completed = await log.until('onCompleted', to)
        const redirect = log.for('onBeforeRedirect', from)
        expect(redirect).toEqual([expect.objectContaining({ id: completed.id, statusCode: 307, redirectURL: to, resourceType: kind.resourceType })])
        expect(log.sequence(completed.id)).toEqual([`onBeforeRequest ${path(from)}`, `onBeforeRedirect ${path(from)}`, ...hop(to, true)])
        expect(server.requestCount('/m/t/from')).toBe(0)
        if (kind.method === 'POST') expect(server.requests.find((r) => r.path === '/m/t/to')).toMatchObject({ method: 'POST', body: Buffer.from('payload') })
      })

      test('onBeforeSendHeaders: an added and a removed header reach the server and onSendHeaders; cancel', CELL, async ({ session, server }) => {
        const { log, wc } = await setUp(kind, session, server, {
          onBeforeSendHeaders: (d) => {
            const headers = { ...(d.requestHeaders as Record<string, string>) }
            if (name(d) === 'cancel') return { cancel: true }
            if (name(d) === 'add') return { requestHeaders: { ...headers, 'X-Added': 'yes', 'X-Multi': ['a', 'b'] } }
            for (const key of Object.keys(headers)) if (key.toLowerCase() === 'accept') delete headers[key]
            return { requestHeaders: headers }
          },
        })
        const add = targetUrl(kind, server, 'add')
        expect(await kind.run(wc, add)).toMatchObject(passed(kind, 'add'))
        const [before] = log.for('onBeforeSendHeaders', add)
        expect(Object.keys(before!.requestHeaders as object).map((k) => k.toLowerCase())).toContain('accept')
        expect(server.requests.find((r) => r.path === '/m/t/add')?.headers).toMatchObject({ 'x-added': 'yes', 'x-multi': 'a, b' })
        const [sent] = log.for('onSendHeaders', add)
        expect(sent?.requestHeaders).toMatchObject({ 'X-Added': 'yes', 'X-Multi': 'a, b' })
        expectOwner(sent!, kind, wc)
        await log.until('onCompleted', add)
        expect(log.sequence(before!.id)).toEqual(hop(add, true))

        const remove = targetUrl(kind, server, 'remove')
        expect(await kind.run(wc, remove)).toMatchObject(passed(kind, 'remove'))
        expect(server.requests.find((r) => r.path === '/m/t/remove')?.headers.accept).toBeUndefined()
        const [sentWithout] = log.for('onSendHeaders', remove)
        expect(Object.keys(sentWithout!.requestHeaders as object).map((k) => k.toLowerCase())).not.toContain('accept')

        const cancel = targetUrl(kind, server, 'cancel')
        expect((await kind.run(wc, cancel, false)).ok).toBe(false)
        const error = await log.until('onErrorOccurred', cancel)
        expect(error.error).toBe('net::ERR_BLOCKED_BY_CLIENT')
        // Not sent: no onSendHeaders.
        expect(log.sequence(error.id)).toEqual([`onBeforeRequest ${path(cancel)}`, `onBeforeSendHeaders ${path(cancel)}`, `onErrorOccurred ${path(cancel)}`])
        expect(server.requestCount('/m/t/cancel')).toBe(0)
      })

      test('onHeadersReceived: added and removed headers and statusLine reach the page and the observers; cancel', CELL, async ({ session, server }) => {
        const { log, wc } = await setUp(kind, session, server, {
          onHeadersReceived: (d) => {
            const headers = { ...(d.responseHeaders as Record<string, string[]>) }
            switch (name(d)) {
              case 'cancel':
                return { cancel: true }
              case 'add':
                return { responseHeaders: { ...headers, 'X-Added': ['yes'] } }
              case 'remove':
                delete headers['X-Remove']
                return { responseHeaders: headers }
              case 'status':
                return { statusLine: 'HTTP/1.1 299 Fine' }
              default:
                return {}
            }
          },
        })
        const add = targetUrl(kind, server, 'add')
        const outcome = await kind.run(wc, add)
        expect(outcome).toMatchObject(passed(kind, 'add'))
        if (kind.readsResponse) expect(outcome).toMatchObject({ status: 200, added: 'yes', removed: 'gone' })
        const [received] = log.for('onHeadersReceived', add)
        expect(received).toMatchObject({ statusCode: 200, statusLine: 'HTTP/1.1 200 OK', resourceType: kind.resourceType })
        expect((received!.responseHeaders as Record<string, string[]>)['X-Remove']).toEqual(['gone'])
        expectOwner(received!, kind, wc)
        const completed = await log.until('onCompleted', add)
        expect((completed.responseHeaders as Record<string, string[]>)['X-Added']).toEqual(['yes'])
        expect((log.for('onResponseStarted', add)[0]!.responseHeaders as Record<string, string[]>)['X-Added']).toEqual(['yes'])

        const remove = targetUrl(kind, server, 'remove')
        const removed = await kind.run(wc, remove)
        if (kind.readsResponse) expect(removed).toMatchObject({ ok: true, removed: null })
        expect((await log.until('onCompleted', remove)).responseHeaders).not.toHaveProperty('X-Remove')

        const status = targetUrl(kind, server, 'status')
        const rewritten = await kind.run(wc, status)
        expect(rewritten).toMatchObject(passed(kind, 'status'))
        if (kind.readsResponse) expect(rewritten).toMatchObject({ status: 299, removed: 'gone' })
        expect(await log.until('onCompleted', status)).toMatchObject({ statusCode: 299, statusLine: 'HTTP/1.1 299 Fine' })

        const cancel = targetUrl(kind, server, 'cancel')
        expect((await kind.run(wc, cancel, false)).ok).toBe(false)
        const error = await log.until('onErrorOccurred', cancel)
        expect(error.error).toBe('net::ERR_BLOCKED_BY_CLIENT')
        expect(log.sequence(error.id)).toEqual([...hop(cancel, false).slice(0, 4), `onErrorOccurred ${path(cancel)}`])
      })

      test('observers: a 301 → 302 chain keeps one id; onCompleted details; a refused connection reaches onErrorOccurred', CELL, async ({ session, server }) => {
        const { log, wc } = await setUp(kind, session, server)
        const chain = targetUrl(kind, server, 'chain1')
        const chain2 = chain.replace('chain1', 'chain2')
        const end = chain.replace('chain1', 'end')
        expect(await kind.run(wc, chain)).toMatchObject(passed(kind, 'end'))
        const completed = await log.until('onCompleted', end)
        if (kind.serverRedirectsSeen === false) {
          // kind.limit: no onBeforeRedirect, onSendHeaders for the first hop only.
          const unseen = (hook: string): boolean => hook.startsWith('onBeforeRedirect') || (hook.startsWith('onSendHeaders') && !hook.endsWith('chain1'))
          expect(log.sequence(completed.id)).toEqual([...hop(chain, false), ...hop(chain2, false), ...hop(end, true)].filter((h) => !unseen(h)))
        } else {
          expect(log.sequence(completed.id)).toEqual([...hop(chain, false), ...hop(chain2, false), ...hop(end, true)])
          expect(log.seen.filter((s) => s.hook === 'onBeforeRedirect').map((s) => [s.details.statusCode, s.details.redirectURL])).toEqual([
            [301, chain2],
            [302, end],
          ])
        }
        const observed = { statusCode: 200, statusLine: 'HTTP/1.1 200 OK', fromCache: false, ip: '127.0.0.1', resourceType: kind.resourceType }
        expect(completed).toMatchObject({ ...observed, error: 'net::OK' })
        expect(log.for('onResponseStarted', end)).toEqual([expect.objectContaining(observed)])
        expectOwner(completed, kind, wc)

        if (kind.body === 'worker') return // a worker script must be same-origin, and a closed port is another origin
        const refused = targetUrl(kind, server, 'pass', `http://127.0.0.1:${await closedPort()}`)
        expect((await kind.run(wc, refused, false)).ok).toBe(false)
        const error = await log.until('onErrorOccurred', refused)
        expect(error).toMatchObject({ error: 'net::ERR_CONNECTION_REFUSED', resourceType: kind.resourceType })
        expect(log.sequence(error.id)).toEqual([...hop(refused, false).slice(0, 3), `onErrorOccurred ${path(refused)}`])
      })

      test('hooks set after the page exists apply to its next request', CELL, async ({ session, server }) => {
        serveMatrix(server)
        const wc = await kind.open(session, server)
        const log = new HookLog(session, { onBeforeRequest: (d) => (name(d) === 'cancel' ? { cancel: true } : {}) })
        const pass = targetUrl(kind, server, 'pass')
        expect(await kind.run(wc, pass)).toMatchObject(passed(kind, 'pass'))
        const completed = await log.until('onCompleted', pass)
        expect(log.sequence(completed.id)).toEqual(hop(pass, true))
        expectOwner(completed, kind, wc)
        const cancel = targetUrl(kind, server, 'cancel')
        expect((await kind.run(wc, cancel, false)).ok).toBe(false)
        expect(await log.until('onErrorOccurred', cancel)).toMatchObject({ error: 'net::ERR_BLOCKED_BY_CLIENT' })
      })

      test('a replaced listener is the only one called; null removes it', CELL, async ({ session, server }) => {
        serveMatrix(server)
        const calls: string[] = []
        const wr = session.webRequest
        wr.onBeforeRequest(FILTER, (_d, cb) => {
          calls.push('first')
          cb({ cancel: true })
        })
        wr.onCompleted(FILTER, () => calls.push('first completed'))
        let completed: () => void = () => undefined
        const secondCompleted = new Promise<void>((resolve) => (completed = resolve))
        wr.onBeforeRequest(FILTER, (_d, cb) => {
          calls.push('second')
          cb({})
        })
        wr.onCompleted(FILTER, () => {
          calls.push('second completed')
          completed()
        })
        const wc = await kind.open(session, server)
        expect(await kind.run(wc, targetUrl(kind, server, 'pass'))).toMatchObject(passed(kind, 'pass'))
        await secondCompleted
        expect(calls).toEqual(['second', 'second completed'])

        wr.onBeforeRequest(null)
        wr.onCompleted(null)
        // A sentinel request after the checked one: its error arrives after anything late about the first.
        let sentinel: () => void = () => undefined
        const sentinelSeen = new Promise<void>((resolve) => (sentinel = resolve))
        wr.onBeforeSendHeaders(FILTER, (d, cb) => cb({ cancel: name(d) === 'cancel' }))
        wr.onErrorOccurred(FILTER, () => sentinel())
        expect(await kind.run(wc, targetUrl(kind, server, 'pass'))).toMatchObject(passed(kind, 'pass'))
        expect((await kind.run(wc, targetUrl(kind, server, 'cancel'), false)).ok).toBe(false)
        await sentinelSeen
        expect(calls).toEqual(['second', 'second completed'])
      })
    })
  }

  test('all eight hooks on navigations fire once per hop, in Electron\'s order, with one id across redirects', CELL, async ({ session, server }) => {
    const kind = KINDS[0]!
    const { log, wc } = await setUp(kind, session, server, { onHeadersReceived: (d) => ({ cancel: name(d) === 'cancel' }) })
    const chain2 = targetUrl(kind, server, 'chain2')
    const end = chain2.replace('chain2', 'end')
    await wc.loadURL(chain2)
    const completed = await log.until('onCompleted', end)
    const ids = new Set(log.seen.map((s) => s.details.id))
    expect(ids).toEqual(new Set([completed.id]))
    expect(log.seen.map((s) => `${s.hook} ${path(s.details.url)}`)).toEqual([...hop(chain2, false), ...hop(end, true)])
    // onErrorOccurred in place of onResponseStarted/onCompleted when the response is refused.
    const cancel = targetUrl(kind, server, 'cancel')
    await expect(wc.loadURL(cancel)).rejects.toThrow(/ERR_BLOCKED_BY_CLIENT/)
    const error = await log.until('onErrorOccurred', cancel)
    expect(log.sequence(error.id)).toEqual([...hop(cancel, false).slice(0, 4), `onErrorOccurred ${path(cancel)}`])
    const fired = new Set(log.seen.map((s) => s.hook))
    expect([...fired].sort()).toEqual([...HOOKS].sort())
  })

  // The policy (docs/decisions.md): whatever a deciding listener does, its request settles — a
  // listener that is slow (past setListenerTimeout), throws, answers twice or answers with a
  // malformed object lets the request proceed as with {} (only the first well-formed answer in
  // time counts), and the session emits 'web-request-error' for each misbehaviour.
  const MISBEHAVIOURS: Array<{ name: string; listener: (callback: (r: unknown) => void) => void; reports: Array<(e: Error) => boolean> }> = [
    {
      name: 'is slow (answers cancel after the timeout)',
      listener: (cb) => setTimeout(() => cb({ cancel: true }), 300),
      reports: [(e) => /did not call back within 100 ms/.test(e.message), (e) => /after the request had proceeded/.test(e.message)],
    },
    {
      name: 'throws',
      listener: () => {
        throw new Error('listener bug')
      },
      reports: [(e) => e.message === 'listener bug'],
    },
    {
      name: 'answers twice ({} then cancel)',
      listener: (cb) => {
        cb({})
        cb({ cancel: true })
      },
      reports: [(e) => /more than once/.test(e.message)],
    },
    { name: 'answers with a malformed object', listener: (cb) => cb({ cancel: 'yes' }), reports: [(e) => e instanceof ValidationError && e.argument === 'response.cancel'] },
  ]
  const REQUESTS = 200
  for (const hook of ['onBeforeRequest', 'onBeforeSendHeaders', 'onHeadersReceived'] as const) {
    for (const misbehaviour of MISBEHAVIOURS) {
      test(`${hook}: a listener that ${misbehaviour.name} — ${REQUESTS} requests all settle, each reported`, { timeout: 30_000 }, async ({ session, server }) => {
        serveMatrix(server)
        session.webRequest.setListenerTimeout(100)
        const expected = REQUESTS * misbehaviour.reports.length
        const reports: Array<{ error: Error; hook: string }> = []
        let allReported: () => void = () => undefined
        const reported = new Promise<void>((resolve) => (allReported = resolve))
        session.on('web-request-error', (error, details) => {
          reports.push({ error, hook: details.hook })
          if (reports.length === expected) allReported()
        })
        ;(session.webRequest[hook] as (filter: object, listener: (d: unknown, cb: (r: unknown) => void) => void) => void)({ urls: ['*://*/m/t/n*'] }, (_d, cb) => misbehaviour.listener(cb))
        const wc = await KINDS[0]!.open(session, server)
        const results = (await wc.executeJavaScript(
          `Promise.all(Array.from({ length: ${REQUESTS} }, (_, i) => fetch('/m/t/n?i=' + i).then((r) => r.text(), () => 'lost')))`,
        )) as string[]
        expect(results.filter((r) => r === 'n')).toHaveLength(REQUESTS)
        expect(server.requestCount('/m/t/n')).toBe(REQUESTS)
        await reported
        expect(reports.every((r) => r.hook === hook)).toBe(true)
        for (const matches of misbehaviour.reports) expect(reports.filter((r) => matches(r.error))).toHaveLength(REQUESTS)
      })
    }
  }

  test('a session closed while listeners hold its requests closes, and they settle', CELL, async ({ browser, server }) => {
    serveMatrix(server)
    const session = browser.session.fromPartition(`wr-matrix-close-${process.pid}`)
    let held = 0
    let allHeld: () => void = () => undefined
    const holding = new Promise<void>((resolve) => (allHeld = resolve))
    // A listener timeout far past this cell's: a close that waited for it would fail the cell.
    session.webRequest.setListenerTimeout(600_000)
    session.webRequest.onBeforeRequest(FILTER, () => {
      if (++held === 5) allHeld()
    })
    const wc = await KINDS[0]!.open(session, server)
    const pending = wc
      .executeJavaScript(`Promise.all(Array.from({ length: 5 }, (_, i) => fetch('/m/t/n?i=' + i).then(() => 'ok', () => 'error')))`)
      .then(() => 'answered', (error: unknown) => error)
    await holding
    await session.close()
    // The page went with its session: the pending call ends (rejects) rather than hanging.
    expect(await pending).toMatchObject({ code: 'ERR_TARGET_CLOSED' })
  })

  describe('header shapes and CDP limits (asserted as they are, documented in docs/feature-matrix.md)', () => {
    test('onHeadersReceived: array values go out as repeated headers (the page reads them joined)', CELL, async ({ session, server }) => {
      serveMatrix(server)
      session.webRequest.onHeadersReceived(FILTER, (d, cb) => cb({ responseHeaders: { ...d.responseHeaders, 'X-Multi': ['a', 'b'], 'X-One': 'single' } }))
      const wc = await KINDS[0]!.open(session, server)
      expect(await wc.executeJavaScript(`fetch('/m/t/pass').then((r) => [r.headers.get('x-multi'), r.headers.get('x-one')])`)).toEqual(['a, b', 'single'])
    })

    test('onHeadersReceived: a compressed response still decodes after its headers are rewritten (Content-Encoding, Content-Length kept)', CELL, async ({ session, server }) => {
      serveMatrix(server)
      const text = 'compressed body '.repeat(200)
      const { gzipSync } = await import('node:zlib')
      const gz = gzipSync(text)
      server.setRoute('/m/t/gz', (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip', 'Content-Length': String(gz.length) })
        res.end(gz)
      })
      session.webRequest.onHeadersReceived(FILTER, (d, cb) => cb({ responseHeaders: { ...d.responseHeaders, 'X-Added': ['yes'] } }))
      const wc = await KINDS[0]!.open(session, server)
      expect(await wc.executeJavaScript(`fetch('/m/t/gz').then(async (r) => [r.headers.get('x-added'), await r.text()])`)).toEqual(['yes', text])
      await wc.loadURL(server.url('/m/t/gz'))
      expect(await wc.executeJavaScript('document.body.textContent')).toBe(text)
    })

    // Chromium stores a response's cookies before Fetch pauses it at the response stage, and
    // continueResponse's headers only reach the page: Set-Cookie written by onHeadersReceived
    // changes nothing in the cookie store (Electron: it does).
    test('onHeadersReceived: Set-Cookie changes do not reach the cookie store (limit)', CELL, async ({ session, server }) => {
      serveMatrix(server)
      server.setContent('/m/t/cookie', 'c', 'text/plain', { 'Set-Cookie': 'fromServer=1; Path=/' })
      session.webRequest.onHeadersReceived(FILTER, (d, cb) => {
        const headers = { ...d.responseHeaders }
        delete headers['Set-Cookie']
        cb({ responseHeaders: { ...headers, 'Set-Cookie': ['fromHook=1; Path=/'] } })
      })
      const wc = await KINDS[0]!.open(session, server)
      expect(await wc.executeJavaScript(`fetch('/m/t/cookie').then(() => document.cookie)`)).toBe('fromServer=1')
      expect((await session.cookies.get({})).map((c) => c.name)).toEqual(['fromServer'])
    })

    // Chromium's network stack adds User-Agent after Fetch let the request go; other headers stay removed.
    test('onBeforeSendHeaders: a removed User-Agent is sent anyway (limit); onSendHeaders shows what the hook sent', CELL, async ({ session, server }) => {
      serveMatrix(server)
      const sent: Array<Record<string, string>> = []
      session.webRequest.onBeforeSendHeaders(FILTER, (d, cb) => {
        const headers = { ...d.requestHeaders }
        delete headers['User-Agent']
        cb({ requestHeaders: headers })
      })
      session.webRequest.onSendHeaders(FILTER, (d) => sent.push(d.requestHeaders))
      const wc = await KINDS[0]!.open(session, server)
      await wc.executeJavaScript(`fetch('/m/t/pass').then((r) => r.text())`)
      expect(server.requests.find((r) => r.path === '/m/t/pass')?.headers['user-agent']).toMatch(/Chrome/)
      expect(sent[0]).not.toHaveProperty('User-Agent')
    })
  })
})
