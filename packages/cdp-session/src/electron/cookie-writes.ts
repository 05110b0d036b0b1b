// Recording of the cookie writes made by pages and servers, for
// `ses.cookies.on('changed')` (cookie-changes.ts reads the store and turns its
// changes into events; this file tells it which writes happened, and where).
//
// On every target of the session while watched:
//   - a script in the main world of every page and frame (registered for new
//     documents, evaluated into live ones) wraps the `document.cookie` setter
//     and `CookieStore.prototype.set/delete`, and calls a `Runtime.addBinding`
//     function after each write; service workers get the same wrapper (their
//     `cookieStore`). The payload names the cookie written and tells whether
//     the write deletes it (past expiry). Runtime is enabled on those targets:
//     without it V8 gives the binding to existing contexts only;
//   - each `Set-Cookie` line in `Network.responseReceivedExtraInfo` of any
//     page, frame or worker (navigations, subresources, fetch/XHR).
//
// Each write is recorded with its name, the value written and whether it
// deletes; where it landed (domain, path) only for a write known to be
// accepted, which lets identical rewrites be reported and keeps the replays of
// two same-named cookies apart:
//   - CookieStore.set: its promise resolved (Chromium rejects it otherwise);
//   - Set-Cookie: the line is not among the event's blockedCookies, and the url
//     of the hop that sent it (Network.requestWillBeSent and its redirects, see
//     HopUrls) gives the default domain and path;
//   - document.cookie: Chromium says nothing about a refused line, so the line
//     is checked with Chromium's rules (common/cookie-rules.ts cookieFromLine
//     and overwriteReason against the last read of the store) for the
//     document's url; a frame whose top document it cannot read may be
//     third-party (blocked unless Partitioned) and gets no identity. Such a
//     record can arrive before the store applied it, so it must also match the
//     stored attributes.
//
// unwatchAll() removes the bindings, the new-document scripts and the event
// subscriptions. What stays on targets that were watched: Network and Runtime
// stay enabled (other settings of the session may share them), and documents
// already loaded keep the wrapper, calling a binding nobody listens to.
import type { Protocol } from 'devtools-protocol'
import { parseCookieLine, setCookieLines, type WriteTarget } from '../common/cookie-diff.js'
import { cookieFromLine, overwriteReason, type LineCookie } from '../common/cookie-rules.js'
import { debug, detach } from '../common/util.js'
import { headerValue } from '../cdp/request-tracker.js'
import { hasFrames, type TargetSession } from '../cdp/target-session.js'
import { sameSiteToCdp } from './cookie-types.js'

const BINDING = '__cdpSessionCookieWrite'
/** Requests remembered for Set-Cookie lines (the oldest are forgotten first). */
const MAX_REQUESTS = 1000
/**
 * How long the response headers of a request whose requestWillBeSent has not come yet wait for
 * it. The two come over different paths (the renderer reports a fetch's request, the network
 * service its response headers), and Chromium's own DevTools front end buffers the same race.
 */
const EARLY_HEADERS_WAIT_MS = 100

/** One write of a cookie, as recorded. */
export interface RecordedWrite {
  name: string
  /** The value written, when the write said. */
  value: string | undefined
  expiring: boolean
  /** Set for a write known to be accepted: where it landed (see the header). */
  landed: WriteTarget | undefined
}

/** What the recorder reports to, and asks of, the change tracker. */
export interface WriteSink {
  /** A write happened. */
  write(write: RecordedWrite): void
  /** Some write happened (or may have): the store should be read. */
  changed(): void
  /** The store as last read (the overwrite rules of a document.cookie line depend on it). */
  stored(): Iterable<Protocol.Network.Cookie>
}

/**
 * Runs in the main world of a document (or a service worker's global): wraps
 * the cookie-writing APIs so that each successful write calls the binding.
 * Idempotent per realm; also installs into same-origin child frames that are
 * already loaded (new ones get it from the new-document script).
 */
const WRAPPER_SOURCE = `(() => {
  const BINDING = ${JSON.stringify(BINDING)}
  const MARK = Symbol.for('cdp-session.cookie-watch')
  const install = (g) => {
    if (!g || g[MARK]) return
    Object.defineProperty(g, MARK, { value: true })
    const notify = (payload) => {
      const binding = g[BINDING]
      if (typeof binding !== 'function') return
      try { binding(JSON.stringify(payload)) } catch {}
    }
    const firstParty = () => {
      try { return g.top === g || g.top.location.origin === g.location.origin } catch { return false }
    }
    const doc = g.Document && Object.getOwnPropertyDescriptor(g.Document.prototype, 'cookie')
    if (doc && doc.set && doc.configurable) {
      const originalSet = doc.set
      const set = Object.getOwnPropertyDescriptor({ set cookie(value) {
        const line = \`\${value}\`
        originalSet.call(this, line)
        notify({ kind: 'line', line, url: String(this.URL), firstParty: firstParty() })
      } }, 'cookie').set
      Object.defineProperty(g.Document.prototype, 'cookie', { ...doc, set })
    }
    const store = g.CookieStore && g.CookieStore.prototype
    for (const method of ['set', 'delete']) {
      const original = store && store[method]
      if (typeof original !== 'function') continue
      const wrapped = { [method](...args) {
        const result = original.apply(this, args)
        let name = ''
        let value = method === 'delete' ? '' : undefined
        let expiring = method === 'delete'
        let domain = null
        let path = '/'
        let partitioned = false
        try {
          const first = args[0]
          if (typeof first === 'string') {
            name = first
            if (method === 'set') value = String(args[1] ?? '')
          } else if (first && typeof first === 'object') {
            name = String(first.name ?? '')
            if (method === 'set') value = String(first.value ?? '')
            if (method === 'set' && first.expires != null) expiring = Number(first.expires) <= Date.now()
            if (first.domain != null) domain = String(first.domain)
            if (first.path != null) path = String(first.path)
            partitioned = first.partitioned === true
          }
        } catch {}
        const url = String(g.location && g.location.href)
        Promise.resolve(result).then(() => notify({ kind: 'store', name, value, expiring, url, domain, path, partitioned }), () => {})
        return result
      } }[method]
      Object.defineProperty(store, method, { ...Object.getOwnPropertyDescriptor(store, method), value: wrapped })
    }
    try {
      for (let i = 0; i < g.frames.length; i++) {
        try { install(g.frames[i]) } catch {}
      }
    } catch {}
  }
  install(globalThis)
})()`

/** One request's redirect chain as seen so far (hop n: urls[n], …). */
interface RequestHops {
  /** From requestWillBeSent: the first url, then the target of each redirect. */
  urls: string[]
  /** The status of each hop that redirected (from the next hop's redirectResponse). */
  statuses: number[]
  /** The Location header of each hop whose response headers came. */
  locations: Array<string | undefined>
  /** Hops matched to a responseReceivedExtraInfo (see urlOf): the next event is of hop `reported` or a later one. */
  reported: number
  /** False once some event did not fit: no hop of the request gets a url any more. */
  sure: boolean
}

/**
 * Which hop of a request each `Network.responseReceivedExtraInfo` belongs to,
 * and so the url its Set-Cookie lines were sent for (see urlOf).
 */
export class HopUrls {
  /** Request id → its hops (the oldest requests are forgotten first). */
  readonly #requests = new Map<string, RequestHops>()

  /** Notes a request, or the next hop of a redirected one. */
  request(event: Pick<Protocol.Network.RequestWillBeSentEvent, 'requestId' | 'request' | 'redirectResponse'>): void {
    const redirect = event.redirectResponse
    const known = this.#requests.get(event.requestId)
    if (!redirect) {
      this.#requests.set(event.requestId, { urls: [event.request.url], statuses: [], locations: [], reported: 0, sure: true })
      if (this.#requests.size > MAX_REQUESTS) this.#requests.delete(this.#requests.keys().next().value!)
    } else if (known) {
      // The redirect of the last hop we know, else hops were missed: no hop of this request is sure any more.
      if (known.urls.at(-1) !== redirect.url) known.sure = false
      known.statuses[known.urls.length - 1] = redirect.status
      known.urls.push(event.request.url)
    }
  }

  /**
   * The url of the hop whose response headers `event` carries, or undefined
   * when unsure. Chromium sends the headers of each hop that reached the
   * network, in order (its DevTools front end also matches them by position),
   * but a hop's may come before or after the next hop's requestWillBeSent; a
   * hop answered without the network (a redirect fulfilled through Fetch, as
   * webRequest's redirectURL is) sends none. So `event` is the first hop not
   * yet matched that fits it: its url is its requestWillBeSent's, or else the
   * previous hop's Location; its status, once the next hop's redirectResponse
   * told it, is the event's; and the event's Location leads to the next hop.
   */
  urlOf(event: Pick<Protocol.Network.ResponseReceivedExtraInfoEvent, 'requestId' | 'statusCode' | 'headers'>): string | undefined {
    const hops = this.#requests.get(event.requestId)
    if (!hops?.sure) return undefined
    // A 401/407 is its hop's last response, or is answered by a new response of
    // the same hop (no requestWillBeSent between): it matches no hop for good.
    // (Chromium sent no headers event for an answered challenge when measured.)
    const challenge = event.statusCode === 401 || event.statusCode === 407
    const location = headerValue(event.headers, 'location')
    for (let index = hops.reported; ; index++) {
      const previous = index > 0 ? hops.locations[index - 1] : undefined
      const url = hops.urls[index] ?? (previous !== undefined ? resolveUrl(previous, hops.urls[index - 1]) : undefined)
      if (url === undefined) break
      const status = hops.statuses[index]
      if (!challenge && status !== undefined && status !== event.statusCode) continue
      const next = hops.urls[index + 1]
      if (next !== undefined && location !== undefined && resolveUrl(location, url) !== next) continue
      if (!challenge) {
        hops.locations[index] = location
        hops.reported = index + 1
      }
      return url
    }
    hops.sure = false
    return undefined
  }

  /** Whether `requestId`'s requestWillBeSent was seen (and not forgotten). */
  has(requestId: string): boolean {
    return this.#requests.has(requestId)
  }

  clear(): void {
    this.#requests.clear()
  }
}

interface Watched {
  offs: Array<() => void>
  scriptId: Promise<string | undefined> | undefined
  binding: boolean
}

/** Records the cookie writes of a session's targets (see the header). */
export class CookieWriteRecorder {
  readonly #sink: WriteSink
  readonly #watched = new Map<TargetSession, Watched>()
  /** The url of each hop of each request, for the default domain and path of Set-Cookie lines. */
  readonly #hops = new HopUrls()
  /** Response headers that came before their request's requestWillBeSent, by request id. */
  readonly #early = new Map<string, { events: Protocol.Network.ResponseReceivedExtraInfoEvent[]; timer: NodeJS.Timeout }>()

  constructor(sink: WriteSink) {
    this.#sink = sink
  }

  /** Starts recording the writes of `target` (no-op if already watched); the steps never reject. */
  watch(target: TargetSession): Array<Promise<unknown>> {
    if (this.#watched.has(target)) return []
    const client = target.client
    const watched: Watched = { offs: [], scriptId: undefined, binding: false }
    this.#watched.set(target, watched)
    detach(
      client.whenDetached.then(() => this.#watched.delete(target)),
      'forget watched target',
    )
    const steps: Array<Promise<unknown>> = []
    watched.offs.push(
      client.on('Network.requestWillBeSent', (event) => {
        this.#hops.request(event)
        this.#flushEarly(event.requestId)
      }),
      client.on('Network.responseReceivedExtraInfo', (event) => this.#onResponseHeadersEvent(event)),
    )
    steps.push(target.enable('Network'))

    const frames = hasFrames(target.kind)
    if (frames || target.kind === 'service_worker') {
      watched.binding = true
      watched.offs.push(
        client.on('Runtime.bindingCalled', (event) => {
          if (event.name === BINDING) this.#onPageWrite(event.payload)
        }),
      )
      // Without Runtime enabled, V8 gives the binding to the contexts that exist
      // now but not to later ones (new documents).
      steps.push(target.enable('Runtime'), client.send('Runtime.addBinding', { name: BINDING }))
      if (frames) {
        if (target.kind === 'iframe') steps.push(target.enable('Page'))
        const id = client.send('Page.addScriptToEvaluateOnNewDocument', { source: WRAPPER_SOURCE }).then(
          (result) => result.identifier,
          () => undefined,
        )
        watched.scriptId = id
        steps.push(id)
      }
      // A live document (or a worker, which has no "new document") gets the
      // wrapper now; a page still paused at attach gets it from the script above.
      if (!frames || target.applied.get('ready') === true) {
        steps.push(client.send('Runtime.evaluate', { expression: WRAPPER_SOURCE }))
      }
    }
    // Our setup must never fail the target's own setup.
    return steps.map((step) =>
      step.catch((error: unknown) => {
        if (!target.closed) debug('cookie watch on %s %s: %s', target.kind, target.targetId, String(error))
      }),
    )
  }

  /** A watched service worker started again: its fresh global gets the wrapper before its script runs. */
  restarted(target: TargetSession): Array<Promise<unknown>> {
    if (!this.#watched.get(target)?.binding) return []
    return [
      target.client.send('Runtime.evaluate', { expression: WRAPPER_SOURCE }).catch((error: unknown) => {
        if (!target.closed) debug('cookie watch on restarted %s %s: %s', target.kind, target.targetId, String(error))
      }),
    ]
  }

  /** Stops recording on every target and forgets the requests seen. */
  unwatchAll(): void {
    for (const [target, watched] of this.#watched) this.#unwatch(target, watched)
    this.#watched.clear()
    this.#hops.clear()
    for (const { timer } of this.#early.values()) clearTimeout(timer)
    this.#early.clear()
  }

  #unwatch(target: TargetSession, watched: Watched): void {
    for (const off of watched.offs) off()
    if (target.closed) return
    const client = target.client
    if (watched.binding) detach(client.send('Runtime.removeBinding', { name: BINDING }), 'remove cookie binding')
    const scriptId = watched.scriptId
    if (scriptId) {
      detach(
        scriptId.then((identifier) => {
          if (identifier !== undefined && !target.closed) return client.send('Page.removeScriptToEvaluateOnNewDocument', { identifier })
          return undefined
        }),
        'remove cookie wrapper script',
      )
    }
  }

  #onPageWrite(payload: string): void {
    let data: unknown
    try {
      data = JSON.parse(payload)
    } catch {
      return
    }
    if (!data || typeof data !== 'object') return
    const record = data as PageWrite
    if (record.kind === 'line' && typeof record.line === 'string') {
      const now = Date.now()
      const { name, value, expiring } = parseCookieLine(record.line, now)
      const url = typeof record.url === 'string' ? record.url : undefined
      this.#sink.write({ name, expiring, value, landed: url ? this.#scriptLineTarget(record.line, url, record.firstParty === true, now) : undefined })
    } else if (record.kind === 'store') {
      const value = typeof record.value === 'string' ? record.value : undefined
      this.#sink.write({ name: typeof record.name === 'string' ? record.name : '', expiring: record.expiring === true, value, landed: storeCallTarget(record) })
    }
    this.#sink.changed()
  }

  /**
   * Where a document.cookie line landed if Chromium took it, checked with
   * Chromium's rules (Chromium reports nothing about a refused line): parsing,
   * domain, Secure, prefixes, HttpOnly from script, and the overwrite rules
   * against the last read of the store. undefined when refused or unsure.
   */
  #scriptLineTarget(line: string, url: string, firstParty: boolean, now: number): WriteTarget | undefined {
    const result = cookieFromLine(line, url, now, 'script')
    if (!result.ok) return undefined
    const cookie = result.cookie
    // A third-party document's unpartitioned cookie is blocked; we cannot tell a cross-site frame from a same-site one.
    if (!firstParty && !cookie.partitioned) return undefined
    const sameName = [...this.#sink.stored()].filter((stored) => stored.name === cookie.name)
    if (overwriteReason(cookie, sameName)) return undefined
    return lineTarget(cookie)
  }

  /**
   * Headers of a request not seen yet wait for its requestWillBeSent (see EARLY_HEADERS_WAIT_MS):
   * without the url of its hop, a Set-Cookie line has no known landing, and an identical rewrite
   * (which leaves the store as it was) could not be reported.
   */
  #onResponseHeadersEvent(event: Protocol.Network.ResponseReceivedExtraInfoEvent): void {
    const early = this.#early.get(event.requestId)
    if (early) {
      early.events.push(event)
    } else if (this.#hops.has(event.requestId) || !hasSetCookie(event.headers)) {
      this.#onResponseHeaders(event)
    } else {
      const timer = setTimeout(() => this.#flushEarly(event.requestId), EARLY_HEADERS_WAIT_MS)
      timer.unref()
      this.#early.set(event.requestId, { events: [event], timer })
    }
  }

  #flushEarly(requestId: string): void {
    const early = this.#early.get(requestId)
    if (!early) return
    this.#early.delete(requestId)
    clearTimeout(early.timer)
    for (const event of early.events) this.#onResponseHeaders(event)
  }

  #onResponseHeaders(event: Protocol.Network.ResponseReceivedExtraInfoEvent): void {
    // Chromium lists the lines it refused (with the reason) in blockedCookies; the others were stored.
    const blocked = new Set(event.blockedCookies.map((entry) => entry.cookieLine.trim()))
    const url = this.#hops.urlOf(event)
    const now = Date.now()
    let seen = false
    for (const [name, value] of Object.entries(event.headers)) {
      if (name.toLowerCase() !== 'set-cookie') continue
      for (const line of setCookieLines(value)) {
        const parsed = parseCookieLine(line, now)
        let landed: WriteTarget | undefined
        if (url && !blocked.has(line)) {
          const result = cookieFromLine(line, url, now, 'http')
          if (result.ok) landed = lineTarget(result.cookie)
        }
        this.#sink.write({ name: parsed.name, expiring: parsed.expiring, value: parsed.value, landed })
        seen = true
      }
    }
    if (seen) this.#sink.changed()
  }
}

function hasSetCookie(headers: Protocol.Network.Headers): boolean {
  return Object.keys(headers).some((name) => name.toLowerCase() === 'set-cookie')
}

/** What the page wrapper reports (see WRAPPER_SOURCE). */
interface PageWrite {
  kind?: unknown
  line?: unknown
  url?: unknown
  firstParty?: unknown
  name?: unknown
  value?: unknown
  expiring?: unknown
  domain?: unknown
  path?: unknown
  partitioned?: unknown
}

/** Where a cookie line lands, with the attributes it gives the cookie (its record may precede the store). */
function lineTarget(cookie: LineCookie): WriteTarget {
  const sameSite = sameSiteToCdp(cookie.sameSite)
  return {
    domain: cookie.domain,
    path: cookie.path,
    partitioned: cookie.partitioned,
    attributes: {
      secure: cookie.secure,
      httpOnly: cookie.httpOnly,
      ...(sameSite ? { sameSite } : {}),
      session: cookie.expires === undefined,
      // A Max-Age expiry depends on when Chromium stored it: never equal to a stored one.
      expires: cookie.expires === undefined ? -1 : cookie.relativeExpiry ? Number.NaN : cookie.expires,
    },
  }
}

/**
 * Where a resolved CookieStore.set landed (Chromium rejects the promise of a
 * refused write): the given domain as a domain cookie, else the host; the
 * given path, else '/'. Its record follows the store: no attributes to match.
 */
function storeCallTarget(record: PageWrite): WriteTarget | undefined {
  if (typeof record.url !== 'string' || typeof record.value !== 'string') return undefined
  let host: string
  try {
    host = new URL(record.url).hostname.toLowerCase()
  } catch {
    return undefined
  }
  const domain = typeof record.domain === 'string' ? `.${record.domain.replace(/^\./, '').toLowerCase()}` : host
  const path = typeof record.path === 'string' ? record.path : '/'
  return { domain, path, partitioned: record.partitioned === true }
}

function resolveUrl(location: string, base: string | undefined): string | undefined {
  if (base === undefined) return undefined
  try {
    const url = new URL(location, base)
    url.hash = ''
    return url.href
  } catch {
    return undefined
  }
}
