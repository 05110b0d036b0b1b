// The forward (absolute-URI http://) path of the gateway without an HTTP client or server in
// between: the request head is written to a raw upstream connection, only the response head is
// parsed, and the body bytes go to the client as they arrive, framed the way the upstream framed
// them (RFC 9112 6.3), so that both connections can be kept alive. Upstream connections are
// pooled per route choice and destination.
import type { Socket } from 'node:net'
import { readInto, recycle } from './bulk-read.js'
import type { ClientConnection, RequestHead } from './client-connection.js'
import { ChunkedDecoder, connectionTokens, endsChunked, isToken } from './http1.js'

// Headers that belong to one hop (RFC 9110 7.6.1) plus the proxy-only ones. Expect is answered
// by the gateway itself (it sends 100 Continue to the client), so it is not passed on.
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect'])

/** Chromium's own limit for a response head (kMaxHeaderBufSize). */
const MAX_HEAD = 256 * 1024
const EMPTY = Buffer.alloc(0)

/** A request without a body, which can be sent again if a pooled connection was stale. */
export function replayable(head: RequestHead): boolean {
  const length = head.headers['content-length']
  return (length === undefined || length === '0') && head.headers['transfer-encoding'] === undefined
}

/**
 * The request head for the upstream: origin form, or absolute form for an HTTP proxy. The Host
 * comes from the absolute URL (RFC 9112 3.2.2). A chunked body is passed on as the client
 * framed it, so its Transfer-Encoding goes with it; a Content-Length body keeps its length.
 */
export function requestHead(head: RequestHead, url: URL, absoluteForm: boolean): string {
  const target = absoluteForm ? url.href : `${url.pathname}${url.search}`
  let text = `${head.method} ${target} HTTP/1.1\r\nHost: ${url.host}\r\n`
  const named = head.headers.connection === undefined ? null : connectionTokens(head.headers.connection)
  const te = head.headers['transfer-encoding']
  for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) {
    const name = head.rawHeaders[i] ?? ''
    const lower = name.toLowerCase()
    // Chromium says Proxy-Connection to a proxy where it says Connection to a server: the
    // server gets the field it would get without the gateway, in the same place.
    if (lower === 'proxy-connection' && !absoluteForm) {
      text += `Connection: ${head.rawHeaders[i + 1] ?? ''}\r\n`
      continue
    }
    if (HOP_HEADERS.has(lower) || lower === 'host' || named?.has(lower) === true) continue
    // With both present, Transfer-Encoding wins and Content-Length must go (RFC 9112 6.3).
    if (lower === 'content-length' && te !== undefined) continue
    text += `${name}: ${head.rawHeaders[i + 1] ?? ''}\r\n`
  }
  if (te !== undefined) text += `Transfer-Encoding: ${te}\r\n`
  return `${text}\r\n`
}

export interface ResponseHead {
  status: number
  reason: string
  /** HTTP/1.0 responses close unless they say keep-alive. */
  minor: number
  /** name, value and lowercased name, in the order received. */
  headers: [string, string, string][]
  /** The values of the fields framing and connection reuse depend on, joined with ','. */
  transferEncoding: string
  contentLength: string
  connection: string
}

// Chromium reads the version case-insensitively and takes any HTTP/1.x above 1.1 as 1.1.
const STATUS_LINE = /^HTTP\/1\.(\d{1,3})[ \t]+(\d{3})(?:[ \t]+(.*)|[ \t]*)$/i

/**
 * Where a response head ends: the first empty line, whether lines end in CRLF or in a bare LF
 * (Chromium's HttpUtil::LocateEndOfHeaders accepts both). `end` is where the head's text stops,
 * `body` where the bytes after the blank line start; null while the head is incomplete.
 */
export function locateHeadEnd(data: Buffer): { end: number; body: number } | null {
  // '\n\r\n' also finds the usual '\r\n\r\n' (one byte in); '\n\n' is the LF-only form. The
  // second search stops where the first found the end, so it does not scan the body.
  const crlf = data.indexOf('\n\r\n')
  const lf = (crlf < 0 ? data : data.subarray(0, crlf + 1)).indexOf('\n\n')
  if (crlf < 0 && lf < 0) return null
  if (lf >= 0 && (crlf < 0 || lf < crlf)) return { end: lf, body: lf + 2 }
  return { end: crlf, body: crlf + 3 }
}

/**
 * Parses a response head (without the final blank line); null when it is not an HTTP/1.x
 * response or holds a NUL. As lenient as Chromium is with a server's answer, so that a page
 * gets through the gateway what it gets without it: lines may end in a bare LF, a line that
 * starts with a space or tab continues the previous field (joined with a space), whitespace
 * around a field name is dropped, and a line with no colon or no valid name is skipped. The
 * head passed on to the client is then rebuilt from clean fields.
 */
export function parseResponseHead(text: string): ResponseHead | null {
  if (text.includes('\0')) return null
  const lines = text.split('\n')
  const match = STATUS_LINE.exec(stripCR(lines[0] ?? ''))
  if (match === null) return null
  const head: ResponseHead = { status: Number(match[2]), reason: match[3] ?? '', minor: Math.min(Number(match[1]), 1), headers: [], transferEncoding: '', contentLength: '', connection: '' }
  const fields: [string, string][] = []
  for (let i = 1; i < lines.length; i++) {
    const line = stripCR(lines[i] ?? '')
    const first = line.charCodeAt(0)
    if (first === 32 || first === 9) {
      const previous = fields[fields.length - 1]
      const more = trimSpaces(line)
      if (previous !== undefined && more !== '') previous[1] = previous[1] === '' ? more : `${previous[1]} ${more}`
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = trimSpaces(line.slice(0, colon))
    if (!isToken(name)) continue
    fields.push([name, trimSpaces(line.slice(colon + 1))])
  }
  for (const [name, value] of fields) {
    const lower = name.toLowerCase()
    if (lower === 'transfer-encoding') head.transferEncoding = head.transferEncoding === '' ? value : `${head.transferEncoding},${value}`
    else if (lower === 'content-length') head.contentLength = head.contentLength === '' ? value : `${head.contentLength},${value}`
    else if (lower === 'connection') head.connection = head.connection === '' ? value : `${head.connection},${value}`
    head.headers.push([name, value, lower])
  }
  return head
}

function stripCR(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line
}

/** Trims spaces and tabs only (HTTP's optional whitespace), not other characters. */
function trimSpaces(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--
  return text.slice(start, end)
}

type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' }

/** How the response body is delimited (RFC 9112 6.3); null when the lengths contradict. */
function framingOf(method: string, head: ResponseHead): Framing | null {
  if (method === 'HEAD' || head.status === 204 || head.status === 304 || head.status < 200) return { kind: 'none' }
  const te = head.transferEncoding
  if (te !== '') return endsChunked(te) ? { kind: 'chunked' } : { kind: 'close' }
  if (head.contentLength === '') return { kind: 'close' }
  const lengths = new Set(head.contentLength.split(',').map((s) => s.trim()))
  const [only] = lengths
  if (lengths.size > 1 || only === undefined || !/^\d+$/.test(only)) return null
  return { kind: 'length', length: Number(only) }
}

/**
 * Response fields the gateway does not pass on: its own framing replaces the upstream's
 * Transfer-Encoding, and a Proxy-Authenticate would be a challenge for the gateway's hop.
 */
const RESPONSE_DROPPED = new Set(['transfer-encoding', 'proxy-authenticate'])

/**
 * The response head for the client: the upstream's status line and fields as the server sent
 * them. A proxy would drop hop-by-hop fields (Connection, Keep-Alive and those Connection
 * names), but Chromium with no proxy shows them to webRequest and to a page's fetch(), so the
 * gateway keeps them; its connection to Chromium follows the same Connection answer.
 * `chunked`: the body goes to the client chunked (the upstream chunked it, or it ends when the
 * upstream closes), so Content-Length goes. `close`: the client connection ends after this
 * answer (the upstream's Connection field gives way to `close`).
 */
export function responseHeadFor(head: ResponseHead, chunked: boolean, dropLength: boolean, close: boolean): string {
  let text = `HTTP/1.1 ${head.status} ${head.reason}\r\n`
  for (const [name, value, lower] of head.headers) {
    if (RESPONSE_DROPPED.has(lower)) continue
    if (dropLength && lower === 'content-length') continue
    if (close && lower === 'connection') continue
    text += `${name}: ${value}\r\n`
  }
  if (chunked) text += 'Transfer-Encoding: chunked\r\n'
  if (close) text += 'Connection: close\r\n'
  return `${text}\r\n`
}

/** Whether the upstream allows another request on this connection after this response. */
function keepsAlive(head: ResponseHead): boolean {
  const tokens = connectionTokens(head.connection)
  return head.minor === 1 ? !tokens.has('close') : tokens.has('keep-alive')
}

export type ExchangeOutcome =
  /** The response head was relayed; the body is streaming (or done). */
  | { ok: true }
  /** Nothing was relayed. `stale`: a reused connection closed before any response byte. */
  | { ok: false; error: Error; stale: boolean }

export interface ExchangeOptions {
  head: RequestHead
  client: ClientConnection
  url: URL
  socket: Socket
  reused: boolean
  absoluteForm: boolean
  /** Called once when the exchange is over: the socket is handed back when it can be reused. */
  release: (reusable: boolean) => void
  /** Told the head of the final response before it is relayed. */
  onResponseHead?: (head: ResponseHead) => void
}

/**
 * One request/response over `socket`. The request body streams as the client sends it; an
 * answer that arrives before the body is complete (an early 413) ends the upload, and the
 * client connection drops the rest of the body, so it stays usable.
 */
export function exchange(options: ExchangeOptions): Promise<ExchangeOutcome> {
  const { head: request, client, url, socket, reused, absoluteForm } = options
  const out = client.socket
  // HTTP/1.0 clients get no chunked framing: such bodies end when the connection does.
  const clientChunks = request.minor === 1
  return new Promise((resolve) => {
    let settled = false
    let released = false
    let received = 0
    let headBuffer: Buffer = EMPTY
    let framing: Framing | null = null
    let remaining = 0
    let decoder: ChunkedDecoder | null = null
    /** The body goes to the client chunk-encoded by the gateway (until-close bodies). */
    let encode = false
    let closeClient = false
    let bodySent = false
    let responseDone = false
    let reusable = true
    let waitingClient = false
    let waitingUpstream = false
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
      out.off('drain', onClientDrain)
      out.off('close', onClientClose)
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
      out.destroy()
      // Also reached before the head when the client went away: nothing is left to answer.
      settle({ ok: true })
    }
    const completeResponse = (last?: Buffer): void => {
      responseDone = true
      if (last !== undefined && last.length > 0) out.write(last)
      if (encode) out.write('0\r\n\r\n')
      // The server answered before the whole body arrived: the upload stops here.
      if (!bodySent) reusable = false
      finish(reusable)
      client.finish(closeClient)
    }

    const writeClient = (piece: Buffer): void => {
      if (piece.length === 0) return
      let ok: boolean
      if (encode) {
        out.cork()
        out.write(`${piece.length.toString(16)}\r\n`)
        out.write(piece)
        ok = out.write('\r\n')
        out.uncork()
      } else ok = out.write(piece)
      if (out.writableLength > 0) kept = true
      if (!ok && !waitingClient) {
        waitingClient = true
        socket.pause()
        out.once('drain', onClientDrain)
      }
    }
    const onClientDrain = (): void => {
      waitingClient = false
      socket.resume()
    }
    const onClientClose = (): void => {
      // The client went away before the response ended.
      if (!responseDone) abortAfterHead()
    }

    const onHead = (head: ResponseHead, rest: Buffer): void => {
      if (head.status === 101) {
        failBeforeHead(new Error('upstream switched protocols on a request that did not ask to'))
        return
      }
      request.onStatus?.(head.status)
      options.onResponseHead?.(head)
      framing = framingOf(request.method, head)
      if (framing === null) {
        failBeforeHead(Object.assign(new Error('upstream response has conflicting Content-Length values'), { code: 'ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH' }))
        return
      }
      if (!keepsAlive(head) || framing.kind === 'close') reusable = false
      const reframed = framing.kind === 'close' || framing.kind === 'chunked'
      // An HTTP/1.0 client learns where an unframed body ends from the connection closing.
      closeClient = !client.persistent || (reframed && !clientChunks)
      encode = framing.kind === 'close' && clientChunks
      const text = responseHeadFor(head, reframed && clientChunks, reframed, closeClient)
      settle({ ok: true })
      if (framing.kind === 'none') {
        if (rest.length > 0) reusable = false
        out.write(text, 'latin1')
        completeResponse()
        return
      }
      if (framing.kind === 'length') {
        // The head leaves together with the body bytes at hand (one write for small answers).
        const first = rest.subarray(0, framing.length)
        if (first.length === framing.length) {
          if (rest.length > first.length) reusable = false
          out.cork()
          out.write(text, 'latin1')
          completeResponse(first)
          out.uncork()
          return
        }
        remaining = framing.length - first.length
        out.cork()
        out.write(text, 'latin1')
        writeClient(first)
        out.uncork()
        return
      }
      out.write(text, 'latin1')
      // A chunked body passes through as it is (HTTP/1.1 client) or decoded (HTTP/1.0);
      // the decoder finds where it ends either way.
      if (framing.kind === 'chunked') decoder = new ChunkedDecoder(clientChunks ? () => undefined : writeClient)
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
        if (clientChunks) writeClient(used >= 0 ? chunk.subarray(0, used) : chunk)
        if (used >= 0) {
          if (used < chunk.length) reusable = false
          completeResponse()
        }
      }
    }

    const onData = (chunk: Buffer): boolean => {
      kept = false
      received += chunk.length
      if (framing !== null) onBodyBytes(chunk)
      else if (headBuffer.length === 0) parseHead(chunk, true)
      else {
        // The parts joined in a copy: nothing references the read buffer past this call.
        parseHead(Buffer.concat([headBuffer, chunk]), false)
        return false
      }
      // A write still queued (the head's, a body piece) references the read buffer. Writes
      // complete in order: once this empty one has, the buffer is free for the next reads.
      if (out.writableLength > 0) kept = true
      if (kept && !out.destroyed && !out.writableEnded) out.write(EMPTY, () => recycle(socket, chunk))
      return kept
    }
    /** `data` is a view of the read buffer when `view` is true (copied before it is kept). */
    const parseHead = (data: Buffer, view: boolean): void => {
      for (;;) {
        const located = locateHeadEnd(data)
        if (located === null || located.end > MAX_HEAD) {
          if (data.length > MAX_HEAD) failBeforeHead(new Error('upstream response head is larger than 256 KiB'))
          else headBuffer = view ? Buffer.from(data) : data
          return
        }
        const head = parseResponseHead(data.toString('latin1', 0, located.end))
        const rest = data.subarray(located.body)
        if (head === null) {
          failBeforeHead(Object.assign(new Error('upstream sent a malformed response head'), { code: 'HPE_INVALID_CONSTANT' }))
          return
        }
        // Interim responses (100 Continue, 103 Early Hints) precede the final one.
        if (head.status >= 100 && head.status < 200 && head.status !== 101) {
          data = rest
          continue
        }
        headBuffer = EMPTY
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

    const onBody = (piece: Buffer): boolean => {
      if (released) return true
      if (socket.write(piece)) return true
      if (!waitingUpstream) {
        waitingUpstream = true
        socket.once('drain', onUpstreamDrain)
      }
      return false
    }
    const onUpstreamDrain = (): void => {
      waitingUpstream = false
      client.resumeBody()
    }

    stopReading = readInto(socket, onData)
    socket.on('end', onEnd)
    socket.on('close', onClose)
    socket.on('error', onError)
    out.on('close', onClientClose)
    socket.setNoDelay(true)
    socket.cork()
    socket.write(requestHead(request, url, absoluteForm), 'latin1')
    client.readBody(onBody, () => {
      bodySent = true
    })
    socket.uncork()
    socket.resume()
  })
}

/**
 * Idle upstream connections, per route choice and destination, most recently used first. An
 * idle connection that closes, errs, stays idle too long or sends anything unasked is dropped.
 * A connection is watched by listeners attached once, and idle ones are swept by one timer, so
 * handing a connection out and back costs no listener or timer churn per request.
 */
export class UpstreamPool {
  /** Idle sockets per key, oldest first. */
  private readonly idle = new Map<string, Socket[]>()
  /** Each idle socket's key, since when it idles, and how to stop its idle read. */
  private readonly entries = new Map<Socket, { key: string; since: number; stopReading: () => void }>()
  private readonly watched = new WeakSet<Socket>()
  private sweeper: NodeJS.Timeout | undefined

  constructor(private readonly idleMs = 30_000, private readonly maxPerKey = 16) {}

  /**
   * The most recently used idle connection for `key`, if one has been idle at most
   * `maxIdleMs` (a server closes idle connections at a time of its choosing; a request that
   * cannot be sent twice should not meet such a close halfway).
   */
  take(key: string, maxIdleMs = Number.POSITIVE_INFINITY): Socket | undefined {
    const list = this.idle.get(key)
    if (list === undefined) return undefined
    const now = Date.now()
    while (list.length > 0) {
      const socket = list[list.length - 1]
      if (socket === undefined) break
      // Newest last: once one is too old, all before it are.
      if (now - (this.entries.get(socket)?.since ?? 0) > maxIdleMs) return undefined
      this.remove(socket)
      if (!socket.destroyed && socket.readable && socket.writable) return socket
      socket.destroy()
    }
    return undefined
  }

  put(key: string, socket: Socket): void {
    let list = this.idle.get(key)
    if (list === undefined) {
      list = []
      this.idle.set(key, list)
    }
    if (list.length >= this.maxPerKey || socket.destroyed) {
      socket.destroy()
      return
    }
    if (!this.watched.has(socket)) {
      this.watched.add(socket)
      const drop = (): void => {
        if (this.entries.has(socket)) {
          this.remove(socket)
          socket.destroy()
        }
      }
      socket.on('end', drop)
      socket.on('close', drop)
    }
    list.push(socket)
    // Reading on keeps a close by the other side visible while the connection waits; anything
    // it sends unasked makes it unusable.
    const stopReading = readInto(socket, () => {
      this.remove(socket)
      socket.destroy()
      return false
    })
    this.entries.set(socket, { key, since: Date.now(), stopReading })
    socket.resume()
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), Math.max(1000, this.idleMs / 2))
      this.sweeper.unref()
    }
  }

  destroyAll(): void {
    for (const socket of [...this.entries.keys()]) {
      this.remove(socket)
      socket.destroy()
    }
  }

  /** Drops connections idle for longer than the pool keeps them. */
  private sweep(): void {
    const now = Date.now()
    for (const [socket, { since }] of this.entries) {
      if (now - since <= this.idleMs) continue
      this.remove(socket)
      socket.destroy()
    }
    if (this.entries.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper)
      this.sweeper = undefined
    }
  }

  private remove(socket: Socket): void {
    const entry = this.entries.get(socket)
    if (entry === undefined) return
    this.entries.delete(socket)
    entry.stopReading()
    const list = this.idle.get(entry.key)
    if (list === undefined) return
    const at = list.lastIndexOf(socket)
    if (at >= 0) list.splice(at, 1)
    if (list.length === 0) this.idle.delete(entry.key)
  }
}
