import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline, type Readable } from 'node:stream'
import { debug } from '../common/util.js'

export interface StreamedResponse {
  statusCode: number
  headers: ReadonlyArray<{ name: string; value: string }>
  body: Readable
}

/** How long a response waits for Chromium to fetch it before it is dropped (ms). */
const UNCLAIMED_TIMEOUT_MS = 60_000

/**
 * Fetch.fulfillRequest takes a whole body in one message, so a protocol
 * handler's stream would have to be buffered. Instead the stream is offered
 * here, on 127.0.0.1 under a one-time random path, and the paused request is
 * continued with its URL rewritten to it: Chromium fetches it like any HTTP
 * response (chunk by chunk, with backpressure), and the page still sees the
 * original URL (measured on Chromium 156: documents, fetch, scripts; also
 * for custom-scheme subresources).
 */
export class ResponseServer {
  readonly #pending = new Map<string, { response: StreamedResponse; timer: NodeJS.Timeout }>()
  #server: Promise<{ server: Server; port: number }> | undefined
  #closed = false

  /** Offers `response` once; resolves with the URL Chromium should fetch it from. */
  async offer(response: StreamedResponse): Promise<string> {
    const { port } = await this.#listen()
    const token = randomBytes(18).toString('base64url')
    const timer = setTimeout(() => {
      this.#pending.delete(token)
      response.body.destroy()
    }, UNCLAIMED_TIMEOUT_MS)
    timer.unref()
    this.#pending.set(token, { response, timer })
    return `http://127.0.0.1:${port}/${token}`
  }

  /** Stops listening and drops every unclaimed response. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true
    for (const { response, timer } of this.#pending.values()) {
      clearTimeout(timer)
      response.body.destroy()
    }
    this.#pending.clear()
    const listening = this.#server
    this.#server = undefined
    if (!listening) return
    const { server } = await listening
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  #listen(): Promise<{ server: Server; port: number }> {
    if (this.#closed) return Promise.reject(new Error('the response server is closed'))
    this.#server ??= new Promise((resolve, reject) => {
      const server = createServer((req, res) => this.#serve(req, res))
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => {
        // A session that is never closed (the default one) must not keep Node running.
        server.unref()
        server.off('error', reject)
        server.on('error', (error) => debug('response server: %s', String(error)))
        resolve({ server, port: (server.address() as AddressInfo).port })
      })
    })
    return this.#server
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    req.resume()
    const token = (req.url ?? '').slice(1).split('?')[0] ?? ''
    const entry = this.#pending.get(token)
    if (!entry) {
      res.writeHead(404, { 'Content-Length': '0' })
      res.end()
      return
    }
    this.#pending.delete(token)
    clearTimeout(entry.timer)
    const { statusCode, headers, body } = entry.response
    const raw: string[] = []
    for (const { name, value } of headers) {
      // Chunked here whatever the handler said; a stale length would cut the body.
      if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'transfer-encoding') continue
      raw.push(name, value)
    }
    res.writeHead(statusCode, raw)
    if (req.method === 'HEAD') {
      body.destroy()
      res.end()
      return
    }
    pipeline(body, res, (error) => {
      if (error) debug('streamed protocol response ended early: %s', String(error))
    })
  }
}
