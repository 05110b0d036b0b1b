// File names of downloads, decided the way Chromium does (net/base/filename_util.cc,
// components/download): the Content-Disposition `filename*` (RFC 5987/6266) wins over
// `filename`, then the last path segment of the URL, then "download"; a name that exists is
// uniquified as "name (1).ext" (base::GetUniquePathNumber: up to 100).
import { existsSync } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'

/** The `filename*` / `filename` parameter of a Content-Disposition header, decoded; undefined if none. */
export function filenameFromContentDisposition(header: string | undefined): string | undefined {
  if (!header) return undefined
  const params = parseParameters(header)
  const extended = params.get('filename*')
  if (extended !== undefined) {
    const decoded = decodeExtendedValue(extended)
    if (decoded) return decoded
  }
  const plain = params.get('filename')
  if (plain) return decodePlainValue(plain)
  return undefined
}

/** Parameters of a header value such as `attachment; filename="a b.txt"; filename*=UTF-8''%C3%A9`. */
function parseParameters(header: string): Map<string, string> {
  const params = new Map<string, string>()
  // Skip the disposition type.
  let i = header.indexOf(';')
  while (i >= 0 && i < header.length) {
    i++
    while (header[i] === ' ' || header[i] === '\t') i++
    const eq = header.indexOf('=', i)
    if (eq < 0) break
    const name = header.slice(i, eq).trim().toLowerCase()
    let j = eq + 1
    while (header[j] === ' ' || header[j] === '\t') j++
    let value = ''
    if (header[j] === '"') {
      j++
      while (j < header.length && header[j] !== '"') {
        if (header[j] === '\\' && j + 1 < header.length) j++
        value += header[j]
        j++
      }
      const next = header.indexOf(';', j)
      i = next
    } else {
      const next = header.indexOf(';', j)
      value = (next < 0 ? header.slice(j) : header.slice(j, next)).trim()
      i = next
    }
    if (name && !params.has(name)) params.set(name, value)
  }
  return params
}

/** RFC 5987 `charset'lang'pct-encoded`; UTF-8 and ISO-8859-1 as Chromium accepts. */
function decodeExtendedValue(value: string): string | undefined {
  const match = /^([^']*)'[^']*'(.*)$/.exec(value)
  if (!match) return undefined
  const charset = match[1]!.toLowerCase()
  const bytes = percentBytes(match[2]!)
  if (!bytes) return undefined
  if (charset === 'utf-8') {
    const text = new TextDecoder('utf-8', { fatal: true })
    try {
      return text.decode(bytes)
    } catch {
      return undefined
    }
  }
  if (charset === 'iso-8859-1' || charset === 'us-ascii') return Buffer.from(bytes).toString('latin1')
  return undefined
}

function percentBytes(text: string): Uint8Array | undefined {
  const out: number[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '%') {
      const hex = text.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined
      out.push(parseInt(hex, 16))
      i += 2
    } else out.push(c.charCodeAt(0) & 0xff)
  }
  return Uint8Array.from(out)
}

/** A plain `filename` value: percent-escapes and raw UTF-8 bytes are decoded as Chromium does. */
function decodePlainValue(value: string): string {
  if (/%[0-9a-fA-F]{2}/.test(value)) {
    try {
      return decodeURIComponent(value)
    } catch {
      return value
    }
  }
  // Servers often send raw UTF-8 that Node read as latin1.
  // eslint-disable-next-line no-control-regex
  if (/[\x80-\xff]/.test(value) && !/[^\x00-\xff]/.test(value)) {
    const bytes = Buffer.from(value, 'latin1')
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      return value
    }
  }
  return value
}

/** The last non-empty path segment of an http(s)/file URL, decoded; undefined for other URLs. */
export function filenameFromUrl(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined
  const parsed = new URL(url)
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:' && parsed.protocol !== 'file:') return undefined
  // GURL::ExtractFileName: what follows the last slash ("/dir/" has none).
  const last = parsed.pathname.slice(parsed.pathname.lastIndexOf('/') + 1)
  if (!last) return undefined
  try {
    return decodeURIComponent(last)
  } catch {
    return last
  }
}

/**
 * The name Chromium generates (net::GenerateFileName with the default name "download"):
 * Content-Disposition, else the suggested name (a download attribute), else the URL's file
 * name, else "download"; made safe for a file system.
 */
export function suggestedFilename(url: string, contentDisposition: string | undefined, suggested?: string): string {
  const name = filenameFromContentDisposition(contentDisposition) || suggested || filenameFromUrl(url) || 'download'
  return sanitizeFilename(name)
}

/** Path separators, control characters and reserved characters become '_'; leading dots and trailing dots/spaces go. */
export function sanitizeFilename(name: string): string {
  // eslint-disable-next-line no-control-regex
  let safe = basename(name.replace(/\\/g, '/')).replace(/[\x00-\x1f\x7f<>:"/\\|?*]/g, '_')
  safe = safe.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '')
  return safe === '' ? 'download' : safe
}

/** Extensions Chromium keeps together when inserting " (n)" (FilePath::Extension's double extensions). */
const DOUBLE_EXTENSIONS = new Set(['gz', 'z', 'bz2', 'xz', 'zst', 'lz', 'lzma', 'br'])

/** "a.tar.gz" → ["a", ".tar.gz"], "a.txt" → ["a", ".txt"], "a" → ["a", ""]. */
function splitExtension(name: string): [string, string] {
  const last = extname(name)
  if (!last) return [name, '']
  const stem = name.slice(0, -last.length)
  const inner = extname(stem)
  if (inner && DOUBLE_EXTENSIONS.has(last.slice(1).toLowerCase()) && inner.length <= 5) return [stem.slice(0, -inner.length), inner + last]
  return [stem, last]
}

/**
 * `path` if neither it nor a reserved name (a download in progress) is taken, else the first free
 * "name (n).ext" with n from 1 to 100; undefined when all are taken (Chromium then fails the download).
 */
export function uniquePath(path: string, reserved: ReadonlySet<string>, partialSuffix: string): string | undefined {
  const taken = (p: string): boolean => reserved.has(p) || existsSync(p) || existsSync(p + partialSuffix)
  if (!taken(path)) return path
  const dir = dirname(path)
  const [stem, ext] = splitExtension(basename(path))
  for (let n = 1; n <= 100; n++) {
    const candidate = join(dir, `${stem} (${n})${ext}`)
    if (!taken(candidate)) return candidate
  }
  return undefined
}

/** The MIME type (no parameters, lower case) of a Content-Type value, '' when absent. */
export function mimeTypeOf(contentType: string | undefined): string {
  if (!contentType) return ''
  return contentType.split(';')[0]!.trim().toLowerCase()
}

/** The MIME type a data: URL declares (text/plain when it names none). */
export function dataUrlMimeType(url: string): string {
  const match = /^data:([^,;]*)/i.exec(url)
  return match ? (match[1]!.trim().toLowerCase() || 'text/plain') : ''
}
