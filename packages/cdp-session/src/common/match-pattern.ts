/**
 * Chrome extension match patterns, as Electron's webRequest filters take
 * them: `<all_urls>`, or `scheme://host/path` where
 * - scheme is `*` (http, https, ws, wss), or one of http, https, ws, wss,
 *   ftp, file, or any other scheme name;
 * - host is `*`, `*.` followed by a host name (the name itself and every
 *   subdomain), or a host name; optionally `:port` or `:*` (no port part
 *   means any port);
 * - path starts with `/` and may contain `*` (any run of characters); it is
 *   matched against the URL's path plus its query string.
 * `file:` patterns have no host (`file:///tmp/*`).
 */
export interface MatchPattern {
  readonly source: string
  matches(url: string | URL): boolean
  /** A Fetch.RequestPattern glob that matches at least every URL this pattern matches. */
  readonly fetchGlob: string
}

const WILDCARD_SCHEMES = ['http', 'https', 'ws', 'wss']
const SCHEME_RE = /^([a-z][a-z0-9+.-]*|\*):\/\//i

/** Why `pattern` is not a valid match pattern, or undefined if it is. */
export function matchPatternProblem(pattern: string): string | undefined {
  try {
    parseMatchPattern(pattern)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

/** Parses a match pattern; throws an Error saying what is wrong with it. */
export function parseMatchPattern(pattern: string): MatchPattern {
  if (pattern === '<all_urls>') {
    return { source: pattern, fetchGlob: '*', matches: (url) => isAnyStandardUrl(toUrl(url)) }
  }
  const scheme = SCHEME_RE.exec(pattern)
  if (!scheme) throw new Error('missing "scheme://" (or use "<all_urls>")')
  const schemeName = scheme[1]!.toLowerCase()
  const rest = pattern.slice(scheme[0].length)
  const slash = rest.indexOf('/')
  if (slash < 0) throw new Error('missing a path (add "/*" for any path)')
  const hostPart = rest.slice(0, slash)
  const path = rest.slice(slash)
  if (schemeName === 'file') {
    if (hostPart !== '') throw new Error('a file: pattern has no host ("file:///path")')
    const pathRe = globToRegExp(path)
    return {
      source: pattern,
      fetchGlob: `file://${escapeGlob(path).replace(/\\\*/g, '*')}`,
      matches: (url) => {
        const u = toUrl(url)
        return u?.protocol === 'file:' && pathRe.test(u.pathname + u.search)
      },
    }
  }
  if (hostPart === '') throw new Error('missing a host (use "*" for any host)')
  let host = hostPart
  let port: string | undefined
  const colon = hostPart.lastIndexOf(':')
  if (colon >= 0 && !hostPart.endsWith(']')) {
    host = hostPart.slice(0, colon)
    port = hostPart.slice(colon + 1)
    if (port !== '*' && !/^\d{1,5}$/.test(port)) throw new Error(`bad port "${port}" (a number or "*")`)
    if (port !== '*' && Number(port) > 65535) throw new Error(`bad port "${port}" (at most 65535)`)
  }
  let subdomains = false
  if (host === '*') {
    host = ''
    subdomains = true
  } else if (host.startsWith('*.')) {
    host = host.slice(2)
    subdomains = true
  }
  if (host.includes('*')) throw new Error('"*" in a host may only stand alone or start it as "*."')
  if (host !== '') {
    try {
      host = new URL(`http://${host}/`).hostname
    } catch {
      throw new Error(`bad host "${host}"`)
    }
  }
  const pathRe = globToRegExp(path)
  const schemes = schemeName === '*' ? WILDCARD_SCHEMES : [schemeName]
  const hostName = host
  return {
    source: pattern,
    fetchGlob: `${schemeName === '*' ? '*' : escapeGlob(schemeName)}://${subdomains ? '*' : ''}${escapeGlob(hostName)}*`,
    matches: (url) => {
      const u = toUrl(url)
      if (!u) return false
      if (!schemes.includes(u.protocol.slice(0, -1))) return false
      const urlHost = u.hostname
      if (hostName !== '') {
        if (subdomains ? urlHost !== hostName && !urlHost.endsWith(`.${hostName}`) : urlHost !== hostName) return false
      }
      if (port !== undefined && port !== '*') {
        const urlPort = u.port || defaultPort(u.protocol)
        if (urlPort !== port) return false
      }
      return pathRe.test(u.pathname + u.search)
    },
  }
}

function isAnyStandardUrl(url: URL | undefined): boolean {
  return url !== undefined && ['http:', 'https:', 'ws:', 'wss:', 'ftp:', 'file:'].includes(url.protocol)
}

function toUrl(url: string | URL): URL | undefined {
  if (url instanceof URL) return url
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}

function defaultPort(protocol: string): string {
  switch (protocol) {
    case 'http:':
    case 'ws:':
      return '80'
    case 'https:':
    case 'wss:':
      return '443'
    case 'ftp:':
      return '21'
    default:
      return ''
  }
}

function globToRegExp(path: string): RegExp {
  const source = path
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${source}$`, 's')
}

/** Escapes Fetch glob metacharacters (`*`, `?`, `\`). */
function escapeGlob(text: string): string {
  return text.replace(/[*?\\]/g, '\\$&')
}
