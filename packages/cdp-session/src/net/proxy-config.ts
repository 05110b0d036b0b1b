/**
 * `ses.setProxy()` configuration: Chromium's proxy rules grammar
 * (net/proxy_resolution/proxy_config.cc, ProxyRules::ParseFromString / Apply),
 * Electron's config object and mode handling (shell/browser/api/electron_api_session.cc),
 * and the string `ses.resolveProxy()` answers (ProxyList::ToPacString).
 *
 * Grammar, read exactly as ParseFromString reads it:
 *
 *   proxyRules     = entry *(";" entry)                      (empty entries skipped)
 *   entry          = urlScheme "=" proxyUriList *("=" ...)   (pieces split on "=", empty ones skipped)
 *                  | proxyUriList
 *   urlScheme      = "http" | "https" | "ftp" | "socks"      (trimmed; compared case-sensitively)
 *   proxyUriList   = proxyUri *("," proxyUri)                 (fail-over order, empty items skipped)
 *   proxyUri       = [proxyScheme "://"] host [":" port]
 *   proxyScheme    = http | https | socks4 | socks5 | socks | direct   (case-insensitive)
 *
 * - The first entry without `=` decides when it comes before any `scheme=` entry: its list is
 *   used for every URL and everything after it is dropped (`foopy ; ftp=x` → PROXY foopy:80 for
 *   all). After a `scheme=` entry such a list is dropped (`ftp=x ; foopy` → http goes DIRECT).
 * - Pieces of an entry pair up: `http=a=https=b` sets http and https; a lone last piece is
 *   dropped. `http=` alone is one piece, so it is a list for all URLs naming the host `http`.
 * - An unknown `scheme=` (also `HTTP=`) is dropped but still makes the rules per-scheme.
 * - `socks=` is the list for every URL whose scheme has no list of its own, and its entries
 *   default to SOCKS4 — whereas `socks://` inside a URI means SOCKS5. Same-scheme entries
 *   accumulate. ws:// and wss:// use the `socks=` list, else https's, else http's.
 * - A proxy URI Chromium cannot parse (unknown scheme, `quic://` in release builds, bracketed
 *   multi-proxy chains, user info, paths, bad ports, unbracketed IPv6 ...) is dropped.
 * - A list for all URLs whose every item was dropped (also white space only) leaves no proxy
 *   to use: Chromium fails those requests with ERR_NO_SUPPORTED_PROXIES.
 *
 * Every dropped piece is accepted as Chromium accepts it and reported once through
 * process.emitWarning (common/input-policy.ts); nothing here throws for a string. Host names
 * are canonicalised (`FoO` → `foo`, IDN → punycode, `0xA.020.3.4` → `10.16.3.4`).
 */
import { NotSupportedError, ValidationError } from '../common/errors.js'
import { electronValidationError, quote, warnIgnoredInput } from '../common/input-policy.js'
import { matchesImplicitBypassRules, parseBypassRules, type BypassMatcher } from './bypass-rules.js'
import { DIRECT, ProxyParseError, parseProxyUri, toPacString, type ProxyScheme, type ProxyServer } from './proxy-server.js'

export type { BypassMatcher } from './bypass-rules.js'
export type { ProxyScheme, ProxyServer } from './proxy-server.js'

/** Parsed `proxyRules`. Lists are in fail-over order; a `single` list may be empty (no usable proxy). */
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

/** The rules and every piece Chromium would drop, with the reason, in input order. */
export interface ParsedProxyRules {
  readonly rules: ProxyRules
  readonly ignored: readonly string[]
}

/** base::TrimWhitespaceASCII. */
function trimAscii(text: string): string {
  return text.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '')
}

/** base::StringTokenizer with its default options: split on any of `delimiters`, empty tokens skipped. */
function tokens(text: string, delimiters: string): string[] {
  const out: string[] = []
  let current = ''
  for (const c of text) {
    if (delimiters.includes(c)) {
      if (current !== '') out.push(current)
      current = ''
    } else {
      current += c
    }
  }
  if (current !== '') out.push(current)
  return out
}

/** AddProxyURIListToProxyList: each item parsed, the ones Chromium cannot parse dropped. */
function parseUriList(list: string, defaultScheme: ProxyScheme, ignored: string[]): ProxyServer[] {
  const out: ProxyServer[] = []
  for (const item of tokens(list, ',')) {
    try {
      out.push(parseProxyUri(item, defaultScheme))
    } catch (error) {
      if (!(error instanceof ProxyParseError)) throw error
      const trimmed = item.replace(/^[ \t]+|[ \t]+$/g, '')
      if (trimmed.startsWith('[') && (/\s/.test(trimmed) || trimmed.includes('://'))) ignored.push(`proxy ${quote(trimmed)} (bracketed multi-proxy chains exist only in debug builds of Chromium)`)
      else if (trimmed === '') ignored.push('an empty proxy item')
      else ignored.push(`proxy ${quote(trimmed)} (expected ${error.expected})`)
    }
  }
  return out
}

/**
 * ProxyRules::ParseFromString, with every piece it drops listed in `ignored`. Never throws for
 * a string.
 */
export function parseProxyRulesDetailed(text: string): ParsedProxyRules {
  const ignored: string[] = []
  const perScheme: Record<'http' | 'https' | 'ftp' | 'socks', ProxyServer[]> = { http: [], https: [], ftp: [], socks: [] }
  let type: 'empty' | 'per-scheme' = 'empty'
  const entries = tokens(text, ';')
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e] ?? ''
    const pieces = tokens(entry, '=')
    for (let i = 0; i < pieces.length; ) {
      const first = pieces[i++] ?? ''
      if (i >= pieces.length) {
        if (type === 'per-scheme') {
          ignored.push(`${quote(trimAscii(first))} (a proxy list without "scheme=" after a "scheme=" entry)`)
          continue
        }
        const proxies = parseUriList(first, 'http', ignored)
        const rest = entries.slice(e + 1).map(trimAscii).filter((r) => r !== '')
        if (rest.length > 0) ignored.push(`${quote(rest.join(' ; '))} (after a proxy list for all URLs, Chromium reads nothing more)`)
        if (proxies.length === 0) ignored.push(`every proxy of ${quote(trimAscii(first))}: no proxy is left to use, so requests fail with ERR_NO_SUPPORTED_PROXIES (as in Chromium)`)
        return { rules: { type: 'single', proxies: Object.freeze(proxies) }, ignored }
      }
      const list = pieces[i++] ?? ''
      const key = trimAscii(first)
      type = 'per-scheme'
      if (key === 'http' || key === 'https' || key === 'ftp' || key === 'socks') {
        // `socks=` lists default to SOCKS4; every other list defaults to HTTP.
        perScheme[key].push(...parseUriList(list, key === 'socks' ? 'socks4' : 'http', ignored))
      } else {
        const hint = /^(https?|ftp|socks)$/i.test(key) ? `; keys are lower case, write "${key.toLowerCase()}="` : ''
        ignored.push(`${quote(`${key}=${list.trim()}`)} (Chromium knows http=, https=, ftp= and socks=${hint})`)
      }
    }
  }
  if (type === 'empty') return { rules: { type: 'empty' }, ignored }
  return {
    rules: {
      type: 'per-scheme',
      http: Object.freeze(perScheme.http),
      https: Object.freeze(perScheme.https),
      ftp: Object.freeze(perScheme.ftp),
      fallback: Object.freeze(perScheme.socks),
    },
    ignored,
  }
}

/**
 * Parses a `proxyRules` string (Chromium's `--proxy-server` grammar) as Chromium does; the
 * pieces it drops are reported once each through process.emitWarning.
 */
export function parseProxyRules(rules: string, api = 'ses.setProxy'): ProxyRules {
  if (typeof rules !== 'string') throw new ValidationError(api, 'proxyRules', rules, 'a string of proxy rules')
    const parsed = parseProxyRulesDetailed(rules)
  for (const piece of parsed.ignored) warnIgnoredInput(api, `in proxyRules ${quote(rules)}`, piece)
  return parsed.rules
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

/** Electron's message for a mode it does not know (electron_api_session.cc, Session::SetProxy). */
export const INVALID_MODE_MESSAGE = 'Invalid mode, must be one of direct, auto_detect, pac_script, fixed_servers or system'

/**
 * One string option as gin's `Dictionary::Get` reads it for Electron: a value that is not a
 * string is as good as absent ('').
 */
function stringOption(api: string, record: Record<string, unknown>, key: string): string {
  const value = record[key]
  if (value === undefined || typeof value === 'string') return value ?? ''
  warnIgnoredInput(api, `config.${key} ${quote(value)}`, 'not a string, so Electron reads it as absent')
  return ''
}

/**
 * Validates a `setProxy` config and decides its mode as Electron's Session::SetProxy does: an
 * explicit `mode` wins; without one a non-empty `pacScript` means PAC, else fixed servers.
 * Fixed servers with empty rules is DIRECT. Only a `mode` string Electron does not know is
 * rejected (with Electron's message); options the mode does not use, unknown options and
 * values of the wrong type are ignored as Electron ignores them, each with a warning.
 */
export function parseProxyConfig(input: unknown, api = 'ses.setProxy'): ProxyConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError(api, 'config', input, 'an object { mode?, pacScript?, proxyRules?, proxyBypassRules? }')
  }
  const record = input as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      warnIgnoredInput(api, `option config.${key}`, 'setProxy reads only mode, pacScript, proxyRules and proxyBypassRules')
    }
  }
  let modeOption: ProxyMode | undefined
  if (typeof record.mode === 'string') {
    if (!(MODES as readonly string[]).includes(record.mode)) throw electronValidationError(api, 'config.mode', record.mode, INVALID_MODE_MESSAGE)
    modeOption = record.mode as ProxyMode
  } else if (record.mode !== undefined) {
    warnIgnoredInput(api, `config.mode ${quote(record.mode)}`, 'not a string, so Electron reads it as absent')
  }
  const pacScript = stringOption(api, record, 'pacScript')
  const proxyRulesText = stringOption(api, record, 'proxyRules')
  const bypassText = stringOption(api, record, 'proxyBypassRules')
  const mode: ProxyMode = modeOption ?? (pacScript !== '' ? 'pac_script' : 'fixed_servers')
  const unused = (key: string, text: string): void => {
    if (text !== '') warnIgnoredInput(api, `config.${key} ${quote(text)}`, `mode '${mode}' does not use it`)
  }
  if (mode !== 'fixed_servers') {
    unused('proxyRules', proxyRulesText)
    unused('proxyBypassRules', bypassText)
  }
  if (mode !== 'pac_script') unused('pacScript', pacScript)
  switch (mode) {
    case 'direct':
    case 'system':
    case 'auto_detect':
      return { mode }
    case 'pac_script':
      if (pacScript !== '' && !URL.canParse(pacScript)) {
        // PrefProxyConfigTrackerImpl: an invalid PAC URL leaves a config without one (DIRECT).
        warnIgnoredInput(api, `config.pacScript ${quote(pacScript)}`, 'not a valid URL: Chromium drops it and connects DIRECT')
        return { mode, pacScript: '' }
      }
      return { mode, pacScript }
    case 'fixed_servers': {
      // Electron's CreateFixedServers: an empty string means DIRECT; anything else is parsed.
      if (proxyRulesText === '') {
        unused('proxyBypassRules', bypassText)
        return { mode: 'direct' }
      }
      const rules = parseProxyRules(proxyRulesText, api)
      const bypass = parseBypassRules(bypassText, api, 'proxyBypassRules')
      if (rules.type === 'empty') return { mode: 'direct' }
      return { mode, rules, bypass, proxyRules: proxyRulesText, proxyBypassRules: bypassText }
    }
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
