// Node moves the bytes of an http(s) download: the response body is streamed into
// `<savePath>.crdownload` (never buffered) and renamed when complete. pause() stops reading
// the socket, so the kernel's receive window fills and the server's writes stall; resume()
// reads on, or, when the connection is gone, asks again with `Range: bytes=<received>-` and
// `If-Range: <ETag or Last-Modified>` (206 continues, 200 starts over from zero).
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, rename, stat, truncate, unlink } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { dirname } from 'node:path'
import type { Readable } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { debug, detach } from '../../common/util.js'
import { PARTIAL_SUFFIX, type DownloadDriver, type DownloadItem } from './download-item.js'
import { openDownload, type OpenedResponse, type SessionNet } from './http-request.js'
import { mimeTypeOf } from './filename.js'

const WRITE_CHUNK = 1 << 20

/** The total size a response announces: Content-Range's `/total` for a 206, else Content-Length (0: unknown). */
export function announcedTotal(response: IncomingMessage): number {
  if (response.statusCode === 206) {
    const match = /\/(\d+)\s*$/.exec(String(response.headers['content-range'] ?? ''))
    if (match) return Number(match[1])
  }
  if (response.headers['content-encoding'] && response.headers['content-encoding'] !== 'identity') return 0
  const length = Number(response.headers['content-length'])
  return Number.isFinite(length) && length >= 0 ? length : 0
}

/**
 * A header value as Electron hands it to JS: Node reads header bytes one per character
 * (latin1), Electron converts the same bytes from UTF-8 (invalid sequences become U+FFFD).
 */
function headerText(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(', ') : (value ?? '')
  return Buffer.from(text, 'latin1').toString('utf8')
}

/** What an item learns from a response's headers. */
export function describe(opened: OpenedResponse): { urlChain: string[]; mimeType: string; contentDisposition: string; etag: string; lastModified: string; totalBytes: number } {
  const { headers } = opened.response
  return {
    urlChain: opened.urlChain,
    mimeType: mimeTypeOf(headers['content-type']),
    contentDisposition: headerText(headers['content-disposition']),
    etag: headerText(headers.etag),
    lastModified: headerText(headers['last-modified']),
    totalBytes: announcedTotal(opened.response),
  }
}

export class HttpDriver implements DownloadDriver {
  readonly #item: DownloadItem
  readonly #net: SessionNet
  readonly #headers: Record<string, string> | undefined
  #first: OpenedResponse | undefined
  #abort: AbortController | undefined
  #response: IncomingMessage | undefined
  #source: Readable | undefined
  #file: WriteStream | undefined
  #waitingDrain = false
  #stopped = false
  /** The partial file exists (cancel removes it). */
  #wrote = false
  #fileClosed: Promise<void> = Promise.resolve()
  /** Each transfer attempt; callbacks of an older one do nothing. */
  #attempt = 0

  constructor(item: DownloadItem, net: SessionNet, options: { first?: OpenedResponse; headers?: Record<string, string> } = {}) {
    this.#item = item
    this.#net = net
    this.#first = options.first
    this.#headers = options.headers
  }

  start(): void {
    const first = this.#first
    this.#first = undefined
    if (!first) return
    if (this.#item.getState() !== 'progressing') {
      first.request.destroy()
      return
    }
    detach(this.#consume(first, 0, ++this.#attempt), 'download transfer')
  }

  pause(): void {
    this.#source?.pause()
  }

  resume(): void {
    if (this.#stopped) return
    if (this.#source && this.#response && !this.#response.destroyed) {
      if (!this.#waitingDrain) this.#source.resume()
      return
    }
    detach(this.#reopen(++this.#attempt), 'download resume')
  }

  cancel(): void {
    this.#stopped = true
    this.#attempt++
    this.#dropConnection()
    const partial = this.#item.getSavePath() + PARTIAL_SUFFIX
    detach(
      this.#closeFile().then(async () => {
        if (this.#wrote) await removeIfPresent(partial)
        this.#item.markCancelled()
      }),
      'download cancel',
    )
  }

  shutdown(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#attempt++
    this.#dropConnection()
    detach(this.#closeFile(), 'download shutdown')
    this.#item.markInterrupted(false)
  }

  #dropConnection(): void {
    this.#first?.request.destroy()
    this.#first = undefined
    this.#abort?.abort()
    this.#response?.destroy()
    this.#source?.destroy()
    this.#response = undefined
    this.#source = undefined
  }

  /** Ends the partial file's stream; #fileClosed resolves once its bytes are on disk. */
  #closeFile(): Promise<void> {
    const file = this.#file
    this.#file = undefined
    if (!file || file.closed) return this.#fileClosed
    const closed = new Promise<void>((resolve) => {
      file.once('close', () => resolve())
      file.end()
    })
    this.#fileClosed = closed
    return closed
  }

  /** Asks again from the bytes already on disk (Range + If-Range), or from zero without a validator. */
  async #reopen(attempt: number): Promise<void> {
    const item = this.#item
    // The interrupted attempt's last writes must be on disk before the size is read.
    await this.#fileClosed
    const offset = await this.#partialBytes()
    if (attempt !== this.#attempt) return
    const validator = item.getETag() || item.getLastModifiedTime()
    const useRange = offset > 0 && validator !== ''
    const abort = new AbortController()
    this.#abort = abort
    let opened: OpenedResponse
    try {
      opened = await openDownload(this.#net, item.getURL(), {
        ...(useRange ? { range: { offset, ifRange: validator } } : {}),
        ...(this.#headers ? { headers: this.#headers } : {}),
        signal: abort.signal,
      })
    } catch (error) {
      if (attempt !== this.#attempt) return
      debug('download resume of %s failed: %s', item.getURL(), (error as Error).message)
      item.markInterrupted(true)
      return
    }
    if (attempt !== this.#attempt) {
      opened.request.destroy()
      return
    }
    const status = opened.response.statusCode ?? 0
    if (opened.urlChain.length > 1) item.describeResponse({ urlChain: [...item.getURLChain(), ...opened.urlChain.slice(1)] })
    const range = /^bytes (\d+)-/.exec(String(opened.response.headers['content-range'] ?? ''))
    if (status === 206 && useRange && range && Number(range[1]) === offset) {
      const { etag, lastModified, totalBytes } = describe(opened)
      item.describeResponse({ ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}), totalBytes })
      await this.#consume(opened, offset, attempt)
      return
    }
    if (status >= 200 && status < 300 && status !== 206) {
      // The file changed (If-Range did not match) or the server ignores ranges: start over.
      const { urlChain: _chain, ...info } = describe(opened)
      item.describeResponse(info)
      item.restartedFromZero()
      await this.#consume(opened, 0, attempt)
      return
    }
    opened.request.destroy()
    if (status === 416 || status === 206) {
      // Our offset is no longer valid for the file: drop what we have and ask for all of it.
      await removeIfPresent(item.getSavePath() + PARTIAL_SUFFIX)
      item.setProgress(0)
      item.describeResponse({ etag: '', lastModified: '' })
      if (attempt === this.#attempt) await this.#reopen(attempt)
      return
    }
    // A server error may pass (resume() can try again); a client error (404, 410...) ends it.
    debug('download resume of %s: HTTP %d', item.getURL(), status)
    item.markInterrupted(status >= 500)
  }

  /**
   * The bytes of the partial file that count: never more than the item reports received. An
   * item made by createInterruptedDownload names the partial file by its final path; it is
   * moved to the partial name first, so a half file never sits under the final name.
   */
  async #partialBytes(): Promise<number> {
    const item = this.#item
    const path = item.getSavePath()
    const partial = path + PARTIAL_SUFFIX
    let size = await fileSize(partial)
    if (size !== undefined) this.#wrote = true
    if (size === undefined) {
      const atPath = await fileSize(path)
      if (atPath !== undefined && item.getReceivedBytes() > 0) {
        await rename(path, partial)
        this.#wrote = true
        size = atPath
      }
    }
    const received = Math.min(size ?? 0, item.getReceivedBytes())
    if (size !== undefined && size > received) await truncate(partial, received)
    if (received !== item.getReceivedBytes()) item.setProgress(received)
    return received
  }

  /** Streams a response body into the partial file from `offset`, then renames it into place. */
  async #consume(opened: OpenedResponse, offset: number, attempt: number): Promise<void> {
    const item = this.#item
    const { response } = opened
    const path = item.getSavePath()
    const partial = path + PARTIAL_SUFFIX
    let file: WriteStream
    try {
      await mkdir(dirname(partial), { recursive: true })
      if (attempt !== this.#attempt) {
        opened.request.destroy()
        return
      }
      this.#wrote = true
      file = createWriteStream(partial, { flags: offset > 0 ? 'r+' : 'w', start: offset, highWaterMark: WRITE_CHUNK })
      await new Promise<void>((resolve, reject) => {
        file.once('open', () => resolve())
        file.once('error', reject)
      })
    } catch (error) {
      opened.request.destroy()
      debug('download file %s: %s', partial, (error as Error).message)
      if (attempt === this.#attempt) item.markInterrupted(false)
      return
    }
    if (attempt !== this.#attempt) {
      opened.request.destroy()
      file.end()
      return
    }
    this.#file = file
    this.#response = response
    const source = decoded(response)
    this.#source = source
    let received = offset
    item.setProgress(received, item.getTotalBytes())
    let ending = false
    const fail = (resumable: boolean, why: string): void => {
      if (ending || attempt !== this.#attempt) return
      ending = true
      debug('download %s interrupted: %s', item.getURL(), why)
      this.#response = undefined
      this.#source = undefined
      response.destroy()
      source.destroy()
      detach(this.#closeFile(), 'download file close')
      if (item.isPaused() && resumable) return // resume() asks again with a Range
      item.markInterrupted(resumable)
    }
    file.on('error', (error) => fail(false, `writing ${partial}: ${error.message}`))
    source.on('data', (chunk: Buffer) => {
      if (attempt !== this.#attempt) return
      received += chunk.length
      item.setProgress(received)
      if (!file.write(chunk)) {
        this.#waitingDrain = true
        source.pause()
        file.once('drain', () => {
          this.#waitingDrain = false
          if (!item.isPaused() && this.#source === source) source.resume()
        })
      }
    })
    source.on('error', (error) => fail(true, error.message))
    response.on('close', () => {
      if (!response.complete) fail(true, 'the connection closed before the body was complete')
    })
    source.on('end', () => {
      if (ending || attempt !== this.#attempt) return
      const total = item.getTotalBytes()
      if (!response.complete || (total > 0 && received < total)) {
        fail(true, `the body ended after ${received} of ${total} bytes`)
        return
      }
      ending = true
      this.#response = undefined
      this.#source = undefined
      detach(this.#complete(partial, path, attempt), 'download complete')
    })
    if (item.isPaused()) source.pause()
  }

  async #complete(partial: string, path: string, attempt: number): Promise<void> {
    try {
      await this.#closeFile()
      if (attempt !== this.#attempt) return
      await rename(partial, path)
    } catch (error) {
      debug('download %s: finishing failed: %s', path, (error as Error).message)
      if (attempt === this.#attempt) this.#item.markInterrupted(false)
      return
    }
    if (attempt === this.#attempt) this.#item.markCompleted()
  }
}

/** The body as Chromium saves it: decoded when the server compressed it anyway. */
function decoded(response: IncomingMessage): Readable {
  const encoding = String(response.headers['content-encoding'] ?? '').trim().toLowerCase()
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined
  if (!decoder) return response
  response.on('error', (error) => decoder.destroy(error))
  return response.pipe(decoder)
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size
  } catch {
    return undefined
  }
}

export async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}
