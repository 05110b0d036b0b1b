/**
 * `ses.setProxy()` configuration: Chromium's proxy rules grammar
 * (net/proxy_resolution/proxy_config.cc, ProxyRules::ParseFromString / Apply),
 * Electron's config object and mode handling (shell/browser/api/electron_api_session.cc),
 * and the string `ses.resolveProxy()` answers (ProxyList::ToPacString).
 *
 * Grammar:
 *
 *   proxyRules     = entry *(";" entry)
 *   entry          = [urlScheme "="] proxyUriList
 *   urlScheme      = "http" | "https" | "ftp" | "socks"      (lower case)
 *   proxyUriList   = proxyUri *("," proxyUri)                 (fail-over order)
 *   proxyUri       = [proxyScheme "://"] host [":" port]
 *   proxyScheme    = http | https | socks4 | socks5 | socks | direct   (case-insensitive)
 *
 * A list without `scheme=` applies to every URL. `http=` / `https=` / `ftp=`
 * lists apply to URLs of that scheme; `socks=` is the list for every other URL
 * (and for a scheme without its own list), and its entries default to SOCKS4 —
 * whereas `socks://` inside a URI means SOCKS5. Entries for the same scheme
 * accumulate. ws:// and wss:// URLs use the `socks=` list, else https's, else
 * http's.
 *
 * Where Chromium silently ignores a piece, this module throws a
 * ValidationError instead. Rejected (each with a message saying what was
 * expected):
 * - an unknown URL scheme key (`crazy=foo`, also `HTTP=` — Chromium compares it
 *   case-sensitively and so ignores it);
 * - `http=` with nothing after it, or a second `=` in one entry (`a=b=c`);
 * - a list without `scheme=` next to other entries: Chromium uses the first such
 *   list alone and drops everything after it, or drops it when per-scheme
 *   entries came first;
 * - an unknown proxy scheme (`ftp://x`), `quic://` (release Chromium drops it),
 *   bracketed multi-proxy chains (`[https://a https://b]`), `direct://` with a
 *   host, user info, paths, a missing or empty host, an empty or non-numeric
 *   port, port 0 or above 65535, unbracketed IPv6 hosts;
 * - an input longer than MAX_RULES_LENGTH.
 * Accepted as Chromium does: white space around pieces, empty items between
 * separators (`a,,b`, a trailing `;`), host canonicalisation (`FoO` → `foo`,
 * IDN → punycode, `0xA.020.3.4` → `10.16.3.4`, IPv6 compression). An empty (or
 * white-space only) `proxyRules` means no proxy, as in Electron.
 */
import { z } from 'zod'
import { NotSupportedError, ValidationError } from '../common/errors.js'
import { validateArg } from '../common/validate.js'
import { MAX_RULES_LENGTH, matchesImplicitBypassRules, parseBypassRules, type BypassMatcher } from './bypass-rules.js'
import { DIRECT, ProxyParseError, parseProxyUri, toPacString, type ProxyScheme, type ProxyServer } from './proxy-server.js'

export type { BypassMatcher } from './bypass-rules.js'
export type { ProxyScheme, ProxyServer } from './proxy-server.js'

/** Parsed `proxyRules`. Lists are in fail-over order and never empty. */
export type ProxyRules =
  | { readonly type: 'empty' }
  | { readonly type: 'single'; readonly proxies: readonly ProxyServer[] }
  | {
      readonly type: 'per-scheme'
      readonly http: readonly ProxyServer[]
      readonly https: readonly ProxyServer[]
      readonly ftp: readonly ProxyServer[]
      /** From `socks=`: used for URLs whose scheme has no list of its own. */
      readonly fallback: readonly ProxyServer[]
    }

const URL_SCHEME_KEYS = ['http', 'https', 'ftp', 'socks'] as const
type UrlSchemeKey = (typeof URL_SCHEME_KEYS)[number]

function rulesError(api: string, piece: string, expected: string): ValidationError {
  return new ValidationError(api, 'proxyRules', piece, expected)
}

function parseUriList(api: string, list: string, defaultScheme: ProxyScheme, context: string): ProxyServer[] {
  const out: ProxyServer[] = []
  for (const item of list.split(',')) {
    const trimmed = item.trim()
    if (trimmed === '') continue
    if (trimmed.startsWith('[') && (/\s/.test(trimmed) || trimmed.includes('://'))) {
      throw rulesError(api, trimmed, `one proxy per list item (bracketed multi-proxy chains are not accepted by release Chromium)${context}`)
    }
    try {
      out.push(parseProxyUri(item, defaultScheme))
    } catch (error) {
      if (error instanceof ProxyParseError) throw rulesError(api, trimmed, `${error.expected}${context}`)
      throw error
    }
  }
  return out
}

/**
 * Parses a `proxyRules` string (Chromium's `--proxy-server` grammar). Throws a
 * ValidationError naming `proxyRules`, the bad piece and what was expected.
 */
export function parseProxyRules(rules: string, api = 'ses.setProxy'): ProxyRules {
  if (typeof rules !== 'string') throw new ValidationError(api, 'proxyRules', rules, 'a string of proxy rules')
  if (rules.length > MAX_RULES_LENGTH) throw rulesError(api, rules, `at most ${MAX_RULES_LENGTH} characters of proxy rules`)
  const entries = rules.split(';').filter((entry) => entry.trim() !== '')
  if (entries.length === 0) return { type: 'empty' }

  const perScheme: Record<UrlSchemeKey, ProxyServer[]> = { http: [], https: [], ftp: [], socks: [] }
  let single: ProxyServer[] | undefined
  entries.forEach((entry, index) => {
    const context = entries.length > 1 ? ` (in entry ${index + 1}: ${JSON.stringify(entry.trim())})` : ''
    const pieces = entry.split('=')
    if (pieces.length === 1) {
      if (entries.length > 1) {
        throw rulesError(
          api,
          entry.trim(),
          'either one proxy list for all URLs, or entries of the form scheme=list (http, https, ftp, socks) — not both; Chromium would ignore part of it',
        )
      }
      single = parseUriList(api, entry, 'http', context)
      return
    }
    if (pieces.length > 2) throw rulesError(api, entry.trim(), `one "=" per entry: scheme=proxy[,proxy...]${context}`)
    const key = (pieces[0] ?? '').trim()
    const list = pieces[1] ?? ''
    if (!(URL_SCHEME_KEYS as readonly string[]).includes(key)) {
      throw rulesError(api, key, `a URL scheme before "=": http, https, ftp or socks (lower case)${context}`)
    }
    // `socks=` lists default to SOCKS4; every other list defaults to HTTP.
    const parsed = parseUriList(api, list, key === 'socks' ? 'socks4' : 'http', context)
    if (parsed.length === 0) throw rulesError(api, entry.trim(), `at least one proxy after "${key}="${context}`)
    perScheme[key as UrlSchemeKey].push(...parsed)
  })
  if (single) {
    if (single.length === 0) throw rulesError(api, rules.trim(), 'at least one proxy')
    return { type: 'single', proxies: Object.freeze(single) }
  }
  return {
    type: 'per-scheme',
    http: Object.freeze(perScheme.http),
    https: Object.freeze(perScheme.https),
    ftp: Object.freeze(perScheme.ftp),
    fallback: Object.freeze(perScheme.socks),
  }
}

/**
 * The proxy list Chromium picks from `rules` for `url` (ProxyRules::Apply),
 * before bypass rules are considered. An empty result never happens: no match
 * means `[DIRECT]`.
 */
export function proxiesForUrl(rules: ProxyRules, url: URL): readonly ProxyServer[] {
  if (rules.type === 'empty') return [DIRECT]
  if (rules.type === 'single') return rules.proxies
  const scheme = url.protocol.slice(0, -1).toLowerCase()
  const own = scheme === 'http' ? rules.http : scheme === 'https' ? rules.https : scheme === 'ftp' ? rules.ftp : []
  if (own.length > 0) return own
  if (scheme === 'ws' || scheme === 'wss') {
    // RFC 6455 §4.1 as Chromium reads it: the SOCKS (fallback) list first, then https's, then http's.
    for (const list of [rules.fallback, rules.https, rules.http]) if (list.length > 0) return list
    return [DIRECT]
  }
  return rules.fallback.length > 0 ? rules.fallback : [DIRECT]
}

export type ProxyMode = 'direct' | 'auto_detect' | 'pac_script' | 'fixed_servers' | 'system'

/** What `setProxy` was given, as Electron documents it. */
export interface ProxyConfigInput {
  mode?: ProxyMode
  pacScript?: string
  proxyRules?: string
  proxyBypassRules?: string
}

/** A validated setProxy config, reduced to the mode that takes effect (Electron's rules). */
export type ProxyConfig =
  | { readonly mode: 'direct' }
  | { readonly mode: 'system' }
  | { readonly mode: 'auto_detect' }
  /** `pacScript` '' means no script: every URL resolves DIRECT (Electron's own test). */
  | { readonly mode: 'pac_script'; readonly pacScript: string }
  | {
      readonly mode: 'fixed_servers'
      readonly rules: ProxyRules
      readonly bypass: BypassMatcher
      /** The strings as given, for logs and `--proxy-server`. */
      readonly proxyRules: string
      readonly proxyBypassRules: string
    }

const MODES = ['direct', 'auto_detect', 'pac_script', 'fixed_servers', 'system'] as const

const CONFIG_KEYS = ['mode', 'pacScript', 'proxyRules', 'proxyBypassRules'] as const
const optionalString = z.string().optional()
const modeSchema = z.enum(MODES).optional()

const PAC_URL_SCHEMES = new Set(['http:', 'https:', 'data:', 'file:'])

/**
 * Validates a `setProxy` config and decides its mode as Electron does: an
 * explicit `mode` wins; without one a non-empty `pacScript` means PAC (and
 * `proxyRules` is ignored), else fixed servers. Fixed servers with empty rules
 * is DIRECT. Rules, bypass rules and the PAC URL are checked even when the
 * mode ignores them, so a typo never passes silently.
 */
export function parseProxyConfig(input: unknown, api = 'ses.setProxy'): ProxyConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError(api, 'config', input, 'an object { mode?, pacScript?, proxyRules?, proxyBypassRules? }')
  }
  const record = input as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      throw new ValidationError(api, `config.${key}`, record[key], 'no such option: setProxy takes mode, pacScript, proxyRules and proxyBypassRules')
    }
  }
  const modeOption = validateArg(
    api,
    'config.mode',
    modeSchema,
    record.mode,
    // Electron rejects with "Invalid mode, must be one of ..."; keep its words findable.
    'one of direct, auto_detect, pac_script, fixed_servers or system (Invalid mode)',
  )
  const pacScript = validateArg(api, 'config.pacScript', optionalString, record.pacScript, 'a string: the URL of a PAC script') ?? ''
  const proxyRulesText = validateArg(api, 'config.proxyRules', optionalString, record.proxyRules, 'a string of proxy rules') ?? ''
  const bypassText = validateArg(api, 'config.proxyBypassRules', optionalString, record.proxyBypassRules, 'a string of bypass rules') ?? ''
  const rules = parseProxyRules(proxyRulesText, api)
  const bypass = parseBypassRules(bypassText, api, 'proxyBypassRules')
  if (pacScript !== '') {
    let parsed: URL | undefined
    try {
      parsed = new URL(pacScript)
    } catch {
      parsed = undefined
    }
    if (!parsed || !PAC_URL_SCHEMES.has(parsed.protocol)) {
      throw new ValidationError(api, 'pacScript', pacScript, 'the URL of a PAC script (http:, https:, data: or file:)')
    }
  }
  const mode: ProxyMode = modeOption ?? (pacScript !== '' ? 'pac_script' : 'fixed_servers')
  switch (mode) {
    case 'direct':
    case 'system':
    case 'auto_detect':
      return { mode }
    case 'pac_script':
      return { mode, pacScript }
    case 'fixed_servers':
      if (rules.type === 'empty') return { mode: 'direct' }
      return { mode, rules, bypass, proxyRules: proxyRulesText, proxyBypassRules: bypassText }
  }
}

/** How a URL is to be fetched under a config. */
export type ProxyDecision =
  /** A fail-over list, in order; `bypassed` when a bypass rule (or implicit rule) sent it DIRECT. */
  | { readonly kind: 'list'; readonly proxies: readonly ProxyServer[]; readonly bypassed: boolean }
  /** The PAC script decides (the caller runs it); localhost and friends never reach here. */
  | { readonly kind: 'pac'; readonly pacScript: string }
  | { readonly kind: 'auto_detect' }
  | { readonly kind: 'system' }

function toUrl(url: URL | string, api: string): URL {
  if (url instanceof URL) return url
  try {
    return new URL(url)
  } catch {
    throw new ValidationError(api, 'url', url, 'an absolute URL')
  }
}

/** A parsed config as is; a raw `setProxy` object is validated first. */
function asParsed(config: ProxyConfig | ProxyConfigInput): ProxyConfig {
  if ('bypass' in config && typeof config.bypass === 'function') return config as ProxyConfig
  return parseProxyConfig(config)
}

/**
 * Chromium's proxy decision for `url` without running PAC
 * (ConfiguredProxyResolutionService). Takes a parsed config, or a raw
 * `setProxy` object which is validated first.
 */
export function decideProxy(input: ProxyConfig | ProxyConfigInput, url: URL | string, api = 'ses.resolveProxy'): ProxyDecision {
  const config = asParsed(input)
  const target = toUrl(url, api)
  switch (config.mode) {
    case 'direct':
      return { kind: 'list', proxies: [DIRECT], bypassed: false }
    case 'fixed_servers':
      if (config.bypass(target)) return { kind: 'list', proxies: [DIRECT], bypassed: true }
      return { kind: 'list', proxies: proxiesForUrl(config.rules, target), bypassed: false }
    case 'pac_script':
      if (config.pacScript === '') return { kind: 'list', proxies: [DIRECT], bypassed: false }
      // PAC never sees localhost, loopback or link-local URLs (ApplyPacBypassRules).
      if (matchesImplicitBypassRules(target)) return { kind: 'list', proxies: [DIRECT], bypassed: true }
      return { kind: 'pac', pacScript: config.pacScript }
    case 'auto_detect':
    case 'system':
      if (matchesImplicitBypassRules(target)) return { kind: 'list', proxies: [DIRECT], bypassed: true }
      return { kind: config.mode }
  }
}

/**
 * The string `ses.resolveProxy(url)` answers for `direct` and `fixed_servers`
 * configs: `PROXY h:p`, `HTTPS h:p`, `SOCKS h:p` (SOCKS4), `SOCKS5 h:p`,
 * `DIRECT`, joined by `;` without spaces. Throws NotSupportedError when a PAC
 * script (or WPAD / the system) must decide — that resolution lives with the
 * PAC runner, which formats its result with `toPacString`.
 */
export function resolveProxyString(config: ProxyConfig | ProxyConfigInput, url: URL | string, api = 'ses.resolveProxy'): string {
  const decision = decideProxy(config, url, api)
  if (decision.kind === 'list') return toPacString(decision.proxies)
  throw new NotSupportedError(
    `${api}: the proxy for this URL comes from ${decision.kind === 'pac' ? 'a PAC script' : decision.kind === 'auto_detect' ? 'WPAD auto-detection' : 'the system settings'}, which this function does not evaluate. Use the session's PAC resolver.`,
  )
}
