// ses.netLog: this session's network events in Chromium's NetLog JSON format (what
// chrome://net-export writes and the netlog viewer opens), or as a HAR 1.2 archive when the path
// ends in `.har` (what DevTools' Network panel imports). Chromium's own NetLog is per process
// (--log-net-log), so the log is built from the CDP Network events of the session's targets
// only: pages, frames and workers of this session, never another session's.
import { createWriteStream, type WriteStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import type { Protocol } from 'devtools-protocol'
import { z } from 'zod'
import { CdpSessionError } from '../common/errors.js'
import { NET_ERRORS, netErrorCode } from '../common/net-errors.js'
import { GATEWAY_MASKED_ERRORS } from '../net/session-proxy.js'
import { debug } from '../common/util.js'
import { validateArg } from '../common/validate.js'
import type { TargetSession } from '../cdp/target-session.js'
import type { SessionContext } from './context.js'

export interface NetLogOptions {
  /** 'default' strips cookies and credentials; 'includeSensitive' keeps them; 'everything' too (CDP has no socket bytes to add). */
  captureMode?: 'default' | 'includeSensitive' | 'everything'
  /** Bytes at most; events past it are dropped (and the file says so). Default: unbounded. */
  maxFileSize?: number
}

const optionsSchema = z
  .strictObject({ captureMode: z.enum(['default', 'includeSensitive', 'everything']).optional(), maxFileSize: z.number().int().positive().optional() })
  .optional()

/** Headers whose values Chromium's NetLog elides unless sensitive data is asked for. */
const SENSITIVE = new Set(['cookie', 'set-cookie', 'set-cookie2', 'authorization', 'proxy-authorization', 'www-authenticate', 'proxy-authenticate'])

// The NetLog constants this log uses (names as in Chromium's net_log_event_type_list.h and
// net_log_source_type_list.h; the numbers are this file's own, which the format allows: a
// reader maps them through `constants`).
const EVENT_TYPES = ['REQUEST_ALIVE', 'URL_REQUEST_START_JOB', 'HTTP_TRANSACTION_SEND_REQUEST_HEADERS', 'HTTP_TRANSACTION_READ_RESPONSE_HEADERS', 'URL_REQUEST_REDIRECTED', 'URL_REQUEST_JOB_FILTERED_BYTES_READ', 'FAILED'] as const
type EventType = (typeof EVENT_TYPES)[number]
const SOURCE_TYPES = ['NONE', 'URL_REQUEST'] as const
const PHASE = { PHASE_NONE: 0, PHASE_BEGIN: 1, PHASE_END: 2 } as const

function constants(): Record<string, unknown> {
  return {
    logFormatVersion: 1,
    clientInfo: { name: 'cdp-session', cl: '', version: '', official: 'unofficial', os_type: process.platform, command_line: '' },
    logEventTypes: Object.fromEntries(EVENT_TYPES.map((name, i) => [name, i])),
    logSourceType: Object.fromEntries(SOURCE_TYPES.map((name, i) => [name, i])),
    logEventPhase: PHASE,
    netError: Object.fromEntries(NET_ERRORS),
    // Times below are wall-clock ms already.
    timeTickOffset: '0',
    loadFlag: { NORMAL: 0 },
    loadState: {},
    addressFamily: {},
    certStatusFlag: {},
    certVerifierFlags: {},
    certVerifyFlags: {},
    dnsQueryType: {},
    quicError: {},
    quicRstStreamError: {},
    secureDnsMode: {},
    netInfoSources: {},
    activeFieldTrialGroups: [],
  }
}

interface Tracked {
  source: number
  url: string
  method: string
  wallStart: number
  startTime: number
  har?: HarEntry
  /** The request headers as first reported (without cookies), until the raw ones arrive. */
  basicHeaders?: Protocol.Network.Headers
  /** Set when the response's raw headers (with Set-Cookie) are to come in responseReceivedExtraInfo. */
  awaitingRawResponse?: { response: Protocol.Network.Response; timestamp: number }
}

/** ExtraInfo events that came before their request or response (Chromium sends both orders). */
interface Early {
  requestHeaders?: Protocol.Network.Headers
  response?: { headers: Protocol.Network.Headers; headersText?: string; statusCode: number }
}

interface HarEntry {
  startedDateTime: string
  time: number
  request: { method: string; url: string; httpVersion: string; headers: Array<{ name: string; value: string }>; queryString: Array<{ name: string; value: string }>; cookies: never[]; headersSize: number; bodySize: number; postData?: { mimeType: string; text: string } }
  response: { status: number; statusText: string; httpVersion: string; headers: Array<{ name: string; value: string }>; cookies: never[]; content: { size: number; mimeType: string }; redirectURL: string; headersSize: number; bodySize: number; _error?: string }
  cache: Record<string, never>
  timings: { send: number; wait: number; receive: number }
  serverIPAddress?: string
  _resourceType?: string
}

/** One logging run: where it goes, what it keeps, and the per-request bookkeeping. */
class Recorder {
  readonly path: string
  readonly har: boolean
  readonly sensitive: boolean
  readonly #maxSize: number | undefined
  readonly #stream: WriteStream | undefined
  readonly #requests = new Map<string, Tracked>()
  readonly #early = new Map<string, Early>()
  readonly #entries: HarEntry[] = []
  #size = 0
  #dropped = 0
  #events = 0
  #nextSource = 1
  /** CDP's MonotonicTime → wall-clock seconds, learnt from the first requestWillBeSent. */
  #offset: number | undefined
  #failed: Error | undefined

  constructor(path: string, options: NetLogOptions) {
    this.path = path
    this.har = path.toLowerCase().endsWith('.har')
    this.sensitive = options.captureMode !== undefined && options.captureMode !== 'default'
    this.#maxSize = options.maxFileSize
    if (!this.har) {
      this.#stream = createWriteStream(path)
      this.#stream.on('error', (error) => {
        this.#failed = error
      })
      this.#write(`{"constants":${JSON.stringify(constants())},\n"events":[\n`)
    }
  }

  /** Opens the file (resolves once it exists) or rejects with why it cannot be written. */
  ready(): Promise<void> {
    if (this.har) return writeFile(this.path, '')
    const stream = this.#stream!
    return new Promise((resolve, reject) => {
      if (stream.pending) {
        stream.once('ready', () => resolve())
        stream.once('error', reject)
      } else resolve()
    })
  }

  #write(text: string): void {
    if (this.#maxSize !== undefined && this.#size + Buffer.byteLength(text) > this.#maxSize - 64) {
      this.#dropped += 1
      return
    }
    this.#size += Buffer.byteLength(text)
    this.#stream?.write(text)
  }

  #time(timestamp: number): number {
    return Math.round((timestamp + (this.#offset ?? 0)) * 1000)
  }

  #event(tracked: Tracked, type: EventType, phase: number, timestamp: number, params?: Record<string, unknown>): void {
    if (this.har) return
    const event: Record<string, unknown> = {
      time: String(this.#time(timestamp)),
      type: EVENT_TYPES.indexOf(type),
      source: { id: tracked.source, type: SOURCE_TYPES.indexOf('URL_REQUEST'), start_time: String(tracked.startTime) },
      phase,
    }
    if (params) event.params = params
    this.#write(`${this.#events++ === 0 ? '' : ',\n'}${JSON.stringify(event)}`)
  }

  #headerLines(headers: Protocol.Network.Headers): string[] {
    const lines: string[] = []
    for (const [name, value] of Object.entries(headers)) {
      for (const one of String(value).split('\n')) lines.push(`${name}: ${this.#value(name, one)}`)
    }
    return lines
  }

  #headerList(headers: Protocol.Network.Headers): Array<{ name: string; value: string }> {
    const list: Array<{ name: string; value: string }> = []
    for (const [name, value] of Object.entries(headers)) {
      for (const one of String(value).split('\n')) list.push({ name, value: this.#value(name, one) })
    }
    return list
  }

  #value(name: string, value: string): string {
    return this.sensitive || !SENSITIVE.has(name.toLowerCase()) ? value : `[${Buffer.byteLength(value)} bytes were stripped]`
  }

  requestWillBeSent(e: Protocol.Network.RequestWillBeSentEvent): void {
    this.#offset ??= e.wallTime - e.timestamp
    const previous = this.#requests.get(e.requestId)
    if (previous && e.redirectResponse) {
      this.#response(previous, e.redirectResponse, e.timestamp)
      this.#event(previous, 'URL_REQUEST_REDIRECTED', PHASE.PHASE_NONE, e.timestamp, { location: e.request.url })
      this.#finish(previous, e.timestamp, undefined, e.request.url)
    }
    const tracked: Tracked = { source: this.#nextSource++, url: e.request.url, method: e.request.method, wallStart: e.wallTime, startTime: this.#time(e.timestamp) }
    this.#requests.set(e.requestId, tracked)
    this.#event(tracked, 'REQUEST_ALIVE', PHASE.PHASE_BEGIN, e.timestamp)
    this.#event(tracked, 'URL_REQUEST_START_JOB', PHASE.PHASE_BEGIN, e.timestamp, { url: e.request.url, method: e.request.method, load_flags: 0, initiator: e.initiator.url ?? 'not an origin' })
    tracked.basicHeaders = e.request.headers
    if (this.har) {
      const url = new URL(e.request.url)
      tracked.har = {
        startedDateTime: new Date(e.wallTime * 1000).toISOString(),
        time: 0,
        request: {
          method: e.request.method,
          url: e.request.url,
          httpVersion: 'HTTP/1.1',
          headers: this.#headerList(e.request.headers),
          queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
          cookies: [],
          headersSize: -1,
          bodySize: e.request.postData === undefined ? 0 : Buffer.byteLength(e.request.postData),
        },
        response: { status: 0, statusText: '', httpVersion: '', headers: [], cookies: [], content: { size: 0, mimeType: '' }, redirectURL: '', headersSize: -1, bodySize: -1 },
        cache: {},
        timings: { send: 0, wait: 0, receive: 0 },
        _resourceType: (e.type ?? 'Other').toLowerCase(),
      }
      if (e.request.postData !== undefined) tracked.har.request.postData = { mimeType: String(e.request.headers['Content-Type'] ?? e.request.headers['content-type'] ?? ''), text: e.request.postData }
    }
    const early = this.#early.get(e.requestId)
    if (early?.requestHeaders) {
      this.#early.delete(e.requestId)
      this.#sendHeaders(tracked, early.requestHeaders, e.timestamp)
    }
  }

  /** The request headers as sent (Cookie included): from requestWillBeSentExtraInfo, else the first report. */
  #sendHeaders(tracked: Tracked, headers: Protocol.Network.Headers, timestamp: number): void {
    tracked.basicHeaders = undefined
    const url = new URL(tracked.url)
    this.#event(tracked, 'HTTP_TRANSACTION_SEND_REQUEST_HEADERS', PHASE.PHASE_NONE, timestamp, {
      line: `${tracked.method} ${url.pathname}${url.search} HTTP/1.1\r\n`,
      headers: this.#headerLines(headers),
    })
    if (tracked.har) tracked.har.request.headers = this.#headerList(headers)
  }

  requestWillBeSentExtraInfo(e: Protocol.Network.RequestWillBeSentExtraInfoEvent): void {
    const tracked = this.#requests.get(e.requestId)
    if (tracked?.basicHeaders) this.#sendHeaders(tracked, e.headers, tracked.startTime / 1000 - (this.#offset ?? 0))
    else if (!tracked) this.#early.set(e.requestId, { ...this.#early.get(e.requestId), requestHeaders: e.headers })
  }

  responseReceivedExtraInfo(e: Protocol.Network.ResponseReceivedExtraInfoEvent): void {
    const tracked = this.#requests.get(e.requestId)
    const pending = tracked?.awaitingRawResponse
    if (tracked && pending) {
      tracked.awaitingRawResponse = undefined
      this.#response(tracked, { ...pending.response, headers: e.headers }, pending.timestamp)
    } else if (!tracked || !tracked.har?.response.status) {
      this.#early.set(e.requestId, { ...this.#early.get(e.requestId), response: { headers: e.headers, statusCode: e.statusCode, ...(e.headersText ? { headersText: e.headersText } : {}) } })
    }
  }

  #response(tracked: Tracked, response: Protocol.Network.Response, timestamp: number): void {
    this.#event(tracked, 'HTTP_TRANSACTION_READ_RESPONSE_HEADERS', PHASE.PHASE_NONE, timestamp, {
      headers: [`${response.protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1'} ${response.status} ${response.statusText}`.trim(), ...this.#headerLines(response.headers)],
    })
    if (tracked.har) {
      tracked.har.response.status = response.status
      tracked.har.response.statusText = response.statusText
      tracked.har.response.httpVersion = response.protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1'
      tracked.har.response.headers = this.#headerList(response.headers)
      tracked.har.response.content.mimeType = response.mimeType
      if (response.remoteIPAddress) tracked.har.serverIPAddress = response.remoteIPAddress
      tracked.har.timings.wait = Math.max(0, Math.round((timestamp + (this.#offset ?? 0) - tracked.wallStart) * 1000))
    }
  }

  responseReceived(e: Protocol.Network.ResponseReceivedEvent): void {
    const tracked = this.#requests.get(e.requestId)
    if (!tracked) return
    if (tracked.basicHeaders) this.#sendHeaders(tracked, tracked.basicHeaders, e.timestamp)
    const raw = this.#early.get(e.requestId)?.response
    if (raw && raw.statusCode === e.response.status) {
      this.#early.delete(e.requestId)
      this.#response(tracked, { ...e.response, headers: raw.headers }, e.timestamp)
    } else if (e.hasExtraInfo) tracked.awaitingRawResponse = { response: e.response, timestamp: e.timestamp }
    else this.#response(tracked, e.response, e.timestamp)
  }

  loadingFinished(e: Protocol.Network.LoadingFinishedEvent): void {
    const tracked = this.#requests.get(e.requestId)
    if (!tracked) return
    this.#event(tracked, 'URL_REQUEST_JOB_FILTERED_BYTES_READ', PHASE.PHASE_NONE, e.timestamp, { byte_count: e.encodedDataLength })
    if (tracked.har) {
      tracked.har.response.content.size = e.encodedDataLength
      tracked.har.response.bodySize = e.encodedDataLength
    }
    this.#finish(tracked, e.timestamp, undefined)
    this.#requests.delete(e.requestId)
  }

  /** `gatewayError`: the real cause of a failure the session gateway masked (session-proxy.ts). */
  loadingFailed(e: Protocol.Network.LoadingFailedEvent, gatewayError: (url: string) => string | undefined): void {
    const tracked = this.#requests.get(e.requestId)
    if (!tracked) return
    const reported = e.errorText.replace(/^net::/, '').replace(/\..*$/, '')
    const name = (GATEWAY_MASKED_ERRORS.has(reported) ? gatewayError(tracked.url) : undefined) ?? reported
    this.#event(tracked, 'FAILED', PHASE.PHASE_NONE, e.timestamp, { net_error: netErrorCode(name) ?? -2 })
    if (tracked.har) tracked.har.response._error = `net::${name}`
    this.#finish(tracked, e.timestamp, netErrorCode(name) ?? -2)
    this.#requests.delete(e.requestId)
  }

  #finish(tracked: Tracked, timestamp: number, netError: number | undefined, redirectURL?: string): void {
    if (tracked.basicHeaders) this.#sendHeaders(tracked, tracked.basicHeaders, timestamp)
    if (tracked.awaitingRawResponse) this.#response(tracked, tracked.awaitingRawResponse.response, tracked.awaitingRawResponse.timestamp)
    tracked.awaitingRawResponse = undefined
    this.#event(tracked, 'URL_REQUEST_START_JOB', PHASE.PHASE_END, timestamp)
    this.#event(tracked, 'REQUEST_ALIVE', PHASE.PHASE_END, timestamp, netError === undefined ? undefined : { net_error: netError })
    if (!tracked.har) return
    tracked.har.time = Math.max(0, Math.round((timestamp + (this.#offset ?? 0) - tracked.wallStart) * 1000))
    tracked.har.timings.receive = Math.max(0, tracked.har.time - tracked.har.timings.wait)
    if (redirectURL) tracked.har.response.redirectURL = redirectURL
    const size = Buffer.byteLength(JSON.stringify(tracked.har))
    if (this.#maxSize !== undefined && this.#size + size > this.#maxSize - 512) this.#dropped += 1
    else {
      this.#size += size
      this.#entries.push(tracked.har)
    }
    tracked.har = undefined
  }

  /** Ends the file: the closing of the events list (NetLog) or the whole archive (HAR). */
  async close(): Promise<void> {
    if (this.har) {
      // Requests still in flight go in as they are (DevTools exports pending requests too).
      for (const tracked of this.#requests.values()) {
        if (!tracked.har) continue
        if (tracked.basicHeaders) tracked.har.request.headers = this.#headerList(tracked.basicHeaders)
        this.#entries.push(tracked.har)
      }
      const log = {
        log: {
          version: '1.2',
          creator: { name: 'cdp-session', version: '0.1.0' },
          pages: [],
          entries: this.#entries,
          ...(this.#dropped > 0 ? { comment: `${this.#dropped} entries were dropped (maxFileSize)` } : {}),
        },
      }
      await writeFile(this.path, JSON.stringify(log, null, 1))
      return
    }
    const stream = this.#stream!
    const tail = `\n],\n"polledData":{${this.#dropped > 0 ? `"cdpSessionDroppedEvents":${this.#dropped}` : ''}}}\n`
    this.#size += tail.length
    stream.write(tail)
    await new Promise<void>((resolve, reject) => {
      stream.end(() => (this.#failed ? reject(this.#failed) : resolve()))
    })
  }
}

/** Electron's `ses.netLog`. */
export class NetLog {
  readonly #core: SessionContext
  #recorder: Recorder | undefined
  #hook: { ready: Promise<void>; remove(): void } | undefined
  #off: Array<() => void> = []

  /** @internal */
  constructor(core: SessionContext) {
    this.#core = core
    core.onClose(() => {
      if (this.#recorder) this.stopLogging().catch((error: unknown) => debug('netLog: closing with the session: %s', String(error)))
    })
  }

  get currentlyLogging(): boolean {
    return this.#recorder !== undefined
  }

  /** The file being written, '' while not logging (Electron's deprecated property). */
  get currentlyLoggingPath(): string {
    return this.#recorder?.path ?? ''
  }

  /**
   * Starts recording this session's network events to `path` (NetLog JSON; HAR 1.2 if it ends
   * in `.har`). Resolves once the file is open and every live target reports its requests.
   */
  async startLogging(path: string, options?: NetLogOptions): Promise<void> {
    const api = 'netLog.startLogging'
    validateArg(api, 'path', z.string().refine(isAbsolute, 'not an absolute path'), path, 'an absolute file path')
    const parsed = validateArg(api, 'options', optionsSchema, options, "{ captureMode?: 'default' | 'includeSensitive' | 'everything', maxFileSize?: bytes }") ?? {}
    this.#core.assertOpen(api)
    if (this.#recorder) throw new CdpSessionError('ERR_INVALID_ARGUMENT', 'There is already a net log running')
    const recorder = new Recorder(path, parsed)
    this.#recorder = recorder
    try {
      await recorder.ready()
    } catch (error) {
      this.#recorder = undefined
      throw error
    }
    this.#hook = this.#core.addTargetHook({ apply: (target) => this.#watch(target, recorder) })
    await this.#hook.ready
  }

  /** Stops recording; resolves with the path once the file is complete. */
  async stopLogging(): Promise<string> {
    const recorder = this.#recorder
    if (!recorder) throw new CdpSessionError('ERR_INVALID_ARGUMENT', 'No net log in progress')
    this.#recorder = undefined
    this.#hook?.remove()
    this.#hook = undefined
    for (const off of this.#off.splice(0)) off()
    await recorder.close()
    return recorder.path
  }

  #watch(target: TargetSession, recorder: Recorder): Array<Promise<unknown>> {
    const { client } = target
    this.#off.push(
      client.on('Network.requestWillBeSent', (e) => recorder.requestWillBeSent(e)),
      client.on('Network.responseReceived', (e) => recorder.responseReceived(e)),
      client.on('Network.loadingFinished', (e) => recorder.loadingFinished(e)),
      client.on('Network.loadingFailed', (e) => recorder.loadingFailed(e, (url) => this.#core.gatewayFailure(url))),
      client.on('Network.requestWillBeSentExtraInfo', (e) => recorder.requestWillBeSentExtraInfo(e)),
      client.on('Network.responseReceivedExtraInfo', (e) => recorder.responseReceivedExtraInfo(e)),
    )
    return [target.enable('Network')]
  }
}
