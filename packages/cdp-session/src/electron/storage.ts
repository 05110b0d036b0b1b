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
import { electronValidationError, quote, warnIgnoredInput } from '../common/input-policy.js'
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
 * Electron's `clearStorageData` storage names (GetStorageMask in electron_api_session.cc,
 * compared case-insensitively) → Chromium's storage types for `Storage.clearDataForOrigin`.
 * `appcache` and `websql` are gone from Chromium and from Electron's list: like any name Electron
 * does not know, they are ignored (with a warning) and clear nothing.
 */
export const ELECTRON_STORAGE_TYPES: Readonly<Record<string, readonly string[]>> = {
  cookies: ['cookies'],
  filesystem: ['file_systems'],
  indexdb: ['indexeddb'],
  localstorage: ['local_storage'],
  shadercache: ['shader_cache'],
  serviceworkers: ['service_workers'],
  cachestorage: ['cache_storage'],
}

/**
 * Electron's quota names: GetQuotaMask knows only "temporary" (case-insensitive); the other
 * names it once had ("persistent", "syncable") are ignored. The quota mask decides whether
 * quota-managed storage is cleared at all.
 */
export const ELECTRON_QUOTAS: readonly string[] = ['temporary']

/** The storage types Chromium's quota manager keeps (cleared only when the quota mask has "temporary"). */
const QUOTA_MANAGED_TYPES: ReadonlySet<string> = new Set(['file_systems', 'indexeddb', 'service_workers', 'cache_storage'])

/**
 * Newer Electron's `clearData` data types (kDataTypeLookup in electron_api_session.cc, exact
 * names) → what we do for each. `cache` is the HTTP cache and Cache Storage; `backgroundFetch` and
 * `downloads` (download history) have no CDP command at all: asking for them explicitly throws.
 * Other names (also `webSQL`, which Electron dropped) are ignored with a warning, as Electron
 * ignores them.
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
}

/** Every Chromium storage type that clearStorageData() without `storages` clears. */
const ALL_STORAGE_TYPES = ['cookies', 'file_systems', 'indexeddb', 'local_storage', 'shader_cache', 'service_workers', 'cache_storage']

const ORIGIN_EXPECTED = "a URL whose origin is 'scheme://host[:port]' (http or https), as window.location.origin"

/**
 * The origin of `value` as `url::Origin::Create(GURL(value))` gives it (lower-case host, default
 * port dropped, path, query and fragment dropped with a warning). What has no such origin (not a
 * URL, `*`, '', file:, data: …) throws a ValidationError naming `argument` — Electron would read
 * it as an opaque origin, which Chromium's clearStorageData takes as "every origin", and
 * clearData rejects with `Invalid origin: '…'` (`electronMessage` gives that text).
 */
export function parseOrigin(api: string, argument: string, value: unknown, electronMessage?: (value: string) => string): string {
  const fail = (): never => {
    if (electronMessage && typeof value === 'string') throw electronValidationError(api, argument, value, electronMessage(value))
    throw new ValidationError(api, argument, value, ORIGIN_EXPECTED)
  }
  if (typeof value !== 'string' || !URL.canParse(value)) return fail()
  const url = new URL(value)
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.origin === 'null') return fail()
  if (`${url.origin}/` !== url.href && url.origin !== value) {
    warnIgnoredInput(api, `the parts of ${argument} ${quote(value)} after its origin`, `Electron uses the URL's origin, ${url.origin}`)
  }
  return url.origin
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * A list of names as gin reads `std::vector<std::string>`. Something else (not an array, or an
 * array with a non-string) makes Electron skip the option, which clears every type: refused here
 * (see docs/decisions.md, "Inputs": no input is read as "clear more than asked").
 */
function nameList(api: string, argument: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new ValidationError(api, argument, value, 'an array of names (Electron would skip the option and clear every type)')
  value.forEach((item, i) => {
    if (typeof item !== 'string') throw new ValidationError(api, `${argument}.${i}`, item, 'a string (Electron would skip the whole option and clear every type)')
  })
  return value as string[]
}

function checkKeys(api: string, options: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of Object.keys(options)) {
    // Electron never looks at an unknown key; refused here because a misspelt narrowing option
    // (`origins` for `origin`) would make the call clear everything.
    if (!keys.includes(key)) throw new ValidationError(api, `options.${key}`, options[key], `one of ${keys.join(', ')} (unknown option; Electron would ignore it and clear more than asked)`)
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

/** Validates clearStorageData's options and turns them into a plan (Electron's ClearStorageDataOptions converter). */
export function planClearStorageData(options: unknown): ClearPlan {
  const api = 'session.clearStorageData'
  if (options === undefined) return { origins: undefined, storageTypes: [...ALL_STORAGE_TYPES], cache: false }
  if (!isPlainObject(options)) throw new ValidationError(api, 'options', options, '{ origin?, storages?, quotas? } (Electron would clear everything)')
  checkKeys(api, options, ['origin', 'storages', 'quotas'])
  const origins = options.origin === undefined ? undefined : [parseOrigin(api, 'options.origin', options.origin)]
  let storageTypes = [...ALL_STORAGE_TYPES]
  if (options.storages !== undefined) {
    const types = new Set<string>()
    for (const name of nameList(api, 'options.storages', options.storages)) {
      const mapped = ELECTRON_STORAGE_TYPES[name.toLowerCase()]
      if (mapped) for (const type of mapped) types.add(type)
      else warnIgnoredInput(api, `storage name ${quote(name)}`, `Electron knows ${Object.keys(ELECTRON_STORAGE_TYPES).join(', ')} and clears nothing for other names`)
    }
    storageTypes = [...types]
  }
  if (options.quotas !== undefined) {
    const names = nameList(api, 'options.quotas', options.quotas)
    for (const name of names) {
      if (name.toLowerCase() !== 'temporary') warnIgnoredInput(api, `quota name ${quote(name)}`, "Electron knows only 'temporary'")
    }
    // Without "temporary" the quota mask is empty: Chromium leaves quota-managed storage alone.
    if (!names.some((n) => n.toLowerCase() === 'temporary')) storageTypes = storageTypes.filter((t) => !QUOTA_MANAGED_TYPES.has(t))
  }
  return { origins, storageTypes, cache: false }
}

const invalidOrigin = (value: string): string => `Invalid origin: '${value}'`

/** Validates clearData's options and turns them into a plan (Electron's Session::ClearData). */
export function planClearData(options: unknown): ClearPlan {
  const api = 'session.clearData'
  if (options === undefined) options = {}
  if (!isPlainObject(options)) throw new ValidationError(api, 'options', options, '{ dataTypes?, origins?, excludeOrigins? } (Electron would clear everything)')
  checkKeys(api, options, ['dataTypes', 'origins', 'excludeOrigins', 'avoidClosingConnections', 'originMatchingMode'])
  const originList = (argument: string, value: unknown): string[] => {
    if (!Array.isArray(value)) throw new ValidationError(api, argument, value, 'an array of origins (Electron would skip the option and clear every origin)')
    return [...new Set(value.map((v, i) => {
      if (typeof v !== 'string') throw new ValidationError(api, `${argument}.${i}`, v, 'a string (Electron would skip the whole option and clear every origin)')
      return parseOrigin(api, `${argument}.${i}`, v, invalidOrigin)
    }))]
  }
  if (options.origins !== undefined && options.excludeOrigins !== undefined) {
    throw electronValidationError(api, 'options.excludeOrigins', options.excludeOrigins, "Cannot provide both 'origins' and 'excludeOrigins'")
  }
  const origins = options.origins === undefined ? undefined : originList('options.origins', options.origins)
  const excluded = options.excludeOrigins === undefined ? undefined : originList('options.excludeOrigins', options.excludeOrigins)
  const mode = options.originMatchingMode
  if (mode !== undefined && mode !== 'third-parties-included' && mode !== 'origin-in-all-contexts') {
    warnIgnoredInput(api, `options.originMatchingMode ${quote(mode)}`, "Electron knows 'third-parties-included' and 'origin-in-all-contexts' and keeps the default for anything else")
  }
  const names = options.dataTypes === undefined ? undefined : nameList(api, 'options.dataTypes', options.dataTypes)
  let cache = names === undefined
  const storageTypes = new Set<string>(names === undefined ? ALL_STORAGE_TYPES : [])
  for (const name of names ?? []) {
    const mapped = ELECTRON_DATA_TYPES[name]
    if (mapped === undefined) {
      warnIgnoredInput(api, `data type ${quote(name)}`, `Electron knows ${Object.keys(ELECTRON_DATA_TYPES).join(', ')} and clears nothing for other names`)
      continue
    }
    if (mapped === 'unsupported') {
      throw new NotSupportedError(`${api}: '${name}' cannot be cleared: Chromium's DevTools protocol has no command for it. Leave it out of dataTypes.`)
    }
    if (mapped === 'cache') {
      // Electron's "cache" is DATA_TYPE_CACHE | DATA_TYPE_CACHE_STORAGE.
      cache = true
      storageTypes.add('cache_storage')
    } else {
      for (const type of mapped) storageTypes.add(type)
    }
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
 * sessions keep theirs). Storage names Electron does not know (`appcache`, `websql` …) clear
 * nothing; `quotas` without 'temporary' leave quota-managed storage alone, as in Electron.
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
