// HTTP/1.1 message syntax shared by the gateway's two sides (the client connection that reads
// requests, and the forward path that reads responses): field-line splitting, the framing
// fields' tokens, and incremental chunked decoding (RFC 9112).

/** An RFC 9110 token (a method or a field name), as a RegExp source. */
export const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const ONLY_TOKEN = new RegExp(`^${TOKEN}$`)

/** Whether `text` is a token: what a field name must be. */
export function isToken(text: string): boolean {
  return ONLY_TOKEN.test(text)
}

/** The lowercased tokens of a comma-separated field (Connection, Proxy-Connection, Expect). */
export function connectionTokens(value: string | undefined): Set<string> {
  const tokens = new Set<string>()
  if (value === undefined || value === '') return tokens
  for (const token of value.split(',')) {
    const trimmed = token.trim().toLowerCase()
    if (trimmed !== '') tokens.add(trimmed)
  }
  return tokens
}

/** Whether a Transfer-Encoding value ends with chunked, the only coding that delimits a body. */
export function endsChunked(transferEncoding: string): boolean {
  return /(?:^|,)\s*chunked\s*$/i.test(transferEncoding)
}

/**
 * Every field line after the start line: a token name right before the colon (no folding, no
 * whitespace before the colon) and a value of visible characters, spaces and tabs only
 * (RFC 9112 5). One pass over the whole head.
 */
const FIELD_LINES = new RegExp(`^(?:${TOKEN}:[\\t\\x20-\\x7e\\x80-\\xff]*\\r\\n)*$`)

/**
 * Splits a message head (without the blank line) into its start line's match and its fields
 * (name as sent, trimmed value); null when the start line does not match `startLine` (which
 * must end with \r\n) or a field line is not valid.
 */
export function splitHead(text: string, startLine: RegExp): { start: RegExpExecArray; fields: [string, string][] } | null {
  const all = `${text}\r\n`
  const start = startLine.exec(all)
  if (start === null) return null
  const rest = all.slice(start[0].length)
  if (!FIELD_LINES.test(rest)) return null
  const fields: [string, string][] = []
  let at = 0
  while (at < rest.length) {
    const eol = rest.indexOf('\r\n', at)
    const colon = rest.indexOf(':', at)
    fields.push([rest.slice(at, colon), rest.slice(colon + 1, eol).trim()])
    at = eol + 2
  }
  return { start, fields }
}

/**
 * Decodes a chunked body incrementally: `push` hands data pieces to `onData` and returns the
 * number of input bytes used once the last chunk and trailer section are complete, or -1 while
 * more is needed. Trailers are dropped (the gateway re-frames the body for its client).
 */
export class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-end' | 'trailer' = 'size'
  private remaining = 0
  private line = ''

  constructor(private readonly onData: (piece: Buffer) => void) {}

  push(chunk: Buffer): number {
    let at = 0
    while (at < chunk.length) {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, chunk.length - at)
        this.onData(chunk.subarray(at, at + take))
        at += take
        this.remaining -= take
        if (this.remaining === 0) this.state = 'data-end'
        continue
      }
      const newline = chunk.indexOf(10, at)
      const end = newline < 0 ? chunk.length : newline + 1
      this.line += chunk.toString('latin1', at, end)
      at = end
      if (this.line.length > 4096) throw new Error('chunked framing line is too long')
      if (newline < 0) break
      const line = this.line.replace(/\r?\n$/, '')
      this.line = ''
      if (this.state === 'data-end') {
        if (line !== '') throw new Error('chunk data is not followed by CRLF')
        this.state = 'size'
      } else if (this.state === 'size') {
        // The size may carry extensions after a semicolon (RFC 9112 7.1.1).
        const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line)?.[1]
        if (size === undefined) throw new Error(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`)
        this.remaining = Number.parseInt(size, 16)
        this.state = this.remaining === 0 ? 'trailer' : 'data'
      } else if (line === '') return at
    }
    return -1
  }
}
