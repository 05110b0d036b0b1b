// Electron's DownloadItem. The item holds the state and the answers of every getter; the bytes
// are moved by a driver: http-driver.ts (Node downloads http(s) URLs itself, so pause is real
// backpressure and resume is an HTTP Range request) or chromium-driver.ts (blob:, data: and
// whatever Node could not fetch: Chromium writes the file, we move it into place).
import { EventEmitter } from 'node:events'
import { resolve as resolvePath } from 'node:path'
import { z } from 'zod'
import { ElectronEvent } from '../../common/event.js'
import { validateArg } from '../../common/validate.js'

export type DownloadItemState = 'progressing' | 'completed' | 'cancelled' | 'interrupted'

export interface DownloadItemEvents {
  /** Progress, a pause or resume, or an interruption that `resume()` can continue. */
  updated: [event: ElectronEvent<DownloadItem>, state: 'progressing' | 'interrupted']
  /** The end: completed (the file is at getSavePath()), cancelled (nothing left) or interrupted for good. */
  done: [event: ElectronEvent<DownloadItem>, state: 'completed' | 'cancelled' | 'interrupted']
}

/** @internal What moves the bytes of one item. */
export interface DownloadDriver {
  /** The save path is final (the will-download handlers ran): write. */
  start(): void
  pause(): void
  resume(): void
  cancel(): void
  /** The session closed: stop for good, keep what was written (interrupted). */
  shutdown(): void
}

/** @internal What the item knows when it is created. */
export interface DownloadInfo {
  urlChain: string[]
  mimeType: string
  contentDisposition: string
  /** Chromium's suggested name (download attribute, Content-Disposition, URL). */
  filename: string
  totalBytes: number
  receivedBytes: number
  etag: string
  lastModified: string
  /** Seconds since the epoch. */
  startTime: number
  hasUserGesture: boolean
  state: 'progressing' | 'interrupted'
  savePath?: string
}

/** The suffix of the file a download is written to until it is complete (Chromium's). */
export const PARTIAL_SUFFIX = '.crdownload'
/** Chromium reports progress about twice a second (DownloadFile's update period). */
const UPDATE_PERIOD_MS = 500

const pathSchema = z.string().min(1)
const warned = new Set<string>()

function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return
  warned.add(key)
  process.emitWarning(message, { code: 'CDP_SESSION_DOWNLOAD' })
}

export class DownloadItem extends EventEmitter<DownloadItemEvents> {
  #urlChain: string[]
  #mimeType: string
  #contentDisposition: string
  readonly #filename: string
  #totalBytes: number
  #receivedBytes: number
  #etag: string
  #lastModified: string
  readonly #startTime: number
  readonly #hasUserGesture: boolean
  #state: DownloadItemState
  #paused = false
  /** An interruption that resume() can continue (Chromium's resume modes other than INVALID). */
  #resumable = true
  #savePath = ''
  #savePathFinal = false
  #endTime = 0
  #driver: DownloadDriver | undefined
  #lastUpdate = 0
  #updateTimer: NodeJS.Timeout | undefined
  /** (time ms, received bytes) samples of the last seconds, for getCurrentBytesPerSecond. */
  readonly #samples: Array<[number, number]> = []

  /** @internal Made by the session's downloads (downloads.ts). */
  constructor(info: DownloadInfo) {
    super()
    this.#urlChain = [...info.urlChain]
    this.#mimeType = info.mimeType
    this.#contentDisposition = info.contentDisposition
    this.#filename = info.filename
    this.#totalBytes = info.totalBytes
    this.#receivedBytes = info.receivedBytes
    this.#etag = info.etag
    this.#lastModified = info.lastModified
    this.#startTime = info.startTime
    this.#hasUserGesture = info.hasUserGesture
    this.#state = info.state
    if (info.savePath) this.#savePath = info.savePath
  }

  // ---- Electron's API --------------------------------------------------------------------

  /**
   * Where the file goes. Only effective in the session's `will-download` handler (as in
   * Electron); missing folders are created. A relative path is taken from the working directory.
   */
  setSavePath(path: string): void {
    const checked = validateArg('downloadItem.setSavePath', 'path', pathSchema, path, 'a non-empty file path')
    if (this.#savePathFinal) {
      warnOnce('setSavePath-late', 'downloadItem.setSavePath() was called after the will-download handlers returned; the download keeps its path (Electron applies it only inside the handler).')
      return
    }
    this.#savePath = resolvePath(checked)
  }

  getSavePath(): string {
    return this.#savePath
  }

  /** Stops the transfer: Node stops reading, so the server's sending stalls (TCP backpressure). */
  pause(): void {
    if (this.#state !== 'progressing' || this.#paused) return
    this.#paused = true
    this.#driver?.pause()
    this.#emitUpdated(true)
  }

  isPaused(): boolean {
    return this.#paused
  }

  /** Continues a paused download, or an interrupted one from getReceivedBytes() (HTTP Range + If-Range). */
  resume(): void {
    if (this.#state === 'progressing' && this.#paused) {
      this.#paused = false
      this.#driver?.resume()
      this.#emitUpdated(true)
      return
    }
    if (this.#state === 'interrupted' && this.canResume()) {
      this.#paused = false
      this.#state = 'progressing'
      this.#endTime = 0
      this.#emitUpdated(true)
      this.#driver?.resume()
    }
  }

  canResume(): boolean {
    if (this.#state === 'progressing') return this.#paused
    return this.#state === 'interrupted' && this.#resumable && this.#driver !== undefined
  }

  /** Cancels it: the partial file is removed and 'done' reports 'cancelled'. */
  cancel(): void {
    if (this.#state === 'completed' || this.#state === 'cancelled') return
    const driver = this.#driver
    if (driver) driver.cancel()
    else this.markCancelled()
  }

  /** The URL the bytes come from (the last of getURLChain()). */
  getURL(): string {
    return this.#urlChain.at(-1) ?? ''
  }

  getURLChain(): string[] {
    return [...this.#urlChain]
  }

  getMimeType(): string {
    return this.#mimeType
  }

  /**
   * Always false for downloads a page started: CDP's download events do not say whether a user
   * gesture started them (docs/feature-matrix.md); false for downloadURL and interrupted items, as in Electron.
   */
  hasUserGesture(): boolean {
    return this.#hasUserGesture
  }

  /** The suggested file name (download attribute, Content-Disposition, else the URL). */
  getFilename(): string {
    return this.#filename
  }

  /** 0 when the server did not say. */
  getTotalBytes(): number {
    return this.#totalBytes
  }

  getReceivedBytes(): number {
    return this.#receivedBytes
  }

  getContentDisposition(): string {
    return this.#contentDisposition
  }

  getState(): DownloadItemState {
    return this.#state
  }

  getLastModifiedTime(): string {
    return this.#lastModified
  }

  getETag(): string {
    return this.#etag
  }

  /** Seconds since the epoch. */
  getStartTime(): number {
    return this.#startTime
  }

  /** Seconds since the epoch when it ended; 0 while it has not. */
  getEndTime(): number {
    return this.#endTime
  }

  /** Bytes per second over the last seconds; 0 while paused or done. */
  getCurrentBytesPerSecond(): number {
    if (this.#state !== 'progressing' || this.#paused) return 0
    const now = Date.now()
    this.#dropOldSamples(now)
    const first = this.#samples[0]
    const last = this.#samples.at(-1)
    if (!first || !last || last[0] === first[0]) return 0
    return Math.round(((last[1] - first[1]) * 1000) / (last[0] - first[0]))
  }

  /** 0–100; -1 while the total is unknown (100 once completed). */
  getPercentComplete(): number {
    if (this.#state === 'completed') return 100
    if (this.#totalBytes <= 0) return -1
    return Math.min(100, Math.floor((this.#receivedBytes * 100) / this.#totalBytes))
  }

  // ---- for the drivers and downloads.ts ----------------------------------------------------

  /** @internal */
  attachDriver(driver: DownloadDriver): void {
    this.#driver = driver
  }

  /** @internal The will-download handlers returned: the save path is the one to use. */
  fixSavePath(fallback: () => string): string {
    if (!this.#savePath) this.#savePath = fallback()
    this.#savePathFinal = true
    return this.#savePath
  }

  /** @internal Takes a name that was uniquified after the handlers ran. */
  replaceSavePath(path: string): void {
    this.#savePath = path
  }

  /** @internal A response (first or resumed) told what the bytes are. */
  describeResponse(info: { urlChain?: string[]; mimeType?: string; contentDisposition?: string; etag?: string; lastModified?: string; totalBytes?: number }): void {
    if (info.urlChain) this.#urlChain = [...info.urlChain]
    if (info.mimeType !== undefined) this.#mimeType = info.mimeType
    if (info.contentDisposition !== undefined) this.#contentDisposition = info.contentDisposition
    if (info.etag !== undefined) this.#etag = info.etag
    if (info.lastModified !== undefined) this.#lastModified = info.lastModified
    if (info.totalBytes !== undefined) this.#totalBytes = info.totalBytes
  }

  /** @internal Bytes written so far (a restart sets it back). */
  setProgress(received: number, total?: number): void {
    this.#receivedBytes = received
    if (total !== undefined) this.#totalBytes = total
    const now = Date.now()
    this.#samples.push([now, received])
    this.#dropOldSamples(now)
    this.#emitUpdated(false)
  }

  /** @internal The transfer restarts from byte 0 (a 200 answered a Range request). */
  restartedFromZero(): void {
    this.#samples.length = 0
  }

  /** @internal The file is complete at getSavePath(). */
  markCompleted(): void {
    if (this.#isDone()) return
    if (this.#totalBytes <= 0) this.#totalBytes = this.#receivedBytes
    this.#finish('completed')
  }

  /** @internal */
  markCancelled(): void {
    if (this.#isDone()) return
    this.#finish('cancelled')
  }

  /** @internal Resumable: 'updated' 'interrupted'; not: 'done' 'interrupted'. */
  markInterrupted(resumable: boolean): void {
    if (this.#isDone()) return
    this.#paused = false
    this.#resumable = resumable
    this.#state = 'interrupted'
    this.#endTime = Date.now() / 1000
    this.#samples.length = 0
    this.#clearUpdateTimer()
    if (resumable) this.emit('updated', new ElectronEvent(this), 'interrupted')
    else this.emit('done', new ElectronEvent(this), 'interrupted')
  }

  /** @internal 'done' was emitted (or cancelled/completed). */
  get finished(): boolean {
    return this.#isDone()
  }

  #isDone(): boolean {
    return this.#state === 'completed' || this.#state === 'cancelled' || (this.#state === 'interrupted' && !this.canResume())
  }

  #finish(state: 'completed' | 'cancelled'): void {
    this.#clearUpdateTimer()
    this.#paused = false
    this.#state = state
    this.#endTime = Date.now() / 1000
    this.emit('done', new ElectronEvent(this), state)
  }

  /** 'updated' at most every UPDATE_PERIOD_MS for progress; at once for a state change. */
  #emitUpdated(now: boolean): void {
    if (this.#state !== 'progressing') return
    const elapsed = Date.now() - this.#lastUpdate
    if (now || elapsed >= UPDATE_PERIOD_MS) {
      this.#clearUpdateTimer()
      this.#lastUpdate = Date.now()
      this.emit('updated', new ElectronEvent(this), 'progressing')
      return
    }
    this.#updateTimer ??= setTimeout(() => {
      this.#updateTimer = undefined
      this.#emitUpdated(true)
    }, UPDATE_PERIOD_MS - elapsed)
  }

  #clearUpdateTimer(): void {
    if (this.#updateTimer) clearTimeout(this.#updateTimer)
    this.#updateTimer = undefined
  }

  #dropOldSamples(now: number): void {
    while (this.#samples.length > 2 && now - this.#samples[0]![0] > 3000) this.#samples.shift()
  }
}
