// Storage, cache and flush operations of a Session (issue #3).
//
// What Chromium gives us over CDP, and the traps this file works around:
// - `Storage.clearDataForOrigin` acts on the storage partition of the page
//   session it is sent on, so it is always sent on a page of the session's own
//   context (a hidden internal page when the session has none open).
// - That command treats '*' as "every origin". Measured: on a page session it
//   stays inside that page's context (another context keeps its data), which is
//   what "clear every origin of this session" needs. The same wildcard meaning
//   applies to '' and to any string Chromium cannot parse, so user-supplied
//   origins are validated here and handed to Chromium only in normalised form.
// - Cookies without an origin are cleared with `Storage.clearCookies` on the
//   browser session with the context id (on a page session it would hit the
//   default context).
// - `Network.clearBrowserCache` on a page session empties that context's HTTP
//   cache only. No CDP command reports a cache size.
// - No CDP command flushes DOM storage or cookies (see flushStorageData and
//   flushCookies for what is done instead).
import { randomUUID } from 'node:crypto'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { NotSupportedError, ValidationError } from '../common/errors.js'
import type { CdpClient } from '../cdp/client.js'
import type { SessionContext } from './context.js'

export interface ClearStorageDataOptions {
  /** `scheme://host[:port]`, the form of `window.location.origin`. */
  origin?: string
  storages?: string[]
  quotas?: string[]
}

export interface ClearDataOptions {
  dataTypes?: string[]
  origins?: string[]
  excludeOrigins?: string[]
}

// ---- pure helpers (unit-tested) ---------------------------------------------

/**
 * Electron's `clearStorageData` storage names → Chromium's storage types for
 * `Storage.clearDataForOrigin`. `appcache` and `websql` were removed from
 * Chromium (AppCache in M95-era, WebSQL in M119-era): nothing of those kinds
 * can exist any more, so they map to no type and clearing them is a no-op by
 * design, not an omission.
 */
export const ELECTRON_STORAGE_TYPES: Readonly<Record<string, readonly string[]>> = {
  appcache: [],
  cookies: ['cookies'],
  filesystem: ['file_systems'],
  indexdb: ['indexeddb'],
  localstorage: ['local_storage'],
  shadercache: ['shader_cache'],
  websql: [],
  serviceworkers: ['service_workers'],
  cachestorage: ['cache_storage'],
}

/**
 * Electron's quota names. Chromium has one kind of web storage quota left
 * ("temporary", best-effort); persistent quota was folded into it and
 * "syncable" never held web data. The names are accepted for compatibility
 * and change nothing: every storage of the selected types is cleared.
 */
export const ELECTRON_QUOTAS: readonly string[] = ['temporary', 'persistent', 'syncable']

/**
 * Newer Electron's `clearData` data types (Electron ≥ 29) → what we do for each.
 * `cache` is the HTTP cache (a separate command); `webSQL` is gone from
 * Chromium (no-op by design); `backgroundFetch` and `downloads` (download
 * history) have no CDP command at all: asking for them explicitly throws.
 */
export const ELECTRON_DATA_TYPES: Readonly<Record<string, readonly string[] | 'cache' | 'unsupported'>> = {
  backgroundFetch: 'unsupported',
  cache: 'cache',
  cookies: ['cookies'],
  downloads: 'unsupported',
  fileSystems: ['file_systems'],
  indexedDB: ['indexeddb'],
  localStorage: ['local_storage'],
  serviceWorkers: ['service_workers'],
  webSQL: [],
}

/** Every Chromium storage type that clearStorageData() without `storages` clears. */
const ALL_STORAGE_TYPES = ['cookies', 'file_systems', 'indexeddb', 'local_storage', 'shader_cache', 'service_workers', 'cache_storage']

const ORIGIN_SHAPE = /^(https?):\/\/([^/?#@\\\s]+)$/i
const ORIGIN_EXPECTED = "an origin 'scheme://host[:port]' (http or https, no path, as window.location.origin)"

/**
 * Parses an origin strictly and returns Chromium's normalised form (lower-case
 * host, default port dropped). Anything else throws a ValidationError naming
 * `argument`: an unparsable string must never reach Chromium, which would read
 * it as "every origin".
 */
export function parseOrigin(api: string, argument: string, value: unknown): string {
  if (typeof value !== 'string' || !ORIGIN_SHAPE.test(value)) throw new ValidationError(api, argument, value, ORIGIN_EXPECTED)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ValidationError(api, argument, value, ORIGIN_EXPECTED)
  }
  if (url.hostname === '' || url.origin === 'null' || url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    throw new ValidationError(api, argument, value, ORIGIN_EXPECTED)
  }
  return url.origin
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function stringList(api: string, argument: string, value: unknown, allowed: readonly string[]): string[] {
  const expected = `an array of ${allowed.map((n) => `'${n}'`).join(', ')}`
  if (!Array.isArray(value)) throw new ValidationError(api, argument, value, expected)
  value.forEach((item, i) => {
    if (typeof item !== 'string' || !allowed.includes(item)) throw new ValidationError(api, `${argument}.${i}`, item, expected)
  })
  return [...new Set(value as string[])]
}

function checkKeys(api: string, options: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) throw new ValidationError(api, `options.${key}`, options[key], `one of ${keys.join(', ')} (unknown option)`)
  }
}

/** What one clear operation does, decided before anything is sent. */
export interface ClearPlan {
  /** Normalised origins to clear; undefined: every origin of the session. */
  origins: string[] | undefined
  /** Chromium storage types to clear (cookies included when asked for). */
  storageTypes: string[]
  /** Also empty the HTTP cache (clearData's `cache`). */
  cache: boolean
}

/** Validates clearStorageData's options and turns them into a plan. */
export function planClearStorageData(options: unknown): ClearPlan {
  const api = 'session.clearStorageData'
  if (options === undefined) return { origins: undefined, storageTypes: [...ALL_STORAGE_TYPES], cache: false }
  if (!isPlainObject(options)) throw new ValidationError(api, 'options', options, '{ origin?, storages?, quotas? }')
  checkKeys(api, options, ['origin', 'storages', 'quotas'])
  const origins = options.origin === undefined ? undefined : [parseOrigin(api, 'options.origin', options.origin)]
  if (options.quotas !== undefined) stringList(api, 'options.quotas', options.quotas, ELECTRON_QUOTAS)
  let storageTypes = [...ALL_STORAGE_TYPES]
  if (options.storages !== undefined) {
    const names = stringList(api, 'options.storages', options.storages, Object.keys(ELECTRON_STORAGE_TYPES))
    storageTypes = [...new Set(names.flatMap((n) => ELECTRON_STORAGE_TYPES[n] ?? []))]
  }
  return { origins, storageTypes, cache: false }
}

/** Validates clearData's options and turns them into a plan. */
export function planClearData(options: unknown): ClearPlan {
  const api = 'session.clearData'
  if (options === undefined) options = {}
  if (!isPlainObject(options)) throw new ValidationError(api, 'options', options, '{ dataTypes?, origins?, excludeOrigins? }')
  checkKeys(api, options, ['dataTypes', 'origins', 'excludeOrigins', 'avoidClosingConnections', 'originMatchingMode'])
  if (options.origins !== undefined && options.excludeOrigins !== undefined) {
    throw new ValidationError(api, 'options.excludeOrigins', options.excludeOrigins, "nothing when 'origins' is given (they cannot be combined)")
  }
  const originList = (argument: string, value: unknown): string[] => {
    if (!Array.isArray(value)) throw new ValidationError(api, argument, value, `an array of origins`)
    return [...new Set(value.map((v, i) => parseOrigin(api, `${argument}.${i}`, v)))]
  }
  const origins = options.origins === undefined ? undefined : originList('options.origins', options.origins)
  const excluded = options.excludeOrigins === undefined ? undefined : originList('options.excludeOrigins', options.excludeOrigins)
  const names = options.dataTypes === undefined ? undefined : stringList(api, 'options.dataTypes', options.dataTypes, Object.keys(ELECTRON_DATA_TYPES))
  let cache = names === undefined
  const storageTypes = new Set<string>(names === undefined ? ALL_STORAGE_TYPES : [])
  for (const name of names ?? []) {
    const mapped = ELECTRON_DATA_TYPES[name]
    if (mapped === 'unsupported') {
      throw new NotSupportedError(`${api}: '${name}' cannot be cleared: Chromium's DevTools protocol has no command for it. Leave it out of dataTypes.`)
    }
    if (mapped === 'cache') cache = true
    else for (const type of mapped ?? []) storageTypes.add(type)
  }
  if (excluded !== undefined && excluded.length > 0) {
    throw new NotSupportedError(
      `${api}: 'excludeOrigins' is not supported: Chromium's DevTools protocol cannot list the origins that hold data, so "every origin but these" cannot be cleared. Pass 'origins' instead.`,
    )
  }
  if (cache && origins !== undefined) {
    throw new NotSupportedError(`${api}: the HTTP cache cannot be cleared per origin over Chromium's DevTools protocol. Clear 'cache' without 'origins', or leave it out of dataTypes.`)
  }
  return { origins, storageTypes: [...storageTypes], cache }
}

// ---- operations ------------------------------------------------------------

/**
 * Runs `use` on a page session inside the session's context: a hidden
 * internal page (never a WebContents), so it works with no page open and
 * never disturbs the user's pages.
 */
async function onContextPage<T>(session: SessionContext, api: string, use: (client: CdpClient) => Promise<T>): Promise<T> {
  const binding = await session.bindingFor(api)
  const contextId = binding.contextId
  if (contextId === undefined) throw new NotSupportedError(`${api}: the session's browser context id is unknown.`)
  return binding.manager.withInternalPage(contextId, use)
}

async function runPlan(session: SessionContext, api: string, plan: ClearPlan): Promise<void> {
  const binding = await session.bindingFor(api)
  const cookies = plan.storageTypes.includes('cookies')
  const others = plan.storageTypes.filter((t) => t !== 'cookies')
  if (cookies && plan.origins === undefined) {
    // Browser session + context id: the only form of Storage.clearCookies that stays in the context.
    await binding.browser.send('Storage.clearCookies', { browserContextId: binding.contextId })
  }
  const perOrigin = plan.origins === undefined ? others : plan.storageTypes
  if (perOrigin.length === 0 && !plan.cache) return
  if (plan.origins !== undefined && plan.origins.length === 0 && !plan.cache) return
  await onContextPage(session, api, async (client) => {
    if (perOrigin.length > 0) {
      const storageTypes = perOrigin.join(',')
      // '*' is sent only here, never from user input: on a page session it means
      // "every origin of this page's context" (checked by the e2e tests).
      for (const origin of plan.origins ?? ['*']) await client.send('Storage.clearDataForOrigin', { origin, storageTypes })
    }
    if (plan.cache) await client.send('Network.clearBrowserCache')
  })
}

/**
 * Electron's `clearStorageData([{ origin, storages, quotas }])`. Without
 * options: every storage type of every origin of this session only (other
 * sessions keep theirs). `appcache`/`websql` are accepted and clear nothing
 * (Chromium no longer has them); `quotas` are accepted and change nothing.
 */
export async function clearStorageData(session: SessionContext, options?: ClearStorageDataOptions): Promise<void> {
  const api = 'session.clearStorageData'
  const plan = planClearStorageData(options)
  await runPlan(session, api, plan)
}

/**
 * Newer Electron's `clearData({ dataTypes, origins, excludeOrigins })`.
 * Differences (thrown as NotSupportedError, never silently skipped):
 * `excludeOrigins` with entries, `backgroundFetch`, `downloads`, and `cache`
 * together with `origins`. With `origins`, cookies are cleared per origin
 * (Electron widens that to the registrable domain).
 */
export async function clearData(session: SessionContext, options?: ClearDataOptions): Promise<void> {
  const api = 'session.clearData'
  const plan = planClearData(options)
  await runPlan(session, api, plan)
}

/** Empties this session's HTTP cache; other sessions keep theirs. */
export async function clearCache(session: SessionContext): Promise<void> {
  await onContextPage(session, 'session.clearCache', (client) => client.send('Network.clearBrowserCache'))
}

/** Sum of the sizes of the regular files under `dir` (0 if it does not exist). */
export async function directorySize(dir: string): Promise<number> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw error
  }
  let total = 0
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += await directorySize(path)
    else if (entry.isFile()) {
      try {
        total += (await stat(path)).size
      } catch (error) {
        // An entry removed between readdir and stat (the cache evicting) counts as gone.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    }
  }
  return total
}

/** Where Chromium keeps the HTTP cache of a profile directory (the "simple" disk cache backend). */
export function httpCacheDir(storagePath: string): string {
  return join(storagePath, 'Default', 'Cache', 'Cache_Data')
}

/**
 * Bytes in the session's HTTP cache. CDP has no command for it, so this
 * measures the cache's files on disk: the total size of
 * `<storagePath>/Default/Cache/Cache_Data` (response headers and bodies of
 * cached entries plus the backend's small index files; not the separate V8
 * "Code Cache"). Chromium writes entries there as responses arrive and
 * deletes them when the cache is cleared. In-memory sessions keep their cache
 * in the browser's memory, which nothing exposes: NotSupportedError.
 */
export async function getCacheSize(session: SessionContext): Promise<number> {
  const api = 'session.getCacheSize'
  await session.bindingFor(api)
  const storagePath = session.init.storagePath
  if (!session.init.persistent || storagePath === null) {
    throw new NotSupportedError(
      `${api}: Chromium's DevTools protocol reports no cache size, so only a cache on disk can be measured, and this session has none we know of (an in-memory session keeps its HTTP cache in the browser's memory; a connect()ed browser's profile directory is unknown). Use a 'persist:' partition, fromPath, or a launch()ed browser's default session.`,
    )
  }
  return directorySize(httpCacheDir(storagePath))
}

/**
 * How long Chromium may hold an origin's localStorage writes in memory before
 * committing them: each origin's storage area commits 5 s after its first
 * uncommitted change (Chromium's default commit delay). Measured with SIGKILL
 * of the whole browser: a write 2.5 s before the kill was lost in every trial,
 * one 5.5 s before survived in every trial. One second of margin on top.
 */
export const DOM_STORAGE_COMMIT_BOUND_MS = 6_000

/**
 * Chromium also rate-limits each origin's commits to about one per minute
 * (measured: after a commit at 5 s, a write at 8 s was committed at 59.6 s;
 * a page writing every 100 ms had committed only once after 26 s). Writes to
 * an origin that committed less than a minute ago can stay in memory this long.
 */
export const DOM_STORAGE_RATE_LIMITED_BOUND_MS = 61_000

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Electron's `flushStorageData()`. Chromium's DevTools protocol has no flush
 * command, and none of the commands tried forces localStorage to disk
 * (critical memory-pressure notifications on the browser and on a page,
 * clearing another origin's storage; the cookie trick of flushCookies flushes
 * only the cookie store).
 * IndexedDB and Cache Storage are durable as soon as their transactions
 * complete. So for a session on disk this WAITS `DOM_STORAGE_COMMIT_BOUND_MS`
 * (6 s) and then resolves.
 *
 * What that guarantees: every localStorage write made before the call to an
 * origin that had not committed within the minute before survives a SIGKILL
 * of the browser after this resolves (e2e: 24 kill trials, 0 losses). What it
 * does not: an origin that committed less than a minute earlier is held back
 * by Chromium's commit rate limit (see DOM_STORAGE_RATE_LIMITED_BOUND_MS) —
 * its newest writes may need up to ~60 s, which this does not wait for (the
 * e2e suite shows such a write lost). Cookies are not covered (their store
 * commits on its own ~30 s timer): flushCookies below forces that. In-memory sessions have nothing on
 * disk: it resolves at once.
 *
 * Measured, not used: closing the last page of an origin makes Chromium
 * commit that origin's localStorage at once, rate limit or not (a write made
 * 8 s after a commit survived a SIGKILL 1 s after the page closed; with the
 * page left open it was lost). Closing the user's pages is not a flush.
 */
export async function flushStorageData(session: SessionContext): Promise<void> {
  await session.bindingFor('session.flushStorageData')
  if (!session.init.persistent || session.init.storagePath === null) return
  await sleep(DOM_STORAGE_COMMIT_BOUND_MS)
}

/** Domain of the throwaway cookie flushCookies sets and deletes (`.invalid` never resolves). */
export const FLUSH_COOKIE_DOMAIN = 'cdp-session-flush.invalid'

/**
 * Forces the session's cookie store to disk (what Electron's
 * `cookies.flushStore()` promises). No CDP command flushes cookies, but
 * Chromium's cookie store writes all its pending changes to disk whenever a
 * cookie is actually deleted, and answers the delete only after that write.
 * So this sets a throwaway cookie on FLUSH_COOKIE_DOMAIN (browser session,
 * context id) and deletes it with `Network.deleteCookies` on a page of the
 * context. Deleting a cookie that does not exist flushes nothing (measured),
 * hence the set. Measured: persistent cookies written 1 s before a SIGKILL of
 * the browser were lost 4/4 times without this and survived 4/4 with it (e2e:
 * 24 more trials, 0 losses). Side effect: the throwaway cookie exists for the
 * few milliseconds between the two commands (visible to a cookie-change
 * tracker that snapshots in between). In-memory sessions: resolves at once.
 */
export async function flushCookies(session: SessionContext): Promise<void> {
  const api = 'cookies.flushStore'
  const binding = await session.bindingFor(api)
  if (!session.init.persistent || session.init.storagePath === null) return
  const name = `__cdp_session_flush_${randomUUID()}`
  await binding.browser.send('Storage.setCookies', {
    browserContextId: binding.contextId,
    cookies: [{ name, value: '1', domain: FLUSH_COOKIE_DOMAIN, path: '/', expires: Math.floor(Date.now() / 1000) + 600 }],
  })
  await onContextPage(session, api, (client) => client.send('Network.deleteCookies', { name, domain: FLUSH_COOKIE_DOMAIN }))
}
