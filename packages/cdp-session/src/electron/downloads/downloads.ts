// A session's downloads: Electron's `will-download`, `setDownloadPath`,
// `createInterruptedDownload` and `downloadURL`.
//
// Detection is Chromium's own: every context gets `Browser.setDownloadBehavior({ behavior:
// 'allowAndName', downloadPath: <session temp dir>, eventsEnabled: true })`, so every kind of
// download (attachment navigations, <a download>, blob:, data:, iframes of any site, popups)
// reports `Browser.downloadWillBegin` with its frame id, which names a target of one session.
// For http(s) Node then asks for the same URL itself through the session (its cookies, user
// agent and proxy route) and, once that response is good, cancels Chromium's copy: Node owns
// the bytes, so pause is real and resume is an HTTP Range request (http-driver.ts). Anything
// Node cannot fetch (blob:, data:, a refused TLS certificate, a server that answers Node with
// an error) stays Chromium's download (chromium-driver.ts). Measured in docs/decisions.md.
import { randomBytes } from 'node:crypto'
import { existsSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { basename, join, resolve as resolvePath } from 'node:path'
import type { Protocol } from 'devtools-protocol'
import { z } from 'zod'
import { NotSupportedError, ValidationError } from '../../common/errors.js'
import { ElectronEvent } from '../../common/event.js'
import { acceptLanguageHeader } from '../../common/headers.js'
import { debug, detach, within } from '../../common/util.js'
import { validateArg } from '../../common/validate.js'
import { hasFrames, type TargetSession } from '../../cdp/target-session.js'
import { CachingResolver } from '../../net/resolver.js'
import { DIRECT } from '../../net/proxy-server.js'
import type { SessionContext } from '../context.js'
import type { SessionBinding } from '../core/types.js'
import type { WebContents } from '../web-contents.js'
import { ChromiumDriver } from './chromium-driver.js'
import { DownloadItem, PARTIAL_SUFFIX } from './download-item.js'
import { dataUrlMimeType, sanitizeFilename, suggestedFilename, uniquePath } from './filename.js'
import { describe, HttpDriver } from './http-driver.js'
import { openDownload, type OpenedResponse, type SessionNet } from './http-request.js'

export interface CreateInterruptedDownloadOptions {
  /** Absolute path of the download (its partial bytes: this file, or this path + '.crdownload'). */
  path: string
  /** The URLs of the download, redirects included; the last one is asked on resume. */
  urlChain: string[]
  mimeType?: string
  /** Bytes already downloaded. */
  offset?: number
  /** The total length. */
  length: number
  lastModified?: string
  eTag?: string
  /** Seconds since the epoch. */
  startTime?: number
}

export interface DownloadURLOptions {
  headers?: Record<string, string>
}

/** How long a download's events wait for its session to be known (frame trees, its file). */
const OWNER_WAIT_MS = 10_000
/** Progress of downloads no session has claimed yet is kept this long. */
const UNCLAIMED_MS = 60_000

const pathSchema = z.string().min(1)
const interruptedSchema = z.object({
  path: z.string().optional(),
  urlChain: z.array(z.string().refine((u) => URL.canParse(u), 'not a URL')).optional(),
  mimeType: z.string().optional(),
  offset: z.number().int().nonnegative().optional(),
  length: z.number().int().nonnegative().optional(),
  lastModified: z.string().optional(),
  eTag: z.string().optional(),
  startTime: z.number().finite().nonnegative().optional(),
})
const urlSchema = z.string().refine((u) => URL.canParse(u), 'not a URL')
const downloadUrlOptionsSchema = z.strictObject({ headers: z.record(z.string(), z.string()).optional() }).optional()

/** Progress seen for a guid before (or without) a driver: only the latest counts (it carries the totals). */
interface Pending {
  last: Protocol.Browser.DownloadProgressEvent | undefined
  driver: ChromiumDriver | undefined
  /** Resolves when a progress event arrives (for the file-based owner check). */
  waiters: Array<() => void>
  timer: NodeJS.Timeout | undefined
}

export class Downloads {
  readonly #session: SessionContext
  #downloadPath: string | undefined
  /**
   * Where Chromium writes (allowAndName): not made by us — Chromium creates it at the first
   * download — so a session that never downloads leaves nothing behind.
   */
  readonly #dir = join(tmpdir(), `cdp-session-downloads-${process.pid}-${randomBytes(6).toString('hex')}`)
  readonly #pending = new Map<string, Pending>()
  readonly #active = new Set<{ item: DownloadItem; shutdown(): void }>()
  readonly #reserved = new Set<string>()
  readonly #unsubscribe: Array<() => void> = []
  #closed = false

  constructor(session: SessionContext) {
    this.#session = session
    detach(this.#setup(), 'download behavior')
    session.onClose(() => this.#close())
  }

  /** The folder downloads go to when no will-download handler calls setSavePath. */
  setDownloadPath(path: string): void {
    const checked = validateArg('session.setDownloadPath', 'path', pathSchema, path, 'a non-empty folder path')
    this.#downloadPath = resolvePath(checked)
  }

  /** The folder used when none was set: the user's Downloads folder, as Electron's default. */
  downloadPath(): string {
    return this.#downloadPath ?? join(homedir(), 'Downloads')
  }

  createInterruptedDownload(options: CreateInterruptedDownloadOptions): void {
    const api = 'session.createInterruptedDownload'
    const checked = validateArg(api, 'options', interruptedSchema, options, '{ path, urlChain, mimeType?, offset?, length, lastModified?, eTag?, startTime? }')
    const length = checked.length ?? 0
    const offset = checked.offset ?? 0
    if (!checked.path || !checked.urlChain || checked.urlChain.length === 0 || length === 0) {
      const argument = !checked.path ? 'options.path' : !checked.urlChain?.length ? 'options.urlChain' : 'options.length'
      throw electronError(api, argument, 'Must pass non-empty path, urlChain and length.', 'non-empty')
    }
    if (offset >= length) throw electronError(api, 'options.offset', 'Must pass an offset value less than length.', offset)
    const path = resolvePath(checked.path)
    const item = new DownloadItem({
      urlChain: checked.urlChain,
      mimeType: checked.mimeType ?? '',
      contentDisposition: '',
      filename: basename(path),
      totalBytes: length,
      receivedBytes: offset,
      etag: checked.eTag ?? '',
      lastModified: checked.lastModified ?? '',
      startTime: checked.startTime ?? Date.now() / 1000,
      hasUserGesture: false,
      state: 'interrupted',
      savePath: path,
    })
    detach(
      this.#session.bindingFor(api).then((binding) => {
        const driver = new HttpDriver(item, this.#net(binding, undefined))
        item.attachDriver(driver)
        this.#announce(item, null, driver)
      }),
      api,
    )
  }

  downloadURL(url: string, options?: DownloadURLOptions): void {
    const api = 'session.downloadURL'
    const checked = validateArg(api, 'url', urlSchema, url, 'an absolute URL')
    const opts = validateArg(api, 'options', downloadUrlOptionsSchema, options, '{ headers?: Record<string, string> }')
    const parsed = new URL(checked)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new NotSupportedError(`${api}: only http(s) URLs can be downloaded without a page (CDP has no command that starts a Chromium download; blob: and data: downloads need a page: click a link in it).`)
    }
    detach(
      this.#session.bindingFor(api).then(async (binding) => {
        const net = this.#net(binding, undefined)
        const abort = new AbortController()
        let opened: OpenedResponse | undefined
        try {
          opened = await openDownload(net, parsed.href, { signal: abort.signal, ...(opts?.headers ? { headers: opts.headers } : {}) })
        } catch (error) {
          debug('%s %s: %s', api, parsed.href, (error as Error).message)
        }
        const good = opened && isSuccess(opened)
        if (opened && !good) opened.request.destroy()
        const info = good && opened ? describe(opened) : { urlChain: [parsed.href], mimeType: '', contentDisposition: '', etag: '', lastModified: '', totalBytes: 0 }
        const item = new DownloadItem({
          ...info,
          filename: suggestedFilename(info.urlChain.at(-1) ?? parsed.href, info.contentDisposition),
          receivedBytes: 0,
          startTime: Date.now() / 1000,
          hasUserGesture: false,
          state: 'progressing',
        })
        const driver = new HttpDriver(item, net, { ...(good && opened ? { first: opened } : {}), ...(opts?.headers ? { headers: opts.headers } : {}) })
        item.attachDriver(driver)
        this.#announce(item, null, driver)
        // No answer: resumable (resume() asks again); an HTTP error answer ends it.
        if (!good && item.getState() === 'progressing') item.markInterrupted(opened === undefined || (opened.response.statusCode ?? 0) >= 500)
      }),
      api,
    )
  }

  // ---- Chromium's download events ---------------------------------------------------------

  async #setup(): Promise<void> {
    const binding = await this.#session.bindingFor('session downloads')
    const downloadPath = this.#dir
    const { browser } = binding
    if (this.#closed) return
    // The browser going away ends the session without its 'closed' event: stop Node's transfers
    // too (a program must end after browser.close()) and remove the folder.
    detach(browser.whenDetached.then(() => this.#close()), 'downloads at browser close')
    this.#unsubscribe.push(
      browser.on('Browser.downloadWillBegin', (event) => detach(this.#onWillBegin(binding, event), 'will-download')),
      browser.on('Browser.downloadProgress', (event) => this.#onProgress(event)),
    )
    await browser.send('Browser.setDownloadBehavior', {
      behavior: 'allowAndName',
      downloadPath,
      eventsEnabled: true,
      ...(binding.contextId ? { browserContextId: binding.contextId } : {}),
    })
  }

  #pendingFor(guid: string): Pending {
    let pending = this.#pending.get(guid)
    if (!pending) {
      pending = { last: undefined, driver: undefined, waiters: [], timer: undefined }
      this.#pending.set(guid, pending)
    }
    return pending
  }

  #onProgress(event: Protocol.Browser.DownloadProgressEvent): void {
    const pending = this.#pendingFor(event.guid)
    if (pending.driver) pending.driver.progress(event)
    else pending.last = event
    for (const wake of pending.waiters.splice(0)) wake()
    if (event.state !== 'inProgress' && !pending.timer) {
      // Forget it later: another session's, or one this session gave to Node.
      pending.timer = setTimeout(() => this.#pending.delete(event.guid), UNCLAIMED_MS)
      pending.timer.unref()
    }
  }

  async #onWillBegin(binding: SessionBinding, event: Protocol.Browser.DownloadWillBeginEvent): Promise<void> {
    const owner = await this.#ownerOf(binding, event)
    if (!owner || this.#session.closed) return
    const webContents = owner.target?.topPage ? (this.#session.webContentsForTarget(owner.target.topPage.targetId) ?? null) : null
    const dir = this.#dir
    const chromiumFile = join(dir, event.guid)
    const cancelChromium = (): Promise<void> =>
      binding.browser.send('Browser.cancelDownload', { guid: event.guid, ...(binding.contextId ? { browserContextId: binding.contextId } : {}) }).then(() => undefined)
    if (/^https?:/i.test(event.url)) {
      const net = this.#net(binding, owner.target)
      const abort = new AbortController()
      try {
        const opened = await openDownload(net, event.url, { signal: abort.signal })
        if (isSuccess(opened)) {
          await cancelChromium().catch((error: unknown) => debug('Browser.cancelDownload: %s', String(error)))
          await removeChromiumFile(chromiumFile)
          const info = describe(opened)
          const item = new DownloadItem({ ...info, filename: sanitizeFilename(event.suggestedFilename || suggestedFilename(info.urlChain.at(-1)!, info.contentDisposition)), receivedBytes: 0, startTime: Date.now() / 1000, hasUserGesture: false, state: 'progressing' })
          const driver = new HttpDriver(item, net, { first: opened })
          item.attachDriver(driver)
          this.#announce(item, webContents, driver)
          return
        }
        debug('download %s: Node got HTTP %d, Chromium keeps the download', event.url, opened.response.statusCode)
        opened.request.destroy()
      } catch (error) {
        debug('download %s: Node could not fetch it (%s), Chromium keeps the download', event.url, (error as Error).message)
      }
    }
    const pending = this.#pendingFor(event.guid)
    const item = new DownloadItem({
      urlChain: [event.url],
      mimeType: event.url.startsWith('data:') ? dataUrlMimeType(event.url) : '',
      contentDisposition: '',
      filename: sanitizeFilename(event.suggestedFilename || suggestedFilename(event.url, undefined)),
      totalBytes: 0,
      receivedBytes: 0,
      etag: '',
      lastModified: '',
      startTime: Date.now() / 1000,
      hasUserGesture: false,
      state: 'progressing',
    })
    const driver = new ChromiumDriver(item, { cancel: cancelChromium, file: chromiumFile })
    item.attachDriver(driver)
    pending.driver = driver
    if (pending.last) driver.progress(pending.last)
    this.#announce(item, webContents, driver)
  }

  /** Whether a download belongs to this session, and the target that started it when known. */
  async #ownerOf(binding: SessionBinding, event: Protocol.Browser.DownloadWillBeginEvent): Promise<{ target: TargetSession | undefined } | undefined> {
    const { manager } = binding
    const named = manager.target(event.frameId)
    // Pages and cross-site iframes are targets whose id is their frame id.
    if (named) return manager.ownerOf(named) === this.#session ? { target: named } : undefined
    // A same-site iframe's frame lives in the frame tree of one of our targets.
    const hosts = manager.targetsOf(this.#session).filter((t) => hasFrames(t.kind) && !t.closed)
    const found = await Promise.all(hosts.map((host) => frameTreeHas(host, event.frameId)))
    const host = hosts[found.indexOf(true)]
    if (host) return { target: host }
    // A target gone already (a popup that only downloaded): Chromium writes into our folder.
    return (await this.#fileAppears(event.guid)) ? { target: undefined } : undefined
  }

  async #fileAppears(guid: string): Promise<boolean> {
    const dir = this.#dir
    const deadline = Date.now() + OWNER_WAIT_MS
    const pending = this.#pendingFor(guid)
    for (;;) {
      if (existsSync(join(dir, guid)) || existsSync(join(dir, guid + '.crdownload'))) return true
      if ((pending.last && pending.last.state !== 'inProgress') || Date.now() >= deadline) return false
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))
        timer.unref()
        pending.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  // ---- will-download ----------------------------------------------------------------------

  /** Emits will-download; then the item goes to its save path, or is cancelled if prevented. */
  #announce(item: DownloadItem, webContents: WebContents | null, driver: { start(): void; shutdown(): void }): void {
    const entry = { item, shutdown: () => driver.shutdown() }
    this.#active.add(entry)
    item.once('done', () => {
      this.#active.delete(entry)
      this.#reserved.delete(item.getSavePath())
    })
    const event = new ElectronEvent(this.#session.facade)
    try {
      this.#session.facade.emit('will-download', event, item, webContents)
    } catch (error) {
      // Documented policy: a throwing listener neither cancels nor stops the download.
      process.emitWarning(`a 'will-download' listener threw: ${error instanceof Error ? error.message : String(error)}`, { code: 'CDP_SESSION_LISTENER' })
    }
    if (event.defaultPrevented) {
      item.cancel()
      return
    }
    const explicit = item.getSavePath() !== ''
    const path = item.fixSavePath(() => join(this.downloadPath(), item.getFilename()))
    if (!explicit) {
      const unique = uniquePath(path, this.#reserved, PARTIAL_SUFFIX)
      if (!unique) {
        item.markInterrupted(false)
        return
      }
      item.replaceSavePath(unique)
    }
    this.#reserved.add(item.getSavePath())
    driver.start()
  }

  /** How Node reaches the network as this session (and as the target that started the download). */
  #net(binding: SessionBinding, target: TargetSession | undefined): SessionNet {
    const proxy = typeof binding.proxy === 'string' ? undefined : binding.proxy
    const session = this.#session.facade
    return {
      route: async (url) => (proxy ? await proxy.route(url) : [DIRECT]),
      resolver: proxy?.gateway.resolver ?? new CachingResolver(),
      headers: async (url) => {
        const headers: Record<string, string> = {}
        const ua = (target?.topPage ?? target)?.applied.get('ua') as { userAgent: string; acceptLanguage?: string } | undefined
        headers['user-agent'] = ua?.userAgent ?? session.getUserAgent()
        if (ua?.acceptLanguage) headers['accept-language'] = acceptLanguageHeader(ua.acceptLanguage)
        const cookies = await session.cookies.get({ url })
        if (cookies.length > 0) headers.cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ')
        return headers
      },
    }
  }

  #close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
    for (const entry of [...this.#active]) entry.shutdown()
    for (const pending of this.#pending.values()) if (pending.timer) clearTimeout(pending.timer)
    this.#pending.clear()
    // Synchronous: this also runs while a program ends, when an awaited rm would never finish.
    try {
      rmSync(this.#dir, { recursive: true, force: true })
    } catch (error) {
      debug('removing %s: %s', this.#dir, (error as Error).message)
    }
  }
}

function isSuccess(opened: OpenedResponse): boolean {
  const status = opened.response.statusCode ?? 0
  return status >= 200 && status < 300 && status !== 206
}

async function frameTreeHas(target: TargetSession, frameId: string): Promise<boolean> {
  try {
    const tree = await within(target.client.send('Page.getFrameTree').then((r) => r.frameTree), 2000)
    if (!tree) return false
    const walk = (node: Protocol.Page.FrameTree): boolean => node.frame.id === frameId || (node.childFrames ?? []).some(walk)
    return walk(tree)
  } catch (error) {
    debug('Page.getFrameTree: %s', String(error))
    return false
  }
}

async function removeChromiumFile(path: string): Promise<void> {
  await rm(path, { force: true })
  await rm(path + '.crdownload', { force: true })
}

/** A ValidationError with Electron's own text first (callers match on it), naming the argument. */
function electronError(api: string, argument: string, text: string, value: unknown): ValidationError {
  const error = new ValidationError(api, argument, value, text)
  error.message = `${text} (${api}: argument '${argument}')`
  return error
}
