// Chromium moves the bytes: blob: and data: downloads (their bytes live in the page's renderer
// or in the URL), and http(s) downloads Node could not fetch itself. Chromium writes
// `<session temp dir>/<guid>` (behavior allowAndName) and reports Browser.downloadProgress;
// once complete the file is moved to the save path (a rename on the same file system, else a
// copy to `<savePath>.crdownload` renamed into place), so the final name only ever holds a
// complete file. CDP has no pause for Chromium's downloads: pause() holds the completion
// (the file is not moved) until resume().
import { copyFile, mkdir, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Protocol } from 'devtools-protocol'
import { debug, detach } from '../../common/util.js'
import { PARTIAL_SUFFIX, type DownloadDriver, type DownloadItem } from './download-item.js'
import { removeIfPresent } from './http-driver.js'

export interface ChromiumDownloadControl {
  /** Browser.cancelDownload for this guid. */
  cancel(): Promise<void>
  /** Where Chromium writes the complete file. */
  readonly file: string
}

export class ChromiumDriver implements DownloadDriver {
  readonly #item: DownloadItem
  readonly #control: ChromiumDownloadControl
  #started = false
  /** Chromium finished writing `control.file`. */
  #written = false
  #moving = false
  #stopped = false

  constructor(item: DownloadItem, control: ChromiumDownloadControl) {
    this.#item = item
    this.#control = control
  }

  /** Browser.downloadProgress for this download's guid. */
  progress(event: Protocol.Browser.DownloadProgressEvent): void {
    if (this.#stopped) return
    const item = this.#item
    if (event.state === 'inProgress') {
      item.setProgress(event.receivedBytes, event.totalBytes)
      return
    }
    if (event.state === 'completed') {
      item.setProgress(event.receivedBytes, event.totalBytes || event.receivedBytes)
      this.#written = true
      this.#maybeMove()
      return
    }
    // 'canceled' that we did not ask for: Chromium gave up (a network error, the browser closing).
    this.#stopped = true
    item.markInterrupted(false)
  }

  start(): void {
    this.#started = true
    this.#maybeMove()
  }

  pause(): void {
    // Chromium's transfer cannot be paused over CDP; the completion waits (see the file comment).
  }

  resume(): void {
    this.#maybeMove()
  }

  cancel(): void {
    if (this.#stopped) return
    this.#stopped = true
    detach(
      (async () => {
        if (!this.#written) await this.#control.cancel()
        await removeIfPresent(this.#control.file)
        this.#item.markCancelled()
      })(),
      'cancel a Chromium download',
    )
  }

  shutdown(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#item.markInterrupted(false)
  }

  #maybeMove(): void {
    if (!this.#started || !this.#written || this.#moving || this.#stopped || this.#item.isPaused()) return
    this.#moving = true
    detach(this.#move(), 'move a finished download')
  }

  async #move(): Promise<void> {
    const path = this.#item.getSavePath()
    try {
      await mkdir(dirname(path), { recursive: true })
      try {
        await rename(this.#control.file, path)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
        await copyFile(this.#control.file, path + PARTIAL_SUFFIX)
        await rename(path + PARTIAL_SUFFIX, path)
        await removeIfPresent(this.#control.file)
      }
    } catch (error) {
      debug('moving the download to %s failed: %s', path, (error as Error).message)
      this.#stopped = true
      this.#item.markInterrupted(false)
      return
    }
    if (!this.#stopped) this.#item.markCompleted()
  }
}
