// One download request made by Node on behalf of a session: routed by the session's live proxy
// configuration (the same fail-over list its gateway would use, dialled here directly, so the
// bytes do not take an extra hop through the gateway), with the session's cookies, user agent
// and language, following redirects as Chromium does (at most 20).
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { openForRequest, openTunnel, UpstreamError, type ProxyChoice } from '../../net/upstream.js'
import type { HostResolver } from '../../net/resolver.js'

/** What a download request needs from its session. */
export interface SessionNet {
  /** The session's proxy fail-over list for `url` (DIRECT without a gateway). */
  route(url: URL): Promise<readonly ProxyChoice[]>
  readonly resolver: HostResolver
  /** Cookie, User-Agent and Accept-Language the session would send to `url`. */
  headers(url: string): Promise<Record<string, string>>
}

export interface OpenOptions {
  /** Ask for the bytes from `offset` on (Range), valid only while `ifRange` (an ETag or Last-Modified) matches. */
  range?: { offset: number; ifRange: string | undefined }
  /** Extra request headers (ses.downloadURL's `headers`). */
  headers?: Record<string, string>
  signal: AbortSignal
}

export interface OpenedResponse {
  response: IncomingMessage
  request: ClientRequest
  /** Every URL asked for, the first one included. */
  urlChain: string[]
}

/** Network failure before a response: resumable (Chromium's NETWORK_FAILED). */
export class DownloadNetworkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DownloadNetworkError'
  }
}

const MAX_REDIRECTS = 20
const CONNECT_TIMEOUT_MS = 15_000
/** How long a server may take to answer with its response head. */
const HEAD_TIMEOUT_MS = 60_000

/** Sends GET `url` and resolves with the final (non-redirect) response, its body not read yet. */
export async function openDownload(net: SessionNet, url: string, options: OpenOptions): Promise<OpenedResponse> {
  const urlChain = [url]
  let current = new URL(url)
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = {
      accept: '*/*',
      'accept-encoding': 'identity',
      ...(await net.headers(current.href)),
      ...(options.headers ?? {}),
    }
    if (options.range && options.range.offset > 0) {
      headers.range = `bytes=${options.range.offset}-`
      if (options.range.ifRange) headers['if-range'] = options.range.ifRange
    }
    const { response, request } = await sendOnce(net, current, { method: 'GET', headers, signal: options.signal })
    const status = response.statusCode ?? 0
    const location = response.headers.location
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      response.resume()
      request.destroy()
      if (hop >= MAX_REDIRECTS) throw new DownloadNetworkError(`too many redirects (more than ${MAX_REDIRECTS}) from ${url}`)
      current = new URL(location, current)
      if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new DownloadNetworkError(`redirect to an unsupported scheme: ${current.href}`)
      urlChain.push(current.href)
      continue
    }
    return { response, request, urlChain }
  }
}

export interface SendOptions {
  method: string
  headers: Record<string, string>
  body?: Buffer
  signal: AbortSignal
}

/** The part of SessionNet that dials: the route and the resolver. */
export type SessionDialer = Pick<SessionNet, 'route' | 'resolver'>

/** One request (no redirect followed) through the session's route; resolves with the response head, its body not read yet. */
export async function sendOnce(net: SessionDialer, url: URL, options: SendOptions): Promise<{ response: IncomingMessage; request: ClientRequest }> {
  const { headers, signal } = options
  const { socket, absoluteForm } = await connect(net, url, signal)
  return await new Promise((resolve, reject) => {
    const request = httpRequest({
      // No agent: with one (even agent: false) Node dials by itself and createConnection is ignored.
      createConnection: () => socket,
      method: options.method,
      host: url.hostname,
      port: url.port,
      path: absoluteForm ? url.href : `${url.pathname}${url.search}`,
      headers: { host: url.host, ...headers },
      signal,
    })
    const timer = setTimeout(() => request.destroy(new DownloadNetworkError(`no response from ${url.origin} within ${HEAD_TIMEOUT_MS / 1000} s`)), HEAD_TIMEOUT_MS)
    timer.unref()
    request.once('response', (response) => {
      clearTimeout(timer)
      resolve({ response, request })
    })
    request.once('error', (error) => {
      clearTimeout(timer)
      socket.destroy()
      reject(signal.aborted ? error : new DownloadNetworkError(`request to ${url.origin} failed: ${error.message}`, { cause: error }))
    })
    request.end(options.body)
  })
}

/** A connection to `url`'s server through the first route choice that works (TLS for https). */
async function connect(net: SessionDialer, url: URL, signal: AbortSignal): Promise<{ socket: Socket; absoluteForm: boolean }> {
  const secure = url.protocol === 'https:'
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  const dest = { host, port: url.port === '' ? (secure ? 443 : 80) : Number(url.port) }
  const choices = await net.route(url)
  let lastError: unknown = new DownloadNetworkError(`no route to ${url.origin}`)
  for (const choice of choices) {
    if (signal.aborted) throw signal.reason
    try {
      const dial = { resolver: net.resolver, timeoutMs: CONNECT_TIMEOUT_MS, bulkReads: true }
      if (!secure) return await openForRequest(choice, dest, dial)
      const tunnel = await openTunnel(choice, dest, dial)
      return { socket: await startTls(tunnel, host), absoluteForm: false }
    } catch (error) {
      lastError = error
      if (error instanceof UpstreamError && !error.failover) break
    }
  }
  throw lastError instanceof DownloadNetworkError ? lastError : new DownloadNetworkError(`cannot connect to ${url.origin}: ${(lastError as Error).message}`, { cause: lastError })
}

function startTls(socket: Socket, host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const servername = /^[\d.]+$|:/.test(host) ? undefined : host
    const tls = tlsConnect({ socket, ...(servername ? { servername } : {}), ALPNProtocols: ['http/1.1'] })
    tls.once('secureConnect', () => {
      tls.off('error', reject)
      resolve(tls)
    })
    tls.once('error', (error) => {
      socket.destroy()
      reject(error)
    })
  })
}
