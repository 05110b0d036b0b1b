// The forward (absolute-URI http://) path of the gateway without an HTTP client in between:
// the request head is written to a raw upstream connection, only the response head is parsed,
// and the body bytes go to the client as they arrive, framed the way the upstream framed them
// (RFC 9112 6.3), so that both connections can be kept alive. Upstream connections are pooled
// per route choice and destination.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { readInto } from './bulk-read.js'

// Headers that belong to one hop (RFC 9110 7.6.1) plus the proxy-only ones. Expect is answered
// by the gateway's own server (it sends 100 Continue to the client), so it is not passed on.
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect'])

const MAX_HEAD = 64 * 1024

/** Header names a Connection header lists as hop-by-hop for this message. */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '')
  return new Set(joined.split(',').map((token) => token.trim().toLowerCase()).filter((token) => token !== ''))
}

/** A request without a body, which can be sent again if a pooled connection was stale. */
export function replayable(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return (length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined
}

/**
 * The request head for the upstream: origin form, or absolute form for an HTTP proxy. The Host
 * comes from the absolute URL (RFC 9112 3.2.2); a body keeps its length or is sent chunked.
 */
export function requestHead(req: IncomingMessage, url: URL, absoluteForm: boolean): string {
  const target = absoluteForm ? url.href : `${url.pathname}${url.search}`
  const lines = [`${req.method ?? 'GET'} ${target} HTTP/1.1`, `Host: ${url.host}`]
  const named = connectionTokens(req.headers.connection)
  const chunked = req.headers['transfer-encoding'] !== undefined
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? ''
    const lower = name.toLowerCase()
    if (HOP_HEADERS.has(lower) || named.has(lower) || lower === 'host') continue
    // With both present, Transfer-Encoding wins and Content-Length must go (RFC 9112 6.3).
    if (lower === 'content-length' && chunked) continue
    lines.push(`${name}: ${req.rawHeaders[i + 1] ?? ''}`)
  }
  if (chunked) lines.push('Transfer-Encoding: chunked')
  return `${lines.join('\r\n')}\r\n\r\n`
}

export interface ResponseHead {
  status: number
  reason: string
  /** HTTP/1.0 responses close unless they say keep-alive. */
  minor: number
  headers: [string, string][]
}

/** Parses a response head (without the final blank line); null when malformed. */
export function parseResponseHead(text: string): ResponseHead | null {
  const lines = text.split('\r\n')
  const match = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '')
  if (match === null) return null
  const headers: [string, string][] = []
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    // Obsolete line folding and headers without a name are rejected (RFC 9112 5.2).
    if (colon <= 0 || line.startsWith(' ') || line.startsWith('\t')) return null
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()])
  }
  return { status: Number(match[2]), reason: match[3] ?? '', minor: Number(match[1]), headers }
}

type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' }

/** How the response body is delimited (RFC 9112 6.3); null when the lengths contradict. */
function framingOf(method: string, head: ResponseHead): Framing | null {
  if (method === 'HEAD' || head.status === 204 || head.status === 304 || head.status < 200) return { kind: 'none' }
  const te = head.headers.filter(([name]) => name.toLowerCase() === 'transfer-encoding').map(([, v]) => v).join(',')
  if (te !== '') return /(?:^|,)\s*chunked\s*$/i.test(te) ? { kind: 'chunked' } : { kind: 'close' }
  const lengths = new Set(head.headers.filter(([name]) => name.toLowerCase() === 'content-length').flatMap(([, v]) => v.split(',').map((s) => s.trim())))
  if (lengths.size === 0) return { kind: 'close' }
  const [only] = lengths
  if (lengths.size > 1 || only === undefined || !/^\d+$/.test(only)) return null
  return { kind: 'length', length: Number(only) }
}

/**
 * Decodes a chunked body incrementally: `push` hands data pieces to `onData` and returns the
 * number of input bytes used once the last chunk and trailer section are complete, or -1 while
 * more is needed. Trailers are dropped (the gateway re-frames the body for its client).
 */
export class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-end' | 'trailer' = 'size'
  private remaining = 0
  private line = ''

  constructor(private readonly onData: (piece: Buffer) => void) {}

  push(chunk: Buffer): number {
    let at = 0
    while (at < chunk.length) {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, chunk.length - at)
        this.onData(chunk.subarray(at, at + take))
        at += take
        this.remaining -= take
        if (this.remaining === 0) this.state = 'data-end'
        continue
      }
      const newline = chunk.indexOf(10, at)
      const end = newline < 0 ? chunk.length : newline + 1
      this.line += chunk.toString('latin1', at, end)
      at = end
      if (this.line.length > 4096) throw new Error('chunked framing line is too long')
      if (newline < 0) break
      const line = this.line.replace(/\r?\n$/, '')
      this.line = ''
      if (this.state === 'data-end') {
        if (line !== '') throw new Error('chunk data is not followed by CRLF')
        this.state = 'size'
      } else if (this.state === 'size') {
        // The size may carry extensions after a semicolon (RFC 9112 7.1.1).
        const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line)?.[1]
        if (size === undefined) throw new Error(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`)
        this.remaining = Number.parseInt(size, 16)
        this.state = this.remaining === 0 ? 'trailer' : 'data'
      } else if (line === '') return at
    }
    return -1
  }
}

/** The response headers to relay: hop-by-hop and Connection-named ones dropped. */
export function relayHeaders(head: ResponseHead): OutgoingHttpHeaders {
  const named = connectionTokens(head.headers.filter(([name]) => name.toLowerCase() === 'connection').map(([, v]) => v))
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of head.headers) {
    const lower = name.toLowerCase()
    if (HOP_HEADERS.has(lower) || named.has(lower)) continue
    const existing = out[lower]
    if (existing === undefined) out[lower] = value
    else out[lower] = Array.isArray(existing) ? [...existing, value] : [existing, value]
  }
  return out
}

/** Whether the upstream allows another request on this connection after this response. */
function keepsAlive(head: ResponseHead): boolean {
  const tokens = connectionTokens(head.headers.filter(([name]) => name.toLowerCase() === 'connection').map(([, v]) => v))
  return head.minor === 1 ? !tokens.has('close') : tokens.has('keep-alive')
}

export type ExchangeOutcome =
  /** The response head was relayed; the body is streaming (or done). */
  | { ok: true }
  /** Nothing was relayed. `stale`: a reused connection closed before any response byte. */
  | { ok: false; error: Error; stale: boolean }

export interface ExchangeOptions {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  socket: Socket
  reused: boolean
  absoluteForm: boolean
  /** Called once when the exchange is over: the socket is handed back when it can be reused. */
  release: (reusable: boolean) => void
}

/**
 * One request/response over `socket`. The request body streams as the client sends it; an
 * answer that arrives before the body is complete (an early 413) ends the upload and drops
 * the rest of the client's body, so the client connection stays usable.
 */
export function exchange(options: ExchangeOptions): Promise<ExchangeOutcome> {
  const { req, res, url, socket, reused, absoluteForm } = options
  const method = req.method ?? 'GET'
  const chunkedBody = req.headers['transfer-encoding'] !== undefined
  return new Promise((resolve) => {
    let settled = false
    let released = false
    let received = 0
    let headBuffer: Buffer = Buffer.alloc(0)
    let framing: Framing | null = null
    let remaining = 0
    let decoder: ChunkedDecoder | null = null
    let bodySent = false
    let responseDone = false
    let reusable = true
    /** Content-Length bodies go straight to the client socket once the head is flushed. */
    let direct: Socket | null = null
    /** Whether the current read's bytes are still referenced by a queued write. */
    let kept = false
    let stopReading = (): void => undefined

    const settle = (outcome: ExchangeOutcome): void => {
      if (settled) return
      settled = true
      resolve(outcome)
    }
    const cleanup = (): void => {
      stopReading()
      socket.off('end', onEnd)
      socket.off('close', onClose)
      socket.off('error', onError)
      socket.off('drain', onUpstreamDrain)
      res.off('drain', onClientDrain)
      direct?.off('drain', onClientDrain)
      res.off('close', onClientClose)
      req.off('data', onBody)
      req.off('end', onBodyEnd)
    }
    const finish = (keep: boolean): void => {
      if (released) return
      released = true
      cleanup()
      if (!keep) socket.destroy()
      options.release(keep)
    }
    const failBeforeHead = (error: Error): void => {
      const stale = reused && received === 0
      finish(false)
      settle({ ok: false, error, stale })
    }
    const abortAfterHead = (): void => {
      finish(false)
      // The client sees the response cut short, as it would from the server itself.
      res.destroy()
      // Also reached before the head when the client went away: nothing is left to answer.
      settle({ ok: true })
    }
    const completeResponse = (last?: Buffer): void => {
      responseDone = true
      res.end(last)
      if (!bodySent) {
        // The server answered before the whole body arrived: stop uploading, and read the
        // client's remaining body into the void so its connection can carry the next request.
        reusable = false
        req.off('data', onBody)
        req.resume()
      }
      finish(reusable)
    }

    const writeClient = (piece: Buffer): void => {
      if (piece.length === 0) return
      if (direct !== null) {
        if (!direct.write(piece)) {
          socket.pause()
          direct.once('drain', onClientDrain)
        }
        if (direct.writableLength > 0) kept = true
        return
      }
      // ServerResponse queues writes until the next tick (it corks its socket).
      kept = true
      if (!res.write(piece)) {
        socket.pause()
        res.once('drain', onClientDrain)
      }
    }
    const onClientDrain = (): void => {
      socket.resume()
    }
    const onClientClose = (): void => {
      // The client went away (or the response was destroyed) before the response ended.
      if (!responseDone) abortAfterHead()
    }

    const onHead = (head: ResponseHead, rest: Buffer): void => {
      if (head.status === 101) {
        failBeforeHead(new Error('upstream switched protocols on a request that did not ask to'))
        return
      }
      framing = framingOf(method, head)
      if (framing === null) {
        failBeforeHead(Object.assign(new Error('upstream response has conflicting Content-Length values'), { code: 'ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH' }))
        return
      }
      if (!keepsAlive(head) || framing.kind === 'close') reusable = false
      res.sendDate = false
      const headers = relayHeaders(head)
      // Until-close and chunked bodies are re-framed by the gateway's server for its client.
      if (framing.kind === 'close' || framing.kind === 'chunked') delete headers['content-length']
      try {
        res.writeHead(head.status, head.reason, headers)
      } catch (error: unknown) {
        // Node refuses characters HTTP does not allow in a reason phrase or header value.
        failBeforeHead(error instanceof Error ? error : new Error(String(error)))
        return
      }
      settle({ ok: true })
      if (framing.kind === 'none') {
        if (rest.length > 0) reusable = false
        completeResponse()
        return
      }
      if (framing.kind === 'length') {
        // The head leaves together with the body bytes at hand (one write for small answers).
        const first = rest.subarray(0, framing.length)
        if (first.length === framing.length) {
          if (rest.length > first.length) reusable = false
          completeResponse(first)
          return
        }
        remaining = framing.length - first.length
        if (first.length > 0) writeClient(first)
        else res.flushHeaders()
        // No framing to add: the rest of the body can bypass the ServerResponse (only when this
        // response owns the client socket, i.e. it is not queued behind another).
        if (res.socket !== null) direct = res.socket as Socket
        return
      }
      if (framing.kind === 'chunked') decoder = new ChunkedDecoder(writeClient)
      onBodyBytes(rest)
    }

    const onBodyBytes = (chunk: Buffer): void => {
      if (chunk.length === 0 || framing === null) return
      if (framing.kind === 'close') {
        writeClient(chunk)
      } else if (framing.kind === 'length') {
        const take = Math.min(remaining, chunk.length)
        writeClient(take === chunk.length ? chunk : chunk.subarray(0, take))
        remaining -= take
        if (remaining === 0) {
          // Bytes after the body on a connection with no request outstanding: not reusable.
          if (take < chunk.length) reusable = false
          completeResponse()
        }
      } else if (decoder !== null) {
        let used: number
        try {
          used = decoder.push(chunk)
        } catch {
          abortAfterHead()
          return
        }
        if (used >= 0) {
          if (used < chunk.length) reusable = false
          completeResponse()
        }
      }
    }

    const onData = (chunk: Buffer): boolean => {
      kept = false
      received += chunk.length
      if (framing !== null) {
        onBodyBytes(chunk)
        return kept
      }
      // A copy: the read buffer may be reused once this returns.
      headBuffer = Buffer.concat([headBuffer, chunk])
      parseHead()
      return kept
    }
    const parseHead = (): void => {
      for (;;) {
        const end = headBuffer.indexOf('\r\n\r\n')
        if (end < 0) {
          if (headBuffer.length > MAX_HEAD) failBeforeHead(new Error('upstream response head is larger than 64 KiB'))
          return
        }
        const head = parseResponseHead(headBuffer.toString('latin1', 0, end))
        const rest = headBuffer.subarray(end + 4)
        if (head === null) {
          failBeforeHead(Object.assign(new Error('upstream sent a malformed response head'), { code: 'HPE_INVALID_CONSTANT' }))
          return
        }
        // Interim responses (100 Continue, 103 Early Hints) precede the final one.
        if (head.status >= 100 && head.status < 200 && head.status !== 101) {
          headBuffer = rest
          continue
        }
        headBuffer = Buffer.alloc(0)
        onHead(head, rest)
        return
      }
    }
    const onEnd = (): void => {
      if (framing?.kind === 'close') {
        reusable = false
        completeResponse()
      } else if (framing !== null) abortAfterHead()
      else failBeforeHead(Object.assign(new Error('upstream closed the connection before answering'), { code: 'ECONNRESET' }))
    }
    const onClose = (): void => {
      if (released) return
      if (framing === null) failBeforeHead(Object.assign(new Error('upstream closed the connection before answering'), { code: 'ECONNRESET' }))
      else abortAfterHead()
    }
    const onError = (error: Error): void => {
      if (framing === null) failBeforeHead(error)
      else abortAfterHead()
    }

    const onBody = (piece: Buffer): void => {
      if (piece.length === 0) return
      const ok = chunkedBody
        ? socket.write(`${piece.length.toString(16)}\r\n`) && socket.write(piece) && socket.write('\r\n')
        : socket.write(piece)
      if (!ok) {
        req.pause()
        socket.once('drain', onUpstreamDrain)
      }
    }
    const onUpstreamDrain = (): void => {
      req.resume()
    }
    const onBodyEnd = (): void => {
      bodySent = true
      if (chunkedBody && !responseDone) socket.write('0\r\n\r\n')
    }

    stopReading = readInto(socket, onData)
    socket.on('end', onEnd)
    socket.on('close', onClose)
    socket.on('error', onError)
    res.on('close', onClientClose)
    socket.setNoDelay(true)
    socket.cork()
    socket.write(requestHead(req, url, absoluteForm))
    if (req.readableEnded || (!chunkedBody && req.headers['content-length'] === undefined)) {
      bodySent = true
      if (!req.readableEnded) req.resume()
    } else {
      req.on('data', onBody)
      req.on('end', onBodyEnd)
    }
    socket.uncork()
    socket.resume()
  })
}

/**
 * Idle upstream connections, per route choice and destination, most recently used first. An
 * idle connection that closes, errs, times out or sends anything unasked is dropped.
 */
export class UpstreamPool {
  private readonly idle = new Map<string, Set<Socket>>()
  /** Undoes the watching of an idle socket (listeners, sink, timeout). */
  private readonly unwatchers = new WeakMap<Socket, () => void>()
  private readonly idleSince = new WeakMap<Socket, number>()

  constructor(private readonly idleMs = 30_000, private readonly maxPerKey = 16) {}

  /**
   * The most recently used idle connection for `key`, if one has been idle at most
   * `maxIdleMs` (a server closes idle connections at a time of its choosing; a request that
   * cannot be sent twice should not meet such a close halfway).
   */
  take(key: string, maxIdleMs = Number.POSITIVE_INFINITY): Socket | undefined {
    const set = this.idle.get(key)
    if (set === undefined) return undefined
    const sockets = [...set]
    for (let i = sockets.length - 1; i >= 0; i--) {
      const socket = sockets[i]
      if (socket === undefined) continue
      // Newest last: once one is too old, all before it are.
      if (Date.now() - (this.idleSince.get(socket) ?? 0) > maxIdleMs) return undefined
      this.unwatch(key, socket)
      if (!socket.destroyed && socket.readable && socket.writable) return socket
      socket.destroy()
    }
    return undefined
  }

  put(key: string, socket: Socket): void {
    let set = this.idle.get(key)
    if (set === undefined) {
      set = new Set()
      this.idle.set(key, set)
    }
    if (set.size >= this.maxPerKey || socket.destroyed) {
      socket.destroy()
      return
    }
    const drop = (): void => {
      this.unwatch(key, socket)
      socket.destroy()
    }
    const stopReading = readInto(socket, () => {
      drop()
      return false
    })
    set.add(socket)
    this.idleSince.set(socket, Date.now())
    socket.on('end', drop)
    socket.on('close', drop)
    socket.on('timeout', drop)
    socket.setTimeout(this.idleMs)
    this.unwatchers.set(socket, () => {
      stopReading()
      socket.off('end', drop)
      socket.off('close', drop)
      socket.off('timeout', drop)
      socket.setTimeout(0)
    })
    // Reading on keeps a close by the other side visible while the connection waits.
    socket.resume()
  }

  destroyAll(): void {
    for (const [key, set] of this.idle) {
      for (const socket of set) {
        this.unwatch(key, socket)
        socket.destroy()
      }
    }
    this.idle.clear()
  }

  private unwatch(key: string, socket: Socket): void {
    const set = this.idle.get(key)
    set?.delete(socket)
    if (set?.size === 0) this.idle.delete(key)
    const unwatch = this.unwatchers.get(socket)
    this.unwatchers.delete(socket)
    unwatch?.()
  }
}
