/**
 * Proxy bypass rules with Chromium's grammar and evaluation order
 * (net/proxy_resolution/proxy_bypass_rules.cc, net/base/scheme_host_port_matcher*.cc):
 *
 *   rule list     rules separated by `,` or `;`, white space around a rule ignored
 *   `<local>`     a host name without a dot that is not an IP literal (case-insensitive keyword)
 *   `<-loopback>` takes the implicit rules away (localhost, 127/8, [::1], link-local)
 *   [scheme://]pattern[:port]     host name glob (`*` any run, `?` up to one char);
 *                                 `.suffix` means `*.suffix`
 *   [scheme://]ip[:port]          IPv4 (any URL form: `127.1`) or `[IPv6]`
 *   [scheme://]ip/bits            CIDR block, IPv6 unbracketed (`fe80::/10`)
 *
 * Later rules win: the list is read from the end and the first rule that says
 * something decides. When no rule matches, the implicit rules decide.
 *
 * Chromium drops a rule it cannot parse (and keeps some that can never match); both are
 * dropped here with a warning, which gives the same routing.
 */
import { ValidationError } from '../common/errors.js'
import { quote, warnIgnoredInput } from '../common/input-policy.js'
import { formatIP, hostToIP, ipMatchesPrefix, isLinkLocal, isLoopback, isIPv4Mapped, parseIPLiteral, parseIPv4, parseIPv6, type IpBytes } from './ip.js'

type Verdict = 'include' | 'exclude' | 'none'

interface UrlFacts {
  readonly scheme: string
  /** As GURL gives it: lower case, IPv6 in brackets; '' for schemes without an authority. */
  readonly host: string
  /** The URL's port, else the scheme's default, else -1. */
  readonly port: number
}

interface Rule {
  evaluate(url: UrlFacts): Verdict
  /** Chromium's normalised text of the rule (ProxyBypassRules::ToString). */
  readonly text: string
}

/** A parsed bypass list: call it with a URL to learn whether that URL goes DIRECT. */
export interface BypassMatcher {
  (url: URL): boolean
  /** Each rule in Chromium's normalised text, in the order given. */
  readonly rules: readonly string[]
}

const SPECIAL_DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21, file: -1 }

function urlFacts(url: URL): UrlFacts {
  const scheme = url.protocol.slice(0, -1).toLowerCase()
  const defaultPort = SPECIAL_DEFAULT_PORTS[scheme]
  if (defaultPort === undefined) {
    // GURL parses unknown schemes as path URLs: no host, no port.
    return { scheme, host: '', port: -1 }
  }
  return { scheme, host: url.hostname.toLowerCase(), port: url.port === '' ? defaultPort : Number(url.port) }
}

/**
 * Chromium's `base::MatchPattern` for the characters allowed in patterns here:
 * `*` matches any run, a run of n `?` matches UP TO n characters, and a literal
 * piece after a wildcard is taken at its first occurrence (no backtracking).
 */
export function chromiumMatchPattern(text: string, pattern: string): boolean {
  let ti = 0
  let pi = 0
  do {
    let questionMarks = 0
    let star = false
    while (pi < pattern.length && (pattern[pi] === '*' || pattern[pi] === '?')) {
      if (pattern[pi] === '*') star = true
      else questionMarks++
      pi++
    }
    let distance = star ? -1 : questionMarks
    const pieceStart = pi
    let start = ti
    let pj = pi
    let tj = ti
    for (;;) {
      if (pj === pattern.length) {
        if (tj === text.length) break
      } else {
        const c = pattern[pj]
        if (c === '*' || c === '?') break
        if (tj === text.length) return false
        if (c === text[tj]) {
          pj++
          tj++
          continue
        }
      }
      if (distance === 0) return false
      distance--
      pj = pieceStart
      start++
      tj = start
    }
    pi = pj
    ti = tj
  } while (pi !== pattern.length)
  return true
}

/** Chromium's `IsLocalHostname`: `localhost` or `*.localhost`, one trailing dot ignored. */
function isLocalHostname(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host
  return name === 'localhost' || name.endsWith('.localhost')
}

/**
 * The rules Chromium applies without being told (ProxyBypassRules::MatchesImplicitRules,
 * non-Windows): localhost names, loopback IPs (127/8, ::1), IPv4-mapped
 * loopback ([::ffff:127.x.x.x]) and link-local IPs (169.254/16, fe80::/10 and
 * their mapped form). `<-loopback>` removes them. They also apply before a PAC
 * script runs.
 */
export function matchesImplicitBypassRules(url: URL): boolean {
  return factsMatchImplicitRules(urlFacts(url))
}

function factsMatchImplicitRules(url: UrlFacts): boolean {
  const ip = hostToIP(url.host)
  if (ip) return isLoopback(ip) || (isIPv4Mapped(ip) && ip[12] === 127) || isLinkLocal(ip)
  return isLocalHostname(url.host)
}

function schemeMatches(ruleScheme: string, url: UrlFacts): boolean {
  return ruleScheme === '' || url.scheme === ruleScheme
}

function localRule(): Rule {
  return {
    text: '<local>',
    evaluate: (url) => (!url.host.includes('.') && !hostToIP(url.host) ? 'include' : 'none'),
  }
}

function subtractImplicitRule(): Rule {
  return {
    text: '<-loopback>',
    evaluate: (url) => (factsMatchImplicitRules(url) ? 'exclude' : 'none'),
  }
}

function hostnameRule(scheme: string, pattern: string, port: number): Rule {
  const text = `${scheme ? `${scheme}://` : ''}${pattern}${port === -1 ? '' : `:${port}`}`
  return {
    text,
    evaluate: (url) => {
      if (port !== -1 && url.port !== port) return 'none'
      if (!schemeMatches(scheme, url)) return 'none'
      return chromiumMatchPattern(url.host, pattern) ? 'include' : 'none'
    },
  }
}

function ipHostRule(scheme: string, ip: IpBytes, port: number): Rule {
  const host = formatIP(ip)
  const text = `${scheme ? `${scheme}://` : ''}${host}${port === -1 ? '' : `:${port}`}`
  return {
    text,
    evaluate: (url) => {
      if (port !== -1 && url.port !== port) return 'none'
      if (!schemeMatches(scheme, url)) return 'none'
      return url.host === host ? 'include' : 'none'
    },
  }
}

function cidrRule(scheme: string, description: string, prefix: IpBytes, bits: number): Rule {
  return {
    text: description,
    evaluate: (url) => {
      const ip = hostToIP(url.host)
      if (!ip) return 'none'
      if (!schemeMatches(scheme, url)) return 'none'
      return ipMatchesPrefix(ip, prefix, bits) ? 'include' : 'none'
    },
  }
}

class RuleError extends Error {}

function fail(expected: string): never {
  throw new RuleError(expected)
}

/** Leading and trailing ASCII white space, as base::TrimWhitespaceASCII removes it. */
function trimAscii(text: string): string {
  return text.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '')
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) fail('a port number 1-65535 after ":"')
  const port = Number(text)
  if (port < 1 || port > 65535) fail('a port number 1-65535 after ":"')
  return port
}

const HOST_PATTERN = /^[a-z0-9._*?-]+$/

/** One rule, or null for an empty (white-space only) item. Throws RuleError. */
function parseRule(raw: string): Rule | null {
  let rest = trimAscii(raw)
  if (rest === '') return null
  const lower = rest.toLowerCase()
  if (lower === '<local>') return localRule()
  if (lower === '<-loopback>') return subtractImplicitRule()
  if (rest.startsWith('<')) fail("'<local>', '<-loopback>' or a host rule (no other <...> keywords exist)")

  let scheme = ''
  const schemeEnd = rest.indexOf('://')
  if (schemeEnd !== -1) {
    scheme = rest.slice(0, schemeEnd)
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(scheme)) fail('a URL scheme before "://" (e.g. http://)')
    rest = rest.slice(schemeEnd + 3)
    if (rest === '') fail('a host after the scheme')
  }

  if (rest.includes('/')) {
    // Chromium keeps a CIDR rule's scheme as written and compares it with the
    // URL's lower-case scheme, so an upper-case one could never match.
    if (scheme !== scheme.toLowerCase()) fail('a lower-case scheme in a CIDR rule (Chromium never matches any other)')
    const parts = rest.split('/').map(trimAscii)
    if (parts.length !== 2) fail('a CIDR block ip/bits, e.g. 192.168.0.0/16 or fe80::/10')
    const [address = '', bitsText = ''] = parts
    if (address.startsWith('[')) fail('an unbracketed IPv6 address in a CIDR block, e.g. fe80::/10')
    const ip = parseIPLiteral(address)
    if (!ip) fail('a CIDR block ip/bits with an IP address before "/"')
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > ip.length * 8) {
      fail(`a prefix length 0-${ip.length * 8} after "/"`)
    }
    return cidrRule(scheme, rest, ip, Number(bitsText))
  }
  scheme = scheme.toLowerCase()

  if (rest.startsWith('[')) {
    const close = rest.indexOf(']')
    if (close === -1) fail('an IPv6 literal closed by "]"')
    const ip = parseIPv6(rest.slice(1, close))
    if (!ip) fail('a valid IPv6 address between "[" and "]"')
    const after = rest.slice(close + 1)
    if (after !== '' && !after.startsWith(':')) fail('":port" after the IPv6 literal')
    return ipHostRule(scheme, ip, after === '' ? -1 : parsePort(after.slice(1)))
  }

  const colons = rest.split(':').length - 1
  if (colons > 1) fail('an IPv6 address in brackets, e.g. [::1] or [::1]:8080 (or a CIDR block such as ::1/128)')
  let pattern = rest
  let port = -1
  if (colons === 1) {
    const colon = rest.indexOf(':')
    pattern = rest.slice(0, colon)
    port = parsePort(rest.slice(colon + 1))
  }
  if (pattern === '') fail('a host name pattern or IP address')
  const ipv4 = parseIPv4(pattern)
  if (ipv4) return ipHostRule(scheme, ipv4, port)
  pattern = pattern.toLowerCase()
  if (pattern.startsWith('.')) pattern = `*${pattern}`
  if (!HOST_PATTERN.test(pattern)) {
    fail("a host name pattern of letters, digits, '-', '_', '.', '*' and '?' (write international names in punycode)")
  }
  return hostnameRule(scheme, pattern, port)
}

/**
 * Parses a bypass list (`proxyBypassRules` / `--proxy-bypass-list`) as Chromium's
 * ProxyBypassRules::ParseFromString does: a rule it cannot parse is dropped. Here each dropped
 * rule (and each rule that could never match a URL) is reported once through
 * process.emitWarning, naming `argument`, the rule and what was expected.
 */
export function parseBypassRules(text: string, api = 'ses.setProxy', argument = 'proxyBypassRules'): BypassMatcher {
  if (typeof text !== 'string') throw new ValidationError(api, argument, text, 'a string of bypass rules')
  const rules: Rule[] = []
  for (const item of text.split(/[,;]/)) {
    try {
      const rule = parseRule(item)
      if (rule) rules.push(rule)
    } catch (error) {
      if (!(error instanceof RuleError)) throw error
      warnIgnoredInput(api, `bypass rule ${quote(trimAscii(item))} in ${argument}`, `Chromium drops it or it can never match (expected ${error.message})`)
    }
  }
  const reversed = [...rules].reverse()
  const matcher = (url: URL): boolean => {
    const facts = urlFacts(url)
    for (const rule of reversed) {
      const verdict = rule.evaluate(facts)
      if (verdict === 'include') return true
      if (verdict === 'exclude') return false
    }
    return factsMatchImplicitRules(facts)
  }
  return Object.assign(matcher, { rules: Object.freeze(rules.map((r) => r.text)) })
}
