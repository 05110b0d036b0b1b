// Pure helpers of ses.protocol: scheme rules, the request object handed to a
// handler, and the translation of what a handler answers (Electron's response
// forms) into one plan the protocol layer carries out over CDP.
import { Readable } from 'node:stream'
import type { Protocol } from 'devtools-protocol'
import { z } from 'zod'
import { ValidationError } from './errors.js'
import { contentType, mimeTypeForPath } from './mime.js'
import { netErrorName } from './net-errors.js'
import { validateArg } from './validate.js'

export type ProtocolKind = 'file' | 'buffer' | 'string' | 'http' | 'stream'
export type HeaderEntry = Protocol.Fetch.HeaderEntry

/** Electron's UploadData (raw bytes; Chromium inlines blob and form bodies as bytes before CDP sees them). */
export interface UploadData {
  type: 'rawData'
  bytes: Buffer
}

/** Electron's ProtocolRequest. */
export interface ProtocolRequest {
  url: string
  method: string
  referrer: string
  headers: Record<string, string>
  uploadData?: UploadData[]
}

/** What the protocol layer does with one request. */
export type ResponsePlan =
  | { type: 'fail'; netError: number; errorReason: Protocol.Network.ErrorReason }
  | { type: 'body'; statusCode: number; headers: HeaderEntry[]; body: Buffer }
  | { type: 'file'; statusCode: number; headers: HeaderEntry[]; path: string }
  | { type: 'stream'; statusCode: number; headers: HeaderEntry[]; stream: Readable }
  | { type: 'http'; url: string; method: string | undefined; upload: { contentType: string | undefined; data: Buffer } | undefined; session: unknown }

/** Schemes Chromium handles itself: they cannot be registered. */
export const BUILTIN_SCHEMES: ReadonlySet<string> = new Set([
  'about', 'blob', 'chrome', 'chrome-extension', 'chrome-untrusted', 'data', 'devtools', 'file', 'filesystem',
  'http', 'https', 'javascript', 'view-source', 'ws', 'wss',
])

/**
 * Built-in schemes whose requests reach Fetch.requestPaused (measured on
 * Chromium 156: http and https everywhere, file:// documents and
 * subresources). data:, blob:, about:, javascript: are answered inside the
 * renderer and ws:/wss: handshakes skip Fetch, so none of them can be
 * intercepted over CDP.
 */
export const INTERCEPTABLE_BUILTIN_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'file'])

const schemeSchema = z.string().regex(/^[a-z][a-z0-9+.-]*$/)

/** Validates a scheme name as Chromium's URL parser accepts it (lower case, no ':'). */
export function validateScheme(api: string, scheme: unknown): string {
  return validateArg(api, 'scheme', schemeSchema, scheme, "a scheme name such as 'app': lower-case letters, digits, '+', '-' or '.', starting with a letter, without ':'")
}

/** The Fetch pattern that pauses every request of a scheme. */
export function schemePattern(scheme: string): Protocol.Fetch.RequestPattern {
  return { urlPattern: `${scheme}:*`, requestStage: 'Request' }
}

/** The scheme of a URL ('' when it has none). */
export function schemeOf(url: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)
  return match ? match[1]!.toLowerCase() : ''
}

/** Electron's request object from a paused request. */
export function protocolRequest(request: Protocol.Network.Request): ProtocolRequest {
  const headers = { ...request.headers }
  const referrerHeader = Object.entries(headers).find(([name]) => name.toLowerCase() === 'referer')?.[1]
  const result: ProtocolRequest = {
    url: request.url + (request.urlFragment ?? ''),
    method: request.method,
    referrer: referrerHeader ?? '',
    headers,
  }
  if (request.postDataEntries && request.postDataEntries.length > 0) {
    result.uploadData = request.postDataEntries.map((entry) => ({ type: 'rawData', bytes: Buffer.from(entry.bytes ?? '', 'base64') }))
  } else if (request.postData !== undefined) {
    result.uploadData = [{ type: 'rawData', bytes: Buffer.from(request.postData, 'utf8') }]
  }
  return result
}

// Network.ErrorReason is all Fetch.failRequest can send; these net errors
// have an exact counterpart there.
const ERROR_REASONS: ReadonlyMap<number, Protocol.Network.ErrorReason> = new Map([
  [-2, 'Failed'],
  [-3, 'Aborted'],
  [-7, 'TimedOut'],
  [-10, 'AccessDenied'],
  [-20, 'BlockedByClient'],
  [-27, 'BlockedByResponse'],
  [-100, 'ConnectionClosed'],
  [-101, 'ConnectionReset'],
  [-102, 'ConnectionRefused'],
  [-103, 'ConnectionAborted'],
  [-104, 'ConnectionFailed'],
  [-105, 'NameNotResolved'],
  [-106, 'InternetDisconnected'],
  [-109, 'AddressUnreachable'],
])

/**
 * The Fetch.failRequest reason for a Chromium net error number. CDP can only
 * fail a request with the 14 reasons above; any other known net error (e.g.
 * -6 FILE_NOT_FOUND) reaches the page as net::ERR_FAILED.
 */
export function errorReasonFor(netError: number): Protocol.Network.ErrorReason {
  return ERROR_REASONS.get(netError) ?? 'Failed'
}

/** Whether a net error number has its own Fetch.failRequest reason (else it is reported as ERR_FAILED). */
export function hasExactErrorReason(netError: number): boolean {
  return ERROR_REASONS.has(netError)
}

export function failPlan(netError: number): ResponsePlan {
  return { type: 'fail', netError, errorReason: errorReasonFor(netError) }
}

const headerValues = z.record(z.string(), z.union([z.string(), z.array(z.string())]))
const common = {
  statusCode: z.number().int().min(100).max(599).optional(),
  headers: headerValues.optional(),
  mimeType: z.string().min(1).optional(),
  charset: z.string().min(1).optional(),
}
const errorSchema = z.looseObject({ error: z.number().int().refine((n) => n < 0 && netErrorName(n) !== undefined, 'not a known Chromium net error number') })
const fileSchema = z.union([z.string().min(1), z.looseObject({ ...common, path: z.string().min(1) })])
const bufferSchema = z.union([z.instanceof(Buffer), z.looseObject({ ...common, data: z.union([z.instanceof(Buffer), z.instanceof(Uint8Array), z.string()]).optional() })])
const stringSchema = z.union([z.string(), z.looseObject({ ...common, data: z.string().optional() })])
const httpSchema = z.looseObject({
  url: z.string().refine((u) => URL.canParse(u), 'not an absolute URL'),
  method: z.string().regex(/^[A-Za-z]+$/).optional(),
  session: z.unknown().optional(),
  referrer: z.string().optional(),
  uploadData: z.looseObject({ contentType: z.string().optional(), data: z.union([z.string(), z.instanceof(Buffer)]) }).optional(),
})
const streamSchema = z.looseObject({ ...common, data: z.unknown().optional() })

const EXPECTED: Record<ProtocolKind, string> = {
  file: 'a file path string or { path, statusCode?, headers?, mimeType?, charset? } or { error: <net error number> }',
  buffer: 'a Buffer or { data?: Buffer | string, mimeType?, charset?, statusCode?, headers? } or { error: <net error number> }',
  string: 'a string or { data?: string, mimeType?, charset?, statusCode?, headers? } or { error: <net error number> }',
  http: '{ url, method?, session?, uploadData?: { contentType?, data } } or { error: <net error number> }',
  stream: 'a Readable stream or { statusCode?, headers?, data: Readable | null } or { error: <net error number> }',
}

/**
 * Translates what a handler passed to its callback into a plan. `undefined`
 * (callback called with nothing) fails the request with net::ERR_FAILED, as an
 * empty answer does in Electron. Throws ValidationError for anything else that
 * is not one of Electron's forms for `kind`.
 */
export function planResponse(api: string, kind: ProtocolKind, response: unknown): ResponsePlan {
  if (response === undefined || response === null) return failPlan(-2)
  if (typeof response === 'object' && 'error' in response) {
    const { error } = validateArg(api, 'response', errorSchema, response, EXPECTED[kind])
    return failPlan(error)
  }
  switch (kind) {
    case 'file': {
      const parsed = validateArg(api, 'response', fileSchema, response, EXPECTED.file)
      const options = typeof parsed === 'string' ? { path: parsed } : parsed
      const mimeType = options.mimeType ?? mimeTypeForPath(options.path)
      return { type: 'file', statusCode: options.statusCode ?? 200, headers: responseHeaders(options, mimeType), path: options.path }
    }
    case 'buffer':
    case 'string': {
      const parsed = validateArg(api, 'response', kind === 'buffer' ? bufferSchema : stringSchema, response, EXPECTED[kind])
      const options = typeof parsed === 'string' || Buffer.isBuffer(parsed) ? { data: parsed } : parsed
      const { data } = options as { data?: string | Uint8Array }
      const body = data === undefined ? Buffer.alloc(0) : typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data)
      return { type: 'body', statusCode: options.statusCode ?? 200, headers: responseHeaders(options, options.mimeType ?? 'text/html'), body }
    }
    case 'http': {
      const parsed = validateArg(api, 'response', httpSchema, response, EXPECTED.http)
      const upload = parsed.uploadData
        ? { contentType: parsed.uploadData.contentType, data: typeof parsed.uploadData.data === 'string' ? Buffer.from(parsed.uploadData.data, 'utf8') : parsed.uploadData.data }
        : undefined
      return { type: 'http', url: parsed.url, method: parsed.method?.toUpperCase(), upload, session: 'session' in parsed ? parsed.session : undefined }
    }
    case 'stream': {
      const direct = asReadable(response)
      if (direct) return { type: 'stream', statusCode: 200, headers: responseHeaders({}, 'text/html'), stream: direct }
      const parsed = validateArg(api, 'response', streamSchema, response, EXPECTED.stream)
      const headers = responseHeaders(parsed, parsed.mimeType ?? 'text/html')
      const statusCode = parsed.statusCode ?? 200
      if (parsed.data === null || parsed.data === undefined) return { type: 'body', statusCode, headers, body: Buffer.alloc(0) }
      const stream = asReadable(parsed.data)
      if (!stream) throw new ValidationError(api, 'response.data', parsed.data, 'a Readable stream or null')
      return { type: 'stream', statusCode, headers, stream }
    }
  }
}

/** A Node Readable for a Node or web stream; undefined for anything else. */
export function asReadable(value: unknown): Readable | undefined {
  if (value instanceof Readable) return value
  if (typeof value !== 'object' || value === null) return undefined
  if (typeof (value as { getReader?: unknown }).getReader === 'function') {
    return Readable.fromWeb(value as Parameters<typeof Readable.fromWeb>[0])
  }
  const candidate = value as { pipe?: unknown; on?: unknown; read?: unknown }
  if (typeof candidate.pipe === 'function' && typeof candidate.on === 'function' && typeof candidate.read === 'function') {
    return new Readable().wrap(value as NodeJS.ReadableStream)
  }
  return undefined
}

/**
 * Response headers in CDP's list form. A Content-Type among `headers` wins;
 * otherwise it is built from mimeType and charset (default utf-8), as Electron does.
 */
export function responseHeaders(
  options: { headers?: Record<string, string | string[]>; mimeType?: string; charset?: string },
  mimeType: string,
): HeaderEntry[] {
  const entries: HeaderEntry[] = []
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) entries.push({ name, value: v })
  }
  if (!entries.some((e) => e.name.toLowerCase() === 'content-type')) {
    entries.push({ name: 'Content-Type', value: contentType(mimeType, options.charset ?? 'utf-8', options.charset !== undefined) })
  }
  return entries
}
