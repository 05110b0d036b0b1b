// The gateway's side of one client connection: it reads HTTP/1.x request heads itself (no
// http.Server in between), hands each request to the gateway, streams the request body on
// demand and, once the answer is complete, goes on with the next request on the connection.
// CONNECT and Upgrade requests take the socket over for good. Node's HTTP server costs about
// half a millisecond per request when the process wakes from idle (measured: docs/decisions.md);
// this reads a head with one split and a loop.
import type { Socket } from 'node:net'
import { ChunkedDecoder, connectionTokens, endsChunked, splitHead, TOKEN } from './http1.js'

/** A request head as the client sent it. */
export interface RequestHead {
  method: string
  /** The request target as written: an absolute URL, an authority (CONNECT) or a path. */
  url: string
  /** 0 or 1 (HTTP/1.0 or HTTP/1.1). */
  minor: number
  /** name, value, name, value ... in the order sent. */
  rawHeaders: string[]
  /** Lowercased names; repeated fields joined with ', '. */
  headers: Record<string, string>
  /** Told the status of the final response to this request, when one arrives. */
  onStatus?: (status: number) => void
}

/**
 * Requests whose heads are larger than this get 431. Chromium sets no such limit of its own
 * (a page's cookies alone can pass 16 KiB), so the gateway leaves the verdict on anything
 * smaller to the server, as without a proxy; 256 KiB is Chromium's limit for response heads.
 */
const MAX_HEAD = 256 * 1024
/** While an answer is pending, at most this much of the client's next request is held. */
const MAX_HELD = 1 << 20
/** A client connection with no request for this long is closed. */
const IDLE_MS = 60_000

const REQUEST_LINE = new RegExp(`^(${TOKEN}) (\\S+) HTTP\\/1\\.([01])\\r\\n`)

/** Parses a request head (without the blank line); null when it is not valid HTTP/1.x. */
export function parseRequestHead(text: string): RequestHead | null {
  const split = splitHead(text, REQUEST_LINE)
  if (split === null) return null
  const rawHeaders: string[] = []
  const headers: Record<string, string> = {}
  for (const [name, value] of split.fields) {
    rawHeaders.push(name, value)
    const lower = name.toLowerCase()
    const existing = headers[lower]
    headers[lower] = existing === undefined ? value : `${existing}, ${value}`
  }
  const match = split.start
  return { method: match[1] ?? '', url: match[2] ?? '', minor: Number(match[3]), rawHeaders, headers }
}

type BodyFraming = { kind: 'none' } | { kind: 'length'; remaining: number } | { kind: 'chunked'; decoder: ChunkedDecoder }

/** How a request's body is delimited (RFC 9112 6.3); null when the head contradicts itself. */
function requestBody(head: RequestHead): BodyFraming | null {
  const te = head.headers['transfer-encoding']
  if (te !== undefined) {
    // Only chunked as the final coding delimits a request body; anything else is an error.
    if (!endsChunked(te)) return null
    return { kind: 'chunked', decoder: new ChunkedDecoder(() => undefined) }
  }
  const length = head.headers['content-length']
  if (length === undefined) return { kind: 'none' }
  const values = new Set(length.split(',').map((v) => v.trim()))
  const [only] = values
  if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) return null
  const remaining = Number(only)
  return remaining === 0 ? { kind: 'none' } : { kind: 'length', remaining }
}

/** What the gateway does with each request of a connection. */
export interface ClientHandlers {
  /** A request to forward; the gateway answers it and calls `client.finish()`. */
  request(client: ClientConnection, head: RequestHead): void
  /** A CONNECT request: the socket is the tunnel's from now on; `rest` came after the head. */
  connect(head: RequestHead, socket: Socket, rest: Buffer): void
  /** A request asking to switch protocols (WebSocket): the socket is handed over, as for CONNECT. */
  upgrade(head: RequestHead, socket: Socket, rest: Buffer): void
}

/**
 * One client connection. Requests are taken one at a time: while one is being answered, the
 * next (pipelined) one waits in the buffer. The body of the current request is read only when
 * the gateway asks for it (`readBody`), with backpressure, and thrown away when the answer
 * came first (`finish` before the body ended), so the connection stays usable.
 */
export class ClientConnection {
  private buffer: Buffer = Buffer.alloc(0)
  /** 'head': waiting for a request head; 'busy': a request is being answered. */
  private state: 'head' | 'busy' | 'gone' = 'head'
  private body: BodyFraming = { kind: 'none' }
  private bodySink: ((piece: Buffer) => boolean) | null = null
  private bodyEnd: (() => void) | null = null
  private discarding = false
  /** The body sink asked to wait (its upstream is full) until resumeBody(). */
  private blocked = false
  private answered = false
  private keepAlive = true
  /** The client sent FIN: no request comes after the buffered ones. */
  private ended = false
  private done: Array<() => void> = []
  private readonly onData = (chunk: Buffer): void => this.receive(chunk)
  private readonly onEnd = (): void => {
    this.ended = true
    // As Node's HTTP server does by default: a client that stops sending while its request is
    // being answered has gone away (the answer is dropped, the upstream connection closed).
    if (this.state === 'busy') this.socket.destroy()
    else if (this.state === 'head') this.socket.end()
  }

  constructor(readonly socket: Socket, private readonly handlers: ClientHandlers) {
    socket.setNoDelay(true)
    socket.setTimeout(IDLE_MS, () => {
      if (this.state === 'head') socket.destroy()
    })
    socket.on('data', this.onData)
    socket.on('end', this.onEnd)
    socket.once('close', () => {
      this.state = 'gone'
      this.runDone()
    })
  }

  /** Calls `callback` once the current request is over (answered, or the connection gone). */
  whenDone(callback: () => void): void {
    this.done.push(callback)
  }

  /** Whether any of the current request's body has been handed out (it cannot be sent twice). */
  bodyStarted = false

  /** Whether the client's connection stays open after this answer (HTTP/1.1, no `close`). */
  get persistent(): boolean {
    return this.keepAlive
  }

  /**
   * Streams the current request's body to `sink` (raw: a chunked body keeps its chunk framing),
   * then calls `end`. A sink that returns false pauses reading until `resumeBody()`.
   */
  readBody(sink: (piece: Buffer) => boolean, end: () => void): void {
    if (this.body.kind === 'none') {
      end()
      return
    }
    this.bodySink = sink
    this.bodyEnd = end
    this.bodyStarted = true
    const held = this.buffer
    this.buffer = Buffer.alloc(0)
    if (held.length > 0) this.feedBody(held)
    // Reading may have stopped while the body waited in the buffer (bounded, see receive()).
    if (!this.blocked && this.state === 'busy' && this.socket.isPaused()) this.socket.resume()
  }

  resumeBody(): void {
    this.blocked = false
    if (this.state !== 'gone') this.socket.resume()
  }

  /**
   * The answer to the current request is complete. With `close`, or when the client asked
   * for it, the connection ends; otherwise the rest of the body (if any) is read and dropped
   * and the next request is taken.
   */
  finish(close = false): void {
    if (this.state !== 'busy') return
    this.answered = true
    this.runDone()
    if (close || !this.keepAlive) {
      this.state = 'gone'
      this.socket.end()
      return
    }
    if (this.body.kind !== 'none') {
      this.discarding = true
      this.blocked = false
      this.bodySink = null
      this.bodyEnd = null
      this.socket.resume()
      const held = this.buffer
      this.buffer = Buffer.alloc(0)
      if (held.length > 0) this.feedBody(held)
      return
    }
    this.next()
  }

  /** Writes a complete answer of the gateway's own (407, 502 ...) and finishes the request. */
  answer(status: string, headers: string[], body = '', close = false): void {
    const closing = close || !this.keepAlive
    const lines = [`HTTP/1.1 ${status}`, ...headers, `Content-Length: ${Buffer.byteLength(body)}`]
    if (closing) lines.push('Connection: close')
    if (!this.socket.destroyed) this.socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`)
    this.finish(closing)
  }

  private runDone(): void {
    const callbacks = this.done
    if (callbacks.length === 0) return
    this.done = []
    for (const callback of callbacks) callback()
  }

  private receive(chunk: Buffer): void {
    if (this.state === 'gone') return
    if (this.state === 'busy' && (this.bodySink !== null || this.discarding) && this.body.kind !== 'none') {
      this.feedBody(chunk)
      return
    }
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    if (this.state === 'head') this.parse()
    else if (this.buffer.length > MAX_HELD) this.socket.pause()
  }

  private feedBody(chunk: Buffer): void {
    let piece = chunk
    let rest: Buffer | null = null
    const framing = this.body
    if (framing.kind === 'length') {
      if (chunk.length > framing.remaining) {
        piece = chunk.subarray(0, framing.remaining)
        rest = chunk.subarray(framing.remaining)
      }
      framing.remaining -= piece.length
    } else if (framing.kind === 'chunked') {
      let used: number
      try {
        used = framing.decoder.push(chunk)
      } catch {
        // A broken chunked body: nothing after it can be trusted.
        this.state = 'gone'
        this.socket.destroy()
        return
      }
      if (used >= 0) {
        piece = chunk.subarray(0, used)
        rest = chunk.subarray(used)
      }
    }
    const done = (framing.kind === 'length' && framing.remaining === 0) || rest !== null
    if (!this.discarding && this.bodySink !== null && piece.length > 0 && !this.bodySink(piece) && !done) {
      this.blocked = true
      this.socket.pause()
    }
    if (!done) return
    this.body = { kind: 'none' }
    if (rest !== null && rest.length > 0) this.buffer = this.buffer.length === 0 ? rest : Buffer.concat([rest, this.buffer])
    const end = this.bodyEnd
    this.bodySink = null
    this.bodyEnd = null
    end?.()
    if (this.discarding) {
      this.discarding = false
      this.socket.resume()
      this.next()
    }
  }

  /** Back to waiting for a head; parses one already buffered. */
  private next(): void {
    if (this.state !== 'busy' || !this.answered) return
    this.state = 'head'
    if (this.socket.isPaused()) this.socket.resume()
    if (this.buffer.length > 0) this.parse()
    if (this.state === 'head' && this.ended) this.socket.end()
  }

  private parse(): void {
    // Empty lines before a request line are ignored (RFC 9112 2.2).
    let start = 0
    while (this.buffer.length >= start + 2 && this.buffer[start] === 13 && this.buffer[start + 1] === 10) start += 2
    const end = this.buffer.indexOf('\r\n\r\n', start)
    if (end < 0) {
      if (this.buffer.length - start > MAX_HEAD) this.refuse('431 Request Header Fields Too Large')
      return
    }
    if (end - start > MAX_HEAD) {
      this.refuse('431 Request Header Fields Too Large')
      return
    }
    const head = parseRequestHead(this.buffer.toString('latin1', start, end))
    const rest = this.buffer.subarray(end + 4)
    this.buffer = Buffer.alloc(0)
    const body = head === null ? null : requestBody(head)
    if (head === null || body === null) {
      this.refuse('400 Bad Request')
      return
    }
    const connection = connectionTokens(head.headers.connection)
    const proxyConnection = connectionTokens(head.headers['proxy-connection'])
    if (head.method === 'CONNECT' || (connection.has('upgrade') && head.headers.upgrade !== undefined)) {
      this.detach()
      if (head.method === 'CONNECT') this.handlers.connect(head, this.socket, rest)
      else this.handlers.upgrade(head, this.socket, rest)
      return
    }
    this.state = 'busy'
    this.answered = false
    this.bodyStarted = false
    this.body = body
    this.keepAlive = head.minor === 1 ? !connection.has('close') && !proxyConnection.has('close') : connection.has('keep-alive') || proxyConnection.has('keep-alive')
    this.buffer = rest
    // The client waits for 100 Continue before it sends the body; the gateway says it at once
    // (as Node's HTTP server did) and does not pass Expect on.
    if (connectionTokens(head.headers.expect).has('100-continue') && body.kind !== 'none') this.socket.write('HTTP/1.1 100 Continue\r\n\r\n')
    // Until the gateway asks for the body, keep what arrives in the buffer (bounded).
    this.handlers.request(this, head)
  }

  /** Stops reading for the gateway: the socket belongs to a tunnel or upgrade from now on. */
  private detach(): void {
    this.state = 'gone'
    this.socket.off('data', this.onData)
    this.socket.off('end', this.onEnd)
    this.socket.setTimeout(0)
    this.socket.pause()
  }

  private refuse(status: string): void {
    this.state = 'gone'
    this.socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  }
}
