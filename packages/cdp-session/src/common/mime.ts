import { extname } from 'node:path'

// The MIME types Chromium's own file:// loader gives the common web file
// extensions (net/base/mime_util.cc, primary and secondary mappings), so a
// file served by a protocol handler is typed as the same file would be from disk.
const BY_EXTENSION: Readonly<Record<string, string>> = {
  html: 'text/html',
  htm: 'text/html',
  shtml: 'text/html',
  xhtml: 'application/xhtml+xml',
  xht: 'application/xhtml+xml',
  css: 'text/css',
  js: 'text/javascript',
  mjs: 'text/javascript',
  json: 'application/json',
  map: 'application/json',
  xml: 'text/xml',
  txt: 'text/plain',
  text: 'text/plain',
  csv: 'text/csv',
  md: 'text/markdown',
  svg: 'image/svg+xml',
  svgz: 'image/svg+xml',
  png: 'image/png',
  apng: 'image/apng',
  gif: 'image/gif',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jfif: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  bmp: 'image/bmp',
  wasm: 'application/wasm',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  flac: 'audio/flac',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  ogv: 'video/ogg',
}

/** The MIME type for a file name by its extension; `application/octet-stream` when unknown. */
export function mimeTypeForPath(path: string): string {
  const ext = extname(path).slice(1).toLowerCase()
  return BY_EXTENSION[ext] ?? 'application/octet-stream'
}

/** Whether a charset parameter belongs on this MIME type when none was asked for. */
export function isTextual(mimeType: string): boolean {
  const type = mimeType.toLowerCase()
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/javascript' ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type.endsWith('+json')
  )
}

/**
 * A Content-Type value: the MIME type with `charset=` for textual types, or
 * always when a charset was given explicitly.
 */
export function contentType(mimeType: string, charset: string | undefined, charsetExplicit: boolean): string {
  if (/;\s*charset=/i.test(mimeType)) return mimeType
  if (charset && (charsetExplicit || isTextual(mimeType))) return `${mimeType}; charset=${charset}`
  return mimeType
}
