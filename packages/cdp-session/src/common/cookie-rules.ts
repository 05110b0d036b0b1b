/**
 * Pure cookie logic for `ses.cookies`: Electron's filter matching, the checks Chromium's
 * `CanonicalCookie::CreateSanitizedCookie` / `CookieMonster::SetCanonicalCookie` make before a
 * cookie is stored, and the conversion of Electron's `set()` details to a CDP `CookieParam`.
 *
 * Why we need our own checks: CDP's `Storage.setCookies` stores cookies whose domain does not
 * match the url, Secure cookies for http urls, and silently drops `SameSite=None` without
 * `Secure` (measured on Chromium 156). Electron rejects all of these, with the texts below.
 *
 * Nothing here talks to the browser.
 */
import { getDomain } from 'tldts'

/** A stored cookie as far as matching is concerned (Electron's Cookie shape). */
export interface MatchableCookie {
  name: string
  domain?: string
  path?: string
  secure?: boolean
  httpOnly?: boolean
  session?: boolean
}

export interface CookieFilter {
  url?: string
  name?: string
  domain?: string
  path?: string
  secure?: boolean
  session?: boolean
  httpOnly?: boolean
}

export type CookieSameSite = 'unspecified' | 'no_restriction' | 'lax' | 'strict'

export interface CookieDetails {
  url: string
  name?: string
  value?: string
  domain?: string
  path?: string
  secure?: boolean
  httpOnly?: boolean
  expirationDate?: number
  sameSite?: CookieSameSite
}

/**
 * The reasons Chromium gives for refusing a cookie, with the text Electron puts after
 * "Failed to set cookie - " (Electron's `InclusionStatusToString` in
 * shell/browser/api/electron_api_cookies.cc, which maps `net::CookieInclusionStatus`
 * exclusion reasons to these sentences). Electron also appends Chromium's status debug string
 * (reason code names) after the sentence; we append the reason code name only.
 */
export const EXCLUSION_TEXT = {
  EXCLUDE_SECURE_ONLY: 'The cookie was Secure, but the URL was not allowed to access Secure cookies.',
  EXCLUDE_SAMESITE_NONE_INSECURE: 'The cookie specified SameSite=None, but it was not Secure.',
  EXCLUDE_FAILURE_TO_STORE: 'The cookie was malformed and could not be stored',
  EXCLUDE_NONCOOKIEABLE_SCHEME: 'Attempted to set a cookie from a scheme that does not support cookies.',
  EXCLUDE_OVERWRITE_SECURE: 'The cookie would have overwritten a Secure cookie, and was not allowed to do so.',
  EXCLUDE_OVERWRITE_HTTP_ONLY: 'The cookie would have overwritten an HttpOnly cookie, and was not allowed to do so.',
  EXCLUDE_INVALID_DOMAIN: 'The cookie was set with an invalid Domain attribute.',
  EXCLUDE_INVALID_PREFIX: 'The cookie was set with an invalid __Host- or __Secure- prefix.',
  EXCLUDE_NAME_VALUE_PAIR_EXCEEDS_MAX_SIZE: 'The cookie exceeded the name/value pair size limit.',
  EXCLUDE_ATTRIBUTE_VALUE_EXCEEDS_MAX_SIZE: 'Cookie exceeded the attribute size limit.',
  EXCLUDE_DOMAIN_NON_ASCII: 'The cookie was set with a Domain attribute containing non ASCII characters.',
  EXCLUDE_DISALLOWED_CHARACTER: 'The cookie contains ASCII control characters',
  EXCLUDE_NO_COOKIE_CONTENT: 'The cookie contains no content or only whitespace.',
  EXCLUDE_HTTP_ONLY: 'The cookie was HttpOnly, but the attempted access was through a non-HTTP API.',
  EXCLUDE_INVALID_PARTITIONED: 'Cookie was set with an invalid Partitioned attribute.',
} as const

export type ExclusionReason = keyof typeof EXCLUSION_TEXT

/** Electron's rejection message for a refused cookie. */
export function exclusionMessage(reason: ExclusionReason): string {
  return `Failed to set cookie - ${EXCLUSION_TEXT[reason]} (${reason})`
}

/** Chromium's limits (net/cookies/parsed_cookie.h): name+value 4096 bytes, each attribute 1024. */
export const MAX_NAME_VALUE_SIZE = 4096
export const MAX_ATTRIBUTE_SIZE = 1024

const COOKIEABLE_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:'])

export interface ParsedCookieUrl {
  /** `http:`, `https:`, ... */
  protocol: string
  /** Lower-case host without port; IPv6 in brackets, as Chromium's GURL::host(). */
  host: string
  /** URL path without query, never empty. */
  path: string
}

/** Parses a url the way cookie code needs it, or undefined when it is not a URL at all. */
export function parseCookieUrl(url: string): ParsedCookieUrl | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  return { protocol: parsed.protocol, host: parsed.hostname.toLowerCase(), path: parsed.pathname || '/' }
}

export function isCookieableScheme(protocol: string): boolean {
  return COOKIEABLE_SCHEMES.has(protocol)
}

/** Chromium's `net::IsLocalhost`: localhost, *.localhost, 127.0.0.0/8 and [::1]. */
export function isLocalhost(host: string): boolean {
  const h = host.replace(/\.$/, '')
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '[::1]'
}

/**
 * Whether a Secure cookie may be set from / sent to this url: a cryptographic scheme, or a
 * localhost url (Chromium treats those as trustworthy; `cookie_util::ProvisionalAccessScheme`).
 */
export function allowsSecureCookies(url: ParsedCookieUrl): boolean {
  return url.protocol === 'https:' || url.protocol === 'wss:' || isLocalhost(url.host)
}

export function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[')
}

/** A domain is host-only when it has no leading dot (Chromium `cookie_util::DomainIsHostOnly`). */
export function isHostOnlyDomain(domain: string): boolean {
  return !domain.startsWith('.')
}

/**
 * Chromium's `cookie_util::IsDomainMatch(cookieDomain, host)`: would a cookie with this domain
 * be sent to `host`? A host-only domain needs the exact host; a domain cookie (leading dot)
 * matches the domain itself and every subdomain.
 */
export function cookieDomainMatchesHost(cookieDomain: string, host: string): boolean {
  if (host === cookieDomain) return true
  if (!cookieDomain.startsWith('.')) return false
  if (host === cookieDomain.slice(1)) return true
  return host.length > cookieDomain.length && host.endsWith(cookieDomain)
}

/**
 * RFC 6265 path-match (Chromium `CanonicalCookie::IsOnPath`): the cookie path is the request
 * path, or a prefix of it that ends in '/' or is followed by '/'.
 */
export function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (cookiePath === '') return false
  if (!requestPath.startsWith(cookiePath)) return false
  if (cookiePath.length === requestPath.length) return true
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'
}

/**
 * Whether Chromium would attach this cookie to a request for `url` with a same-site context and
 * HttpOnly access (what Electron's `get({ url })` asks `CookieManager::GetCookieList` for):
 * domain match, path match, Secure only for https/wss (or localhost), cookieable scheme.
 */
export function cookieMatchesUrl(cookie: MatchableCookie, url: ParsedCookieUrl): boolean {
  if (!isCookieableScheme(url.protocol)) return false
  if (!cookieDomainMatchesHost(cookie.domain ?? '', url.host)) return false
  if (!pathMatches(cookie.path ?? '/', url.path)) return false
  if (cookie.secure === true && !allowsSecureCookies(url)) return false
  return true
}

/**
 * Electron's domain filter as documented ("Retrieves cookies whose domains match or are
 * subdomains of `domain`"), implemented like Electron's `MatchesDomain` in
 * atom/browser/api/atom_api_cookies.cc (Electron ≤ 6, the version this project's spec seed
 * documents): leading dots on both sides are ignored and the cookie's domain must equal the
 * filter or end with "." + filter.
 *
 * Note: current Electron (shell/browser/api/electron_api_cookies.cc `MatchesCookie`) calls
 * `cookie.IsDomainMatch(filter)` instead, which asks the opposite question (would the cookie be
 * sent to the host `filter`?). We follow the documented behaviour.
 */
export function domainMatchesFilter(cookieDomain: string, filterDomain: string): boolean {
  const filter = filterDomain.replace(/^\.+/, '').toLowerCase()
  const domain = cookieDomain.replace(/^\.+/, '').toLowerCase()
  if (filter === '') return true
  return domain === filter || domain.endsWith(`.${filter}`)
}

/**
 * Electron's `MatchesCookie` (electron_api_cookies.cc) for the non-url fields: name and path
 * exact, domain per `domainMatchesFilter`, secure / session / httpOnly booleans.
 */
export function cookieMatchesFilter(cookie: MatchableCookie, filter: CookieFilter): boolean {
  if (filter.name !== undefined && filter.name !== cookie.name) return false
  if (filter.path !== undefined && filter.path !== cookie.path) return false
  if (filter.domain !== undefined && !domainMatchesFilter(cookie.domain ?? '', filter.domain)) return false
  if (filter.secure !== undefined && filter.secure !== (cookie.secure ?? false)) return false
  if (filter.session !== undefined && filter.session !== (cookie.session ?? true)) return false
  if (filter.httpOnly !== undefined && filter.httpOnly !== (cookie.httpOnly ?? false)) return false
  return true
}

/**
 * Applies a whole filter: with `url`, only cookies Chromium would send to it (ordered as
 * Chromium orders a Cookie header: longer paths first, otherwise store order); then the other
 * fields. `url` must already be parseable (the caller validates).
 */
export function filterCookies<C extends MatchableCookie>(cookies: readonly C[], filter: CookieFilter): C[] {
  let result: C[] = [...cookies]
  if (filter.url !== undefined && filter.url !== '') {
    const url = parseCookieUrl(filter.url)
    if (!url) return []
    result = result.filter((cookie) => cookieMatchesUrl(cookie, url))
    // Array.prototype.sort is stable: equal path lengths keep the store's order.
    result.sort((a, b) => (b.path ?? '').length - (a.path ?? '').length)
  }
  return result.filter((cookie) => cookieMatchesFilter(cookie, filter))
}

/** Chromium's default cookie path for a url (RFC 6265 5.1.4, `CanonicalCookie::CanonPathWithString`). */
export function defaultCookiePath(urlPath: string): string {
  if (!urlPath.startsWith('/')) return '/'
  const last = urlPath.lastIndexOf('/')
  if (last <= 0) return '/'
  return urlPath.slice(0, last)
}

// Control characters Chromium refuses in names and values, tab included (measured through
// CDP, which builds cookies with the same `CanonicalCookie::CreateSanitizedCookie`).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/
const EDGE_WHITESPACE = /^[ \t]|[ \t]$/
// Characters no attribute value (path, domain) may hold: ';', CR, LF, NUL.
// eslint-disable-next-line no-control-regex
const BAD_ATTRIBUTE_CHARS = /[;\r\n\u0000]/

/** `ParsedCookie::IsValidCookieName`: no control characters, ';' or '=', no edge whitespace. */
export function isValidCookieName(name: string): boolean {
  return !CONTROL_CHARS.test(name) && !/[;=]/.test(name) && !EDGE_WHITESPACE.test(name)
}

/** `ParsedCookie::IsValidCookieValue`: no control characters or ';', no edge whitespace. */
export function isValidCookieValue(value: string): boolean {
  return !CONTROL_CHARS.test(value) && !value.includes(';') && !EDGE_WHITESPACE.test(value)
}

/** A cookie Chromium will accept, in the shape CDP's `Storage.setCookies` takes. */
export interface SanitizedCookie {
  name: string
  value: string
  url: string
  /** Host (host-only cookie) or '.'-prefixed domain (domain cookie) — CDP keys on the dot. */
  domain: string
  path: string
  secure: boolean
  httpOnly: boolean
  sameSite: CookieSameSite
  /** Seconds since the epoch; absent for a session cookie. */
  expires?: number
  /** true when the url allows Secure cookies (used for overwrite checks). */
  secureSource: boolean
}

export type SanitizeResult = { ok: true; cookie: SanitizedCookie } | { ok: false; reason: ExclusionReason }

function hasNonAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u007f]/.test(text)
}

/**
 * The cookie's domain as Chromium's `cookie_util::GetCookieDomainWithString` computes it:
 * no Domain attribute → host-only cookie for the url's host; otherwise the attribute (leading
 * dot dropped, lower-cased) must be the host or a parent of it with the same registrable
 * domain (eTLD+1 by the Public Suffix List, private registries included, as Chromium's
 * GetEffectiveDomain), and becomes a domain cookie ('.' + domain). So `co.uk` or `github.io`
 * is refused as a Domain. Hosts with no registrable domain (IP addresses, single labels, a
 * public suffix itself) only get a host-only cookie, and only when the attribute equals the host.
 */
function cookieDomain(host: string, domainAttr: string): { domain: string } | { reason: ExclusionReason } {
  if (domainAttr === '') return { domain: host }
  if (hasNonAscii(domainAttr)) return { reason: 'EXCLUDE_DOMAIN_NON_ASCII' }
  if (domainAttr.length > MAX_ATTRIBUTE_SIZE) return { reason: 'EXCLUDE_ATTRIBUTE_VALUE_EXCEEDS_MAX_SIZE' }
  const wanted = domainAttr.replace(/^\./, '').toLowerCase()
  const hostRegistrable = isIpAddress(host) ? null : registrableDomain(host)
  if (hostRegistrable === null) {
    return wanted === host ? { domain: host } : { reason: 'EXCLUDE_INVALID_DOMAIN' }
  }
  if (host !== wanted && !host.endsWith(`.${wanted}`)) return { reason: 'EXCLUDE_INVALID_DOMAIN' }
  if (registrableDomain(wanted) !== hostRegistrable) return { reason: 'EXCLUDE_INVALID_DOMAIN' }
  return { domain: `.${wanted}` }
}

/** eTLD+1 with private registries (github.io, …) as Chromium's GetEffectiveDomain; null for none. */
function registrableDomain(host: string): string | null {
  return getDomain(host, { allowPrivateDomains: true, validateHostname: false })
}

function isValidPath(path: string): boolean {
  return path.startsWith('/') && !BAD_ATTRIBUTE_CHARS.test(path)
}

/**
 * Electron's `set(details)` checks, in Chromium's order of concern. `now` is seconds since the
 * epoch. On success returns the canonical cookie to store.
 *
 * sameSite defaults to 'lax' when absent (Electron's `StringToCookieSameSite`: a missing value
 * maps to LAX_MODE; documented as default 'lax' since Electron 12), and `secure` defaults to
 * true for sameSite 'no_restriction' (as Electron's `Cookies::Set` does).
 */
export function sanitizeCookie(details: CookieDetails): SanitizeResult {
  const fail = (reason: ExclusionReason): SanitizeResult => ({ ok: false, reason })
  const url = parseCookieUrl(details.url)
  // Electron: an invalid GURL is reported as an invalid domain.
  if (!url) return fail('EXCLUDE_INVALID_DOMAIN')
  if (!isCookieableScheme(url.protocol)) return fail('EXCLUDE_NONCOOKIEABLE_SCHEME')
  if (url.host === '') return fail('EXCLUDE_INVALID_DOMAIN')

  const name = details.name ?? ''
  const value = details.value ?? ''
  const sameSite = details.sameSite ?? 'lax'
  const secure = details.secure ?? sameSite === 'no_restriction'
  const httpOnly = details.httpOnly ?? false

  if (!isValidCookieName(name) || !isValidCookieValue(value)) return fail('EXCLUDE_DISALLOWED_CHARACTER')
  if (name === '' && value === '') return fail('EXCLUDE_NO_COOKIE_CONTENT')
  // A nameless cookie whose value holds '=' would read back as a different name=value pair.
  if (name === '' && value.includes('=')) return fail('EXCLUDE_FAILURE_TO_STORE')
  if (Buffer.byteLength(name) + Buffer.byteLength(value) > MAX_NAME_VALUE_SIZE) return fail('EXCLUDE_NAME_VALUE_PAIR_EXCEEDS_MAX_SIZE')

  const domain = cookieDomain(url.host, details.domain ?? '')
  if ('reason' in domain) return fail(domain.reason)

  let path: string
  if (details.path === undefined || details.path === '') {
    path = defaultCookiePath(url.path)
  } else {
    if (!isValidPath(details.path)) return fail('EXCLUDE_FAILURE_TO_STORE')
    if (details.path.length > MAX_ATTRIBUTE_SIZE) return fail('EXCLUDE_ATTRIBUTE_VALUE_EXCEEDS_MAX_SIZE')
    path = details.path
  }

  const secureSource = allowsSecureCookies(url)
  if (secure && !secureSource) return fail('EXCLUDE_SECURE_ONLY')

  // Cookie prefixes (RFC 6265bis; Chromium compares them case-insensitively).
  const lower = name.toLowerCase()
  if (lower.startsWith('__secure-') && !secure) return fail('EXCLUDE_INVALID_PREFIX')
  if (lower.startsWith('__host-') && (!secure || !isHostOnlyDomain(domain.domain) || path !== '/')) return fail('EXCLUDE_INVALID_PREFIX')

  if (sameSite === 'no_restriction' && !secure) return fail('EXCLUDE_SAMESITE_NONE_INSECURE')

  const cookie: SanitizedCookie = { name, value, url: details.url, domain: domain.domain, path, secure, httpOnly, sameSite, secureSource }
  if (details.expirationDate !== undefined) cookie.expires = details.expirationDate
  return { ok: true, cookie }
}

/** A cookie already in the store, for the overwrite checks. */
export interface StoredCookie {
  name: string
  domain: string
  path: string
  secure: boolean
  httpOnly: boolean
}

/**
 * `CookieMonster::MaybeDeleteEquivalentCookieAndUpdateStatus`, as it applies to Electron's
 * `set()`: a cookie from a url that may not set Secure cookies cannot replace or shadow a
 * Secure cookie of the same name on a matching domain and path; and (Electron passes
 * `include_httponly` only for an httpOnly `set`) a non-httpOnly cookie cannot replace an
 * HttpOnly cookie with the same name, domain and path.
 */
export function overwriteReason(cookie: SanitizedCookie, store: Iterable<StoredCookie>): ExclusionReason | undefined {
  for (const existing of store) {
    if (existing.name !== cookie.name) continue
    if (!cookie.secureSource && existing.secure) {
      const bare = (d: string) => d.replace(/^\./, '')
      const domainsOverlap = cookieDomainMatchesHost(existing.domain, bare(cookie.domain)) || cookieDomainMatchesHost(cookie.domain, bare(existing.domain))
      if (domainsOverlap && pathMatches(cookie.path, existing.path)) return 'EXCLUDE_OVERWRITE_SECURE'
    }
    if (!cookie.httpOnly && existing.httpOnly && existing.domain === cookie.domain && existing.path === cookie.path) {
      return 'EXCLUDE_OVERWRITE_HTTP_ONLY'
    }
  }
  return undefined
}

/** A cookie as a cookie line (`document.cookie = …`, `Set-Cookie`) would store it. */
export interface LineCookie extends SanitizedCookie {
  partitioned: boolean
  /** The expiry came from Max-Age: it depends on the moment Chromium stored the cookie. */
  relativeExpiry: boolean
}

export type LineResult = { ok: true; cookie: LineCookie } | { ok: false; reason: ExclusionReason }

const LINE_SAME_SITE: Record<string, CookieSameSite> = { none: 'no_restriction', lax: 'lax', strict: 'strict' }

/** What a cookie line says, attribute by attribute (`expires` in ms). */
export interface CookieLineParts {
  name: string
  value: string
  domain: string
  path: string
  secure: boolean
  httpOnly: boolean
  partitioned: boolean
  sameSite: CookieSameSite
  maxAge: number | undefined
  expires: number | undefined
}

/**
 * Reads a cookie line as Chromium's `ParsedCookie` does: the name is the text before the first
 * '=' (none: an empty name), attribute names are case-insensitive and the last one wins, a Path
 * not starting with '/' is ignored, unparsable Max-Age and Expires are ignored.
 */
export function readCookieLine(line: string): CookieLineParts {
  const [pair = '', ...attributes] = line.split(';')
  const eq = pair.indexOf('=')
  const parts: CookieLineParts = {
    name: eq < 0 ? '' : pair.slice(0, eq).trim(),
    value: (eq < 0 ? pair : pair.slice(eq + 1)).trim(),
    domain: '',
    path: '',
    secure: false,
    httpOnly: false,
    partitioned: false,
    sameSite: 'unspecified',
    maxAge: undefined,
    expires: undefined,
  }
  for (const attribute of attributes) {
    const at = attribute.indexOf('=')
    const key = (at < 0 ? attribute : attribute.slice(0, at)).trim().toLowerCase()
    const text = at < 0 ? '' : attribute.slice(at + 1).trim()
    if (key === 'domain') parts.domain = text
    else if (key === 'path') parts.path = text.startsWith('/') ? text : ''
    else if (key === 'secure') parts.secure = true
    else if (key === 'httponly') parts.httpOnly = true
    else if (key === 'partitioned') parts.partitioned = true
    else if (key === 'samesite') parts.sameSite = LINE_SAME_SITE[text.toLowerCase()] ?? 'unspecified'
    else if (key === 'max-age' && /^-?\d+$/.test(text)) parts.maxAge = Number(text)
    else if (key === 'expires') {
      const time = Date.parse(text)
      if (!Number.isNaN(time)) parts.expires = time
    }
  }
  return parts
}

/**
 * The cookie a line written at `url` makes, or why Chromium refuses it: `ParsedCookie` (name
 * before the first '=', no '=' means an empty name; attribute names case-insensitive, the last
 * one wins; a Path not starting with '/' is ignored), then the checks of `sanitizeCookie`.
 * `source` 'script' (document.cookie) adds the script-only rule: an HttpOnly line is refused
 * (`CanonicalCookie::IsSetPermittedInContext`, EXCLUDE_HTTP_ONLY). Partitioned needs Secure.
 * `now` is in ms. The overwrite rules need the store: see `overwriteReason`.
 */
export function cookieFromLine(line: string, url: string, now: number, source: 'script' | 'http'): LineResult {
  const { name, value, domain, path, secure, httpOnly, partitioned, sameSite, maxAge, expires } = readCookieLine(line)
  if (source === 'script' && httpOnly) return { ok: false, reason: 'EXCLUDE_HTTP_ONLY' }
  if (partitioned && !secure) return { ok: false, reason: 'EXCLUDE_INVALID_PARTITIONED' }
  const details: CookieDetails = { url, name, value, domain, path, secure, httpOnly, sameSite }
  if (maxAge !== undefined) details.expirationDate = now / 1000 + maxAge
  else if (expires !== undefined) details.expirationDate = expires / 1000
  const result = sanitizeCookie(details)
  if (!result.ok) return result
  return { ok: true, cookie: { ...result.cookie, partitioned, relativeExpiry: maxAge !== undefined } }
}
