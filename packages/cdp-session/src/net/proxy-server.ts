/**
 * One proxy server (or DIRECT) and its two text forms, after Chromium's
 * net/base/proxy_server.cc and proxy_string_util.cc:
 *
 * - the URI form used by `proxyRules` / `--proxy-server`: `[scheme://]host[:port]`
 *   (`http` default, `socks` means SOCKS5 here, `direct://` has no host);
 * - the PAC form used by `FindProxyForURL` results and by `resolveProxy`:
 *   `PROXY h:p`, `HTTPS h:p`, `SOCKS h:p` (SOCKS4), `SOCKS5 h:p`, `DIRECT`,
 *   several joined by `;` with no space.
 */

export type ProxyScheme = 'http' | 'https' | 'socks4' | 'socks5'

/** A proxy to connect through, or DIRECT. `host` is canonical and unbracketed (`::1`). */
export type ProxyServer = { readonly scheme: 'direct' } | { readonly scheme: ProxyScheme; readonly host: string; readonly port: number }

export const DIRECT: ProxyServer = Object.freeze({ scheme: 'direct' })

/** Chromium's default ports: http 80, https 443, SOCKS (4 and 5) 1080. */
export const DEFAULT_PROXY_PORTS: Readonly<Record<ProxyScheme, number>> = Object.freeze({
  http: 80,
  https: 443,
  socks4: 1080,
  socks5: 1080,
})

/** Why a proxy URI or PAC element was not understood. */
export class ProxyParseError extends Error {
  readonly expected: string
  constructor(expected: string) {
    super(expected)
    this.expected = expected
    this.name = 'ProxyParseError'
  }
}

/** `host:port` with IPv6 hosts in brackets. */
export function hostPortString(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** The PAC form of one entry: `PROXY h:p`, `SOCKS h:p` for SOCKS4, `SOCKS5 h:p`, `HTTPS h:p` or `DIRECT`. */
export function toPacElement(server: ProxyServer): string {
  if (server.scheme === 'direct') return 'DIRECT'
  const label = { http: 'PROXY', https: 'HTTPS', socks4: 'SOCKS', socks5: 'SOCKS5' }[server.scheme]
  return `${label} ${hostPortString(server.host, server.port)}`
}

/** Chromium's `ProxyList::ToPacString`: entries joined by `;` without spaces. */
export function toPacString(list: readonly ProxyServer[]): string {
  return list.map(toPacElement).join(';')
}

/** The URI form (`host:port`, `https://h:p`, `socks4://h:p`, `socks5://h:p`, `direct://`). */
export function toProxyUri(server: ProxyServer): string {
  if (server.scheme === 'direct') return 'direct://'
  const hostPort = hostPortString(server.host, server.port)
  return server.scheme === 'http' ? hostPort : `${server.scheme}://${hostPort}`
}

const URI_SCHEMES: Readonly<Record<string, ProxyScheme | 'direct' | 'quic'>> = {
  http: 'http',
  https: 'https',
  socks4: 'socks4',
  // In a proxy URI Chromium reads `socks://` as SOCKS5 (only the `socks=` key means SOCKS4).
  socks: 'socks5',
  socks5: 'socks5',
  direct: 'direct',
  quic: 'quic',
}

/** Trims spaces and tabs only (HTTP linear white space), as Chromium does for proxy URIs. */
function trimLws(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '')
}

/**
 * Parses one proxy URI `[scheme://]host[:port]`. Throws ProxyParseError for
 * what Chromium's ProxyUriToProxyChain gives as an invalid server (which its
 * ProxyList then drops silently), `quic://` included (release builds).
 */
export function parseProxyUri(text: string, defaultScheme: ProxyScheme): ProxyServer {
  let rest = trimLws(text)
  let scheme: ProxyScheme | 'direct' = defaultScheme
  const colon = rest.indexOf(':')
  if (colon !== -1 && rest.startsWith('//', colon + 1)) {
    const name = rest.slice(0, colon).toLowerCase()
    const mapped = URI_SCHEMES[name]
    if (mapped === undefined) {
      throw new ProxyParseError(`a proxy scheme of http, https, socks4, socks5, socks or direct (not '${rest.slice(0, colon)}://')`)
    }
    if (mapped === 'quic') throw new ProxyParseError('a proxy scheme other than quic:// (Chromium builds do not accept QUIC proxies)')
    scheme = mapped
    rest = rest.slice(colon + 3)
  }
  return parseHostAndPort(scheme, rest)
}

function parseHostAndPort(scheme: ProxyScheme | 'direct', text: string): ProxyServer {
  const hostPort = trimLws(text)
  if (scheme === 'direct') {
    if (hostPort !== '') throw new ProxyParseError('nothing after direct:// (DIRECT takes no host or port)')
    return DIRECT
  }
  if (hostPort === '') throw new ProxyParseError('a proxy host')
  if (/[@/\\?#\s]/.test(hostPort)) {
    throw new ProxyParseError('host[:port] only: no user name, path, query, fragment or white space')
  }
  let host: string
  let portText: string | undefined
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']')
    if (close === -1) throw new ProxyParseError('an IPv6 literal closed by "]"')
    host = hostPort.slice(0, close + 1)
    const after = hostPort.slice(close + 1)
    if (after !== '') {
      if (!after.startsWith(':')) throw new ProxyParseError('":port" after the IPv6 literal')
      portText = after.slice(1)
    }
  } else {
    const colon = hostPort.lastIndexOf(':')
    if (colon === -1) {
      host = hostPort
    } else {
      host = hostPort.slice(0, colon)
      portText = hostPort.slice(colon + 1)
      if (host.includes(':')) throw new ProxyParseError('an IPv6 proxy address in brackets, e.g. [::1]:8080')
    }
  }
  let port: number = DEFAULT_PROXY_PORTS[scheme]
  if (portText !== undefined) {
    // url::ParsePort: digits only, leading zeros skipped, at most 65535. Port 0 parses (a
    // connection to it then fails, as in Chromium).
    const digits = portText.replace(/^0+(?=\d)/, '')
    if (!/^\d{1,5}$/.test(digits) || Number(digits) > 65535) throw new ProxyParseError('a port number after ":" (0-65535)')
    port = Number(digits)
  }
  if (host === '' || host === '[]') throw new ProxyParseError('a proxy host')
  let canonical: string
  try {
    canonical = new URL(`http://${host}/`).hostname
  } catch {
    throw new ProxyParseError('a valid host name or IP address')
  }
  if (canonical === '') throw new ProxyParseError('a valid host name or IP address')
  if (canonical.startsWith('[')) canonical = canonical.slice(1, -1)
  return Object.freeze({ scheme, host: canonical, port })
}

const PAC_TYPES: Readonly<Record<string, ProxyScheme | 'direct'>> = {
  proxy: 'http',
  // A bare SOCKS in a PAC result has always meant SOCKS4.
  socks: 'socks4',
  socks4: 'socks4',
  socks5: 'socks5',
  https: 'https',
  direct: 'direct',
}

/**
 * One PAC result element (`PROXY h:p`, `socks5 h`, `DIRECT` ...), case-insensitive
 * type. Returns null where Chromium's PacResultElementToProxyServer gives an
 * invalid server (unknown type such as `HTTP`, missing host, DIRECT with a host,
 * QUIC — not accepted by release builds).
 */
export function parsePacElement(element: string): ProxyServer | null {
  const text = trimLws(element)
  const match = /^([^ \t]*)(.*)$/s.exec(text)
  const type = PAC_TYPES[(match?.[1] ?? '').toLowerCase()]
  if (type === undefined) return null
  try {
    return parseHostAndPort(type, match?.[2] ?? '')
  } catch {
    return null
  }
}

/**
 * A whole PAC result (`"PROXY a:1; SOCKS5 b; DIRECT"`) the way Chromium's
 * `ProxyList::SetFromPacString` reads it: entries split on `;`, ones it does
 * not understand dropped silently, and an empty result means DIRECT.
 */
export function parsePacResult(result: string): ProxyServer[] {
  const list: ProxyServer[] = []
  for (const element of result.split(';')) {
    if (element === '') continue
    const server = parsePacElement(element)
    if (server) list.push(server)
  }
  return list.length > 0 ? list : [DIRECT]
}
