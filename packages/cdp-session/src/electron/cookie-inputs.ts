// The arguments of cookies.get / set / remove read as Electron reads them
// (shell/browser/api/electron_api_cookies.cc): the object arrives as a base::Value::Dict and
// each field is taken with FindString / FindBool / FindDouble, so a field of the wrong type is as
// good as absent, and unknown fields are never looked at. Those are accepted here too, with a
// warning each (common/input-policy.ts). What Electron rejects is rejected with its text.
import type { CookieDetails, CookieFilter, CookieSameSite } from '../common/cookie-rules.js'
import { electronValidationError, ginConversionError, quote, warnIgnoredInput } from '../common/input-policy.js'

/** A value V8ValueConverter turns into a base::Value::Dict: a plain object (not an array, not null). */
function isDictionary(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

type Kind = 'string' | 'boolean' | 'number'

/**
 * Reads one field as base::Value::Dict::Find<Kind> does. Numbers that are not finite never reach
 * the dictionary (V8ValueConverter drops them), so they count as absent too.
 */
function field<T>(api: string, record: Record<string, unknown>, argument: string, key: string, kind: Kind): T | undefined {
  const value = record[key]
  if (value === undefined) return undefined
  const ok = kind === 'number' ? typeof value === 'number' && Number.isFinite(value) : typeof value === kind
  if (ok) return value as T
  warnIgnoredInput(api, `${argument}.${key} ${quote(value)}`, `not a ${kind === 'number' ? 'finite number' : kind}, so Electron reads it as absent`)
  return undefined
}

function warnUnknownKeys(api: string, record: Record<string, unknown>, argument: string, known: readonly string[]): void {
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) warnIgnoredInput(api, `${argument}.${key}`, `Electron reads only ${known.join(', ')}`)
  }
}

const FILTER_KEYS = ['url', 'name', 'domain', 'path', 'secure', 'session', 'httpOnly'] as const
const DETAILS_KEYS = ['url', 'name', 'value', 'domain', 'path', 'secure', 'httpOnly', 'expirationDate', 'sameSite', 'creationDate', 'lastAccessDate'] as const
const SAME_SITE: readonly string[] = ['unspecified', 'no_restriction', 'lax', 'strict']

/** cookies.get's filter, as Cookies::Get and MatchesCookie read it. */
export function readCookieFilter(api: string, filter: unknown): CookieFilter {
  if (!isDictionary(filter)) throw ginConversionError(api, 0, 'filter', filter)
  warnUnknownKeys(api, filter, 'filter', FILTER_KEYS)
  const out: CookieFilter = {}
  const url = field<string>(api, filter, 'filter', 'url', 'string')
  if (url !== undefined) {
    // GURL(url) of an invalid URL reaches the cookie store, which has no cookies for it.
    if (url !== '' && !URL.canParse(url)) warnIgnoredInput(api, `filter.url ${quote(url)}`, 'not a valid URL: no cookie matches it (Electron resolves with [])')
    out.url = url
  }
  for (const key of ['name', 'domain', 'path'] as const) {
    const value = field<string>(api, filter, 'filter', key, 'string')
    if (value !== undefined) out[key] = value
  }
  for (const key of ['secure', 'session', 'httpOnly'] as const) {
    const value = field<boolean>(api, filter, 'filter', key, 'boolean')
    if (value !== undefined) out[key] = value
  }
  return out
}

/** Electron's message for a sameSite string it does not know (StringToCookieSameSite). */
export function sameSiteMessage(value: string): string {
  return `Failed to convert '${value}' to an appropriate cookie same site value`
}

/** cookies.set's details, as Cookies::Set reads them. */
export function readCookieDetails(api: string, details: unknown): CookieDetails {
  if (!isDictionary(details)) throw ginConversionError(api, 0, 'details', details)
  warnUnknownKeys(api, details, 'details', DETAILS_KEYS)
  // FindString("url"): a url that is not a string is a missing one.
  const url = details.url
  if (typeof url !== 'string') throw electronValidationError(api, 'details.url', url, "Missing required option 'url'")
  const out: CookieDetails = { url }
  for (const key of ['name', 'value', 'domain', 'path'] as const) {
    const value = field<string>(api, details, 'details', key, 'string')
    if (value !== undefined) out[key] = value
  }
  for (const key of ['secure', 'httpOnly'] as const) {
    const value = field<boolean>(api, details, 'details', key, 'boolean')
    if (value !== undefined) out[key] = value
  }
  const sameSite = field<string>(api, details, 'details', 'sameSite', 'string')
  if (sameSite !== undefined) {
    if (!SAME_SITE.includes(sameSite)) throw electronValidationError(api, 'details.sameSite', sameSite, sameSiteMessage(sameSite))
    out.sameSite = sameSite as CookieSameSite
  }
  const expirationDate = field<number>(api, details, 'details', 'expirationDate', 'number')
  if (expirationDate !== undefined) out.expirationDate = expirationDate
  for (const key of ['creationDate', 'lastAccessDate'] as const) {
    const value = field<number>(api, details, 'details', key, 'number')
    if (value !== undefined) {
      warnIgnoredInput(api, `details.${key} ${quote(value)}`, 'CDP cannot set a cookie\'s creation or last access time (Storage.setCookies has no such field); Chromium stamps the current time')
    }
  }
  return out
}

/** cookies.remove's arguments: url is converted to a GURL (any string), name must be a string. */
export function readRemoveArgs(api: string, url: unknown, name: unknown): { url: string; name: string } {
  if (typeof url !== 'string') throw ginConversionError(api, 0, 'url', url, [name])
  if (typeof name !== 'string') throw ginConversionError(api, 1, 'name', name)
  if (!URL.canParse(url)) warnIgnoredInput(api, `url ${quote(url)}`, 'not a valid URL: no cookie matches it, nothing is removed (Electron resolves too)')
  return { url, name }
}
