// ses.fetch(input, init) (newer Electron): a request made as the session, answered with a standard
// Response. Electron sends it through Chromium's network stack; CDP has no command that sends an
// arbitrary request (Network.loadNetworkResource is GET-only, without headers or body), and a
// page's fetch() would be subject to CORS, which Electron's is not. So Node sends it the way
// downloads are fetched (downloads/http-request.ts): over the session's live proxy route, with its
// cookies (unless `credentials: 'omit'`), user agent and languages; the cookies of every response
// are stored in the session, redirects are followed as fetch() does, and a compressed body is
// decoded as Chromium decodes it. What Chromium alone would do is a documented limit
// (docs/feature-matrix.md): webRequest hooks and protocol handlers do not see these requests, and
// the certificate is checked by Node's TLS against Node's CA list.
import { pipeline, Readable, type Transform } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import type { IncomingMessage } from 'node:http'
import { acceptLanguageHeader } from '../common/headers.js'
import { NotSupportedError } from '../common/errors.js'
import { debug } from '../common/util.js'
import { defaultCookiePath, readCookieLine } from '../common/cookie-rules.js'
import { DIRECT } from '../net/proxy-server.js'
import { CachingResolver } from '../net/resolver.js'
import { netErrorForFailure } from '../net/session-proxy.js'
import { UpstreamError } from '../net/upstream.js'
import { sendOnce, type SessionDialer } from './downloads/http-request.js'
import type { SessionContext } from './context.js'

/** Electron's extra option: ours has no protocol handler in this path, so it changes nothing. */
export type SessionFetchInit = RequestInit & { bypassCustomProtocolHandlers?: boolean }

type Facade = SessionContext['facade']

const MAX_REDIRECTS = 20
const REDIRECTS = new Set([301, 302, 303, 307, 308])
const NULL_BODY = new Set([101, 204, 205, 304])
/** Node's certificate errors by the names Chromium gives them. */
const TLS_ERRORS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'ERR_CERT_AUTHORITY_INVALID',
  SELF_SIGNED_CERT_IN_CHAIN: 'ERR_CERT_AUTHORITY_INVALID',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'ERR_CERT_AUTHORITY_INVALID',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'ERR_CERT_AUTHORITY_INVALID',
  CERT_HAS_EXPIRED: 'ERR_CERT_DATE_INVALID',
  CERT_NOT_YET_VALID: 'ERR_CERT_DATE_INVALID',
  ERR_TLS_CERT_ALTNAME_INVALID: 'ERR_CERT_COMMON_NAME_INVALID',
}

export async function sessionFetch(core: SessionContext, userAgent: () => { userAgent: string; acceptLanguages: string | undefined }, input: string | URL | Request, init?: SessionFetchInit): Promise<Response> {
  const api = 'session.fetch'
  core.assertOpen(api)
  const session = core.facade
  // The platform's own parsing: a bad URL, method or body throws its TypeError, as in Electron.
  const request = new Request(input, init)
  if (request.signal.aborted) throw request.signal.reason
  let url = new URL(request.url)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NotSupportedError(`${api}: ${url.protocol} URLs are not supported (CDP cannot send a request through the browser's network stack; Node sends http and https ones as the session)`)
  }
  const binding = await core.bindingFor(api)
  const proxy = typeof binding.proxy === 'string' ? undefined : binding.proxy
  const net: SessionDialer = {
    route: async (target) => (proxy ? await proxy.route(target) : [DIRECT]),
    resolver: proxy?.gateway.resolver ?? new CachingResolver(),
  }
  const withCookies = request.credentials !== 'omit'
  let method = request.method
  let body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined
  const own = new Headers(request.headers)
  const urlList = [url.href]
  for (let hop = 0; ; hop++) {
    const headers = await requestHeaders(session, userAgent(), own, url, withCookies)
    if (body) headers['content-length'] = String(body.length)
    let response: IncomingMessage
    try {
      ;({ response } = await sendOnce(net, url, { method, headers, ...(body ? { body } : {}), signal: request.signal }))
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason
      throw networkError(url, error)
    }
    if (withCookies) await storeCookies(session, url.href, response.headers['set-cookie'])
    const status = response.statusCode ?? 0
    const location = response.headers.location
    if (REDIRECTS.has(status) && location !== undefined && request.redirect !== 'manual') {
      response.resume()
      // Electron's messages (its net module's ClientRequest).
      if (request.redirect === 'error') throw new Error("Attempted to redirect, but redirect policy was 'error'")
      if (hop >= MAX_REDIRECTS) throw new Error('net::ERR_TOO_MANY_REDIRECTS')
      const next = new URL(location, url)
      // fetch(): 303 turns anything but HEAD into GET, 301/302 turn POST into GET; the body goes with the method.
      if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET'
        body = undefined
        for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) own.delete(name)
      }
      if (next.origin !== url.origin) own.delete('authorization')
      url = next
      urlList.push(url.href)
      continue
    }
    return toResponse(response, method, urlList)
  }
}

/** The session's Cookie, User-Agent and Accept-Language, then the caller's own headers over them. */
async function requestHeaders(session: Facade, ua: { userAgent: string; acceptLanguages: string | undefined }, own: Headers, url: URL, withCookies: boolean): Promise<Record<string, string>> {
  const headers: Record<string, string> = { accept: '*/*', 'accept-encoding': 'gzip, deflate, br', 'user-agent': ua.userAgent }
  if (ua.acceptLanguages) headers['accept-language'] = acceptLanguageHeader(ua.acceptLanguages)
  if (withCookies) {
    const cookies = await session.cookies.get({ url: url.href })
    if (cookies.length > 0) headers.cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ')
  }
  own.forEach((value, name) => {
    headers[name] = name === 'cookie' && headers.cookie ? `${headers.cookie}; ${value}` : value
  })
  return headers
}

/** Each Set-Cookie line of a response, stored as Chromium would store it (a refused one is left out). */
async function storeCookies(session: Facade, url: string, lines: string[] | undefined): Promise<void> {
  for (const line of lines ?? []) {
    const parts = readCookieLine(line)
    const now = Date.now()
    const expirationDate = parts.maxAge !== undefined ? now / 1000 + parts.maxAge : parts.expires !== undefined ? parts.expires / 1000 : undefined
    try {
      await session.cookies.set({
        url,
        name: parts.name,
        value: parts.value,
        ...(parts.domain ? { domain: parts.domain } : {}),
        path: parts.path || defaultCookiePath(new URL(url).pathname),
        secure: parts.secure,
        httpOnly: parts.httpOnly,
        sameSite: parts.sameSite,
        ...(expirationDate !== undefined ? { expirationDate } : {}),
      })
    } catch (error) {
      // Chromium drops a cookie it refuses without telling the request; so do we (logged).
      debug('session.fetch: the cookie of %s was refused: %s', url, (error as Error).message)
    }
  }
}

/** The standard Response: status, headers (repeated ones kept), the decoded body as a stream. */
function toResponse(response: IncomingMessage, method: string, urlList: string[]): Response {
  const headers = new Headers()
  for (let i = 0; i < response.rawHeaders.length; i += 2) {
    const name = response.rawHeaders[i]!
    const value = response.rawHeaders[i + 1]!
    try {
      headers.append(name, value)
    } catch (error) {
      debug('session.fetch: header %s left out: %s', name, (error as Error).message)
    }
  }
  const status = response.statusCode ?? 0
  let body: Readable | null = response
  if (NULL_BODY.has(status) || method === 'HEAD') {
    response.resume()
    body = null
  } else {
    const decoder = decoderFor(response.headers['content-encoding'])
    // pipeline: a response that fails midway fails the decoded stream too.
    if (decoder) body = pipeline(response, decoder, () => undefined)
  }
  // The Response constructor allows 200–599 only; 1xx other than 101 never reaches here.
  const result = new Response(body ? (Readable.toWeb(body) as ReadableStream<Uint8Array>) : null, {
    status: status < 200 || status > 599 ? 200 : status,
    statusText: response.statusMessage ?? '',
    headers,
  })
  // What a fetch() Response reports of its request (the constructor cannot set these).
  Object.defineProperty(result, 'url', { value: urlList.at(-1) })
  Object.defineProperty(result, 'redirected', { value: urlList.length > 1 })
  return result
}

function decoderFor(encoding: string | undefined): Transform | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip()
    case 'deflate':
      return createInflate()
    case 'br':
      return createBrotliDecompress()
    default:
      return undefined
  }
}

/** A failure before any response, as Electron rejects it: an Error named by Chromium's net error (`net::ERR_CONNECTION_REFUSED` ...). */
function networkError(url: URL, error: unknown): Error {
  const cause = (error as { cause?: unknown }).cause ?? error
  const code = cause instanceof UpstreamError ? cause.code : ((cause as { code?: string }).code ?? '')
  const viaProxy = cause instanceof UpstreamError && /proxy|tunnel|socks/i.test(cause.message)
  debug('session.fetch %s failed: %s', url.href, (error as Error).message)
  return new Error(`net::${TLS_ERRORS[code] ?? netErrorForFailure(code, viaProxy)}`, { cause: error })
}
