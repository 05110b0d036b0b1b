import type { EventEmitter } from 'node:events'
import type { Protocol } from 'devtools-protocol'
import {
  cookieMatchesUrl,
  exclusionMessage,
  filterCookies,
  overwriteReason,
  parseCookieUrl,
  sanitizeCookie,
  type CookieDetails,
  type CookieFilter,
  type SanitizedCookie,
  type StoredCookie,
} from '../common/cookie-rules.js'
import { settleErrorFirst } from '../common/callbacks.js'
import { CookieRejectedError } from '../common/errors.js'
import { ElectronEvent, TypedEmitter } from '../common/event.js'
import { readCookieDetails, readCookieFilter, readRemoveArgs } from './cookie-inputs.js'
import { CookieChangeTracker, type ApiWrite } from './cookie-changes.js'
import { flushCookies } from './storage.js'
import { cookieKey, fromCdpCookie, sameSiteToCdp, type Cookie, type CookieChangedCause } from './cookie-types.js'
import type { SessionContext } from './context.js'
import type { SessionBinding } from './core/types.js'

export type { CookieDetails, CookieFilter } from '../common/cookie-rules.js'

export interface CookiesEvents {
  changed: [event: ElectronEvent<Cookies>, cookie: Cookie, cause: CookieChangedCause, removed: boolean]
}

interface PendingSet {
  cookie: SanitizedCookie
  resolve: () => void
  reject: (error: Error) => void
}

function storedFrom(cookie: Protocol.Network.Cookie): StoredCookie {
  return { name: cookie.name, domain: cookie.domain, path: cookie.path, secure: cookie.secure, httpOnly: cookie.httpOnly }
}

/**
 * The CDP form of a checked cookie. Host-only cookies leave `domain` out: CDP then takes the
 * url's host. CDP marks every cookie set with an https url Secure (measured), so a non-Secure
 * cookie is handed over with the url's http(s)/ws(s) scheme downgraded to http.
 */
function toCdpParam(cookie: SanitizedCookie): Protocol.Network.CookieParam {
  const url = new URL(cookie.url)
  url.protocol = cookie.secure ? 'https:' : 'http:'
  const param: Protocol.Network.CookieParam = {
    name: cookie.name,
    value: cookie.value,
    url: url.href,
    path: cookie.path,
    secure: cookie.secure,
    httpOnly: cookie.httpOnly,
  }
  if (cookie.domain.startsWith('.')) param.domain = cookie.domain
  const sameSite = sameSiteToCdp(cookie.sameSite)
  if (sameSite) param.sameSite = sameSite
  // Electron reads 0 (or less) as the epoch, i.e. an expired cookie; 1 s after the epoch says the
  // same to CDP without relying on how it treats 0.
  if (cookie.expires !== undefined) param.expires = cookie.expires > 0 ? cookie.expires : 1
  return param
}

/**
 * Electron's `ses.cookies`: the cookie store of one session (browser context).
 *
 * Everything goes through `Storage.getCookies/setCookies({ browserContextId })` on the
 * browser-level CDP session: sent on a page session those commands act on the default context.
 */
export class Cookies extends TypedEmitter<CookiesEvents> {
  readonly #session: SessionContext
  readonly #tracker: CookieChangeTracker
  /**
   * Every operation runs after the ones called before it, as Electron's calls reach the cookie
   * manager in order. `#tail` settles when the last queued operation is done.
   */
  #tail: Promise<unknown> = Promise.resolve()
  /** The batch of sets still collecting calls (not sent yet), if the last queued operation is one. */
  #openBatch: PendingSet[] | undefined

  /** @internal */
  constructor(session: SessionContext) {
    super()
    this.#session = session
    this.#tracker = new CookieChangeTracker(session, (cookie, cause, removed) => {
      this.emit('changed', new ElectronEvent(this), cookie, cause, removed)
    })
    // Changes are tracked only while someone listens: no cost otherwise.
    const untyped = this as EventEmitter
    untyped.on('newListener', (event: string | symbol) => {
      if (event === 'changed' && this.listenerCount('changed') === 0) this.#tracker.start()
    })
    untyped.on('removeListener', (event: string | symbol) => {
      if (event === 'changed' && this.listenerCount('changed') === 0) this.#tracker.stop()
    })
  }

  /**
   * Re-reads the store for change events after a change made through this API. `written`
   * names the cookies set, and whether each was already expired (which Chromium reports as
   * 'expired-overwrite' of the cookie it replaces), with the value, domain and path stored.
   */
  #noteApiChange(written?: readonly ApiWrite[]): void {
    this.#tracker.poke(written)
  }

  /**
   * Cookies matching every given field of `filter` (Electron's matching; see cookie-rules.ts):
   * `url` → the cookies Chromium would send to that url; `domain` → that domain and its
   * subdomains; `name`, `path` exact; `secure`, `session`, `httpOnly` booleans.
   */
  get(filter: CookieFilter): Promise<Cookie[]>
  /** The seed's callback form: `callback(error, cookies)`. */
  get(filter: CookieFilter, callback: (error: Error | null, cookies?: Cookie[]) => void): void
  get(filter: CookieFilter, callback?: (error: Error | null, cookies?: Cookie[]) => void): Promise<Cookie[]> | void {
    const result = this.#get(filter)
    if (typeof callback !== 'function') return result
    settleErrorFirst(result, callback)
  }

  async #get(filter: CookieFilter): Promise<Cookie[]> {
    const api = 'cookies.get'
    const checked = readCookieFilter(api, filter)
    const binding = await this.#session.bindingFor(api)
    const cookies = (await this.#inOrder(() => this.#readStore(binding))).map(fromCdpCookie)
    return filterCookies(cookies, checked)
  }

  /**
   * Sets a cookie. Resolves once Chromium holds it; rejects with Electron's
   * "Failed to set cookie - <reason>" when Chromium would refuse it.
   *
   * Calls made in the same tick are sent as one `Storage.setCookies` (Electron's API is per
   * cookie; a `Promise.all` of many sets then costs two round trips, not two per cookie).
   */
  set(details: CookieDetails): Promise<void>
  /** The seed's callback form: `callback(error)`, error null on success. */
  set(details: CookieDetails, callback: (error: Error | null) => void): void
  set(details: CookieDetails, callback?: (error: Error | null) => void): Promise<void> | void {
    const result = this.#set(details)
    if (typeof callback !== 'function') return result
    settleErrorFirst(result, callback)
  }

  async #set(details: CookieDetails): Promise<void> {
    const api = 'cookies.set'
    const checked = readCookieDetails(api, details)
    const binding = await this.#session.bindingFor(api)
    const result = sanitizeCookie(checked)
    if (!result.ok) throw new CookieRejectedError(exclusionMessage(result.reason))
    await new Promise<void>((resolve, reject) => {
      let batch = this.#openBatch
      if (!batch) {
        const opened: PendingSet[] = []
        batch = opened
        this.#openBatch = opened
        // One macrotask lets every set() of this tick join the batch.
        const run = this.#tail
          .then(() => new Promise((tick) => setImmediate(tick)))
          .then(() => {
            if (this.#openBatch === opened) this.#openBatch = undefined
            return this.#flushSets(binding, opened)
          })
        this.#tail = run.catch(() => undefined)
      }
      batch.push({ cookie: result.cookie, resolve, reject })
    })
    const expiring = checked.expirationDate !== undefined && checked.expirationDate * 1000 <= Date.now()
    // Chromium replaces a stored cookie even by an equal one, and reports it (cookie-diff.ts).
    const { name, value, domain, path } = result.cookie
    this.#noteApiChange([{ name, expiring, value, domain, path }])
  }

  /**
   * Removes the cookies named `name` that Chromium would send to `url` (Electron passes url and
   * name to `CookieManager::DeleteCookies`, whose url filter is a request-url match).
   *
   * CDP has no per-context delete on the browser session (`Network.deleteCookies` exists only on
   * page sessions and acts on the page's context), so each cookie is overwritten with an
   * already-expired copy (same name, domain, path), which Chromium treats as a deletion.
   */
  remove(url: string, name: string): Promise<void>
  /** The seed's callback form: `callback(error)`, error null on success. */
  remove(url: string, name: string, callback: (error: Error | null) => void): void
  remove(url: string, name: string, callback?: (error: Error | null) => void): Promise<void> | void {
    const result = this.#remove(url, name)
    if (typeof callback !== 'function') return result
    settleErrorFirst(result, callback)
  }

  async #remove(url: string, name: string): Promise<void> {
    const api = 'cookies.remove'
    readRemoveArgs(api, url, name)
    const binding = await this.#session.bindingFor(api)
    const target = parseCookieUrl(url)
    if (!target) return
    const changed = await this.#inOrder(async () => {
      const victims = (await this.#readStore(binding)).filter((c) => c.name === name && cookieMatchesUrl(fromCdpCookie(c), target))
      if (victims.length === 0) return false
      const expired = victims.map((c): Protocol.Network.CookieParam => {
        const param: Protocol.Network.CookieParam = {
          name: c.name,
          // CDP refuses a cookie with neither name nor value.
          value: c.name === '' ? 'x' : '',
          domain: c.domain,
          path: c.path,
          secure: c.secure,
          httpOnly: c.httpOnly,
          expires: 1,
        }
        if (c.partitionKey) param.partitionKey = c.partitionKey
        return param
      })
      await binding.browser.send('Storage.setCookies', { cookies: expired, browserContextId: binding.contextId })
      return true
    })
    if (changed) this.#noteApiChange()
  }

  /**
   * Writes the cookie store to disk, after every change made through this API before the call
   * (Electron's `flushStore()`). CDP has no flush command; `flushCookies` (storage.ts) uses the
   * store's write-on-delete: measured 0 losses in 24 SIGKILL trials right after it. In-memory
   * sessions have nothing on disk: it only waits for the earlier changes.
   */
  flushStore(): Promise<void>
  /** The seed's callback form: `callback(error)`, error null on success. */
  flushStore(callback: (error: Error | null) => void): void
  flushStore(callback?: (error: Error | null) => void): Promise<void> | void {
    const result = this.#flushStore()
    if (typeof callback !== 'function') return result
    settleErrorFirst(result, callback)
  }

  async #flushStore(): Promise<void> {
    const binding = await this.#session.bindingFor('cookies.flushStore')
    await this.#inOrder(async () => {
      await this.#readStore(binding)
      await flushCookies(this.#session)
    })
  }

  /** Runs `op` after every operation called before it. */
  #inOrder<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(op)
    this.#tail = run.catch(() => undefined)
    this.#openBatch = undefined
    return run
  }

  async #readStore(binding: SessionBinding): Promise<Protocol.Network.Cookie[]> {
    const { cookies } = await binding.browser.send('Storage.getCookies', { browserContextId: binding.contextId })
    return cookies
  }

  /** Sends every queued set as one batch, applying Chromium's overwrite rules in call order. */
  async #flushSets(binding: SessionBinding, batch: PendingSet[]): Promise<void> {
    // The store indexed by name (the overwrite rules only look at cookies of the same name).
    const byName = new Map<string, Map<string, StoredCookie>>()
    const sameName = (name: string): Map<string, StoredCookie> => {
      let entries = byName.get(name)
      if (!entries) byName.set(name, (entries = new Map()))
      return entries
    }
    try {
      for (const c of await this.#readStore(binding)) sameName(c.name).set(cookieKey(c), storedFrom(c))
    } catch (error) {
      for (const item of batch) item.reject(error as Error)
      return
    }
    const now = Date.now() / 1000
    const accepted: PendingSet[] = []
    for (const item of batch) {
      const entries = sameName(item.cookie.name)
      const reason = overwriteReason(item.cookie, entries.values())
      if (reason) {
        item.reject(new CookieRejectedError(exclusionMessage(reason)))
        continue
      }
      accepted.push(item)
      const key = cookieKey(item.cookie)
      if (item.cookie.expires !== undefined && item.cookie.expires <= now) entries.delete(key)
      else entries.set(key, item.cookie)
    }
    if (accepted.length === 0) return
    try {
      await binding.browser.send('Storage.setCookies', { cookies: accepted.map((i) => toCdpParam(i.cookie)), browserContextId: binding.contextId })
      for (const item of accepted) item.resolve()
    } catch {
      // One bad cookie fails the whole command: retry one by one so only that one rejects.
      await Promise.all(
        accepted.map(async (item) => {
          try {
            await binding.browser.send('Storage.setCookies', { cookies: [toCdpParam(item.cookie)], browserContextId: binding.contextId })
            item.resolve()
          } catch (error) {
            const text = (error as Error).message
            item.reject(/Invalid cookie fields|Sanitizing cookie failed/.test(text) ? new CookieRejectedError(exclusionMessage('EXCLUDE_FAILURE_TO_STORE')) : (error as Error))
          }
        }),
      )
    }
  }
}
