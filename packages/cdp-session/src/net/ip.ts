/**
 * IP literal helpers for proxy and bypass matching, with the semantics of
 * Chromium's `net::IPAddress` (see net/base/ip_address.cc): IPv4 literals in
 * any form the URL standard accepts (`127.1`, `0x7f.0.0.1`), IPv6 with `::` and
 * an embedded IPv4 tail, prefix matching across families through the
 * IPv4-mapped range, loopback and link-local tests.
 */

/** 4 bytes (IPv4) or 16 bytes (IPv6). */
export type IpBytes = Uint8Array

/**
 * Parses an IPv4 literal the way a URL host parser does (decimal, octal with a
 * leading 0, hex with 0x; 1 to 4 parts). Returns null for anything else,
 * including host names that merely end in a number.
 */
export function parseIPv4(text: string): IpBytes | null {
  if (text.length === 0 || text.length > 64) return null
  if (!/^[0-9a-fA-FxX.]+$/.test(text)) return null
  let parts = text.split('.')
  // One trailing dot is allowed, as in a URL host.
  if (parts.length > 1 && parts[parts.length - 1] === '') parts = parts.slice(0, -1)
  if (parts.length === 0 || parts.length > 4) return null
  const numbers: number[] = []
  for (const part of parts) {
    const value = parseIPv4Number(part)
    if (value === null) return null
    numbers.push(value)
  }
  const last = numbers.pop() as number
  for (const n of numbers) if (n > 255) return null
  if (last >= 256 ** (4 - numbers.length)) return null
  let value = last
  for (let i = 0; i < numbers.length; i++) value += (numbers[i] as number) * 256 ** (3 - i)
  return new Uint8Array([(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255])
}

function parseIPv4Number(part: string): number | null {
  if (part === '') return null
  let digits = part
  let radix = 10
  if (/^0[xX]/.test(digits)) {
    digits = digits.slice(2)
    radix = 16
    if (digits === '') return 0
    if (!/^[0-9a-fA-F]+$/.test(digits)) return null
  } else if (digits.length > 1 && digits.startsWith('0')) {
    digits = digits.slice(1)
    radix = 8
    if (!/^[0-7]+$/.test(digits)) return null
  } else if (!/^[0-9]+$/.test(digits)) {
    return null
  }
  // Longer than any 32-bit value can be written: reject before parsing.
  if (digits.replace(/^0+/, '').length > 11) return null
  const value = parseInt(digits, radix)
  return Number.isFinite(value) && value <= 0xffffffff ? value : null
}

/** Parses an unbracketed IPv6 literal (`::1`, `a:b::c`, `::ffff:1.2.3.4`). */
export function parseIPv6(text: string): IpBytes | null {
  if (text.length === 0 || text.length > 64) return null
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null
  const doubleColon = text.indexOf('::')
  if (doubleColon !== -1 && text.indexOf('::', doubleColon + 1) !== -1) return null
  const head = doubleColon === -1 ? text : text.slice(0, doubleColon)
  const tail = doubleColon === -1 ? '' : text.slice(doubleColon + 2)
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === '' ? [] : tail.split(':')
  const words: number[] = []
  const tailWords: number[] = []
  const readGroups = (groups: string[], out: number[], mayEndInIPv4: boolean): boolean => {
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i] as string
      if (group.includes('.')) {
        if (!mayEndInIPv4 || i !== groups.length - 1) return false
        // The embedded IPv4 form must be four plain decimal parts.
        if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(group)) return false
        const parts = group.split('.').map(Number)
        if (parts.some((p) => p > 255)) return false
        out.push(((parts[0] as number) << 8) | (parts[1] as number), ((parts[2] as number) << 8) | (parts[3] as number))
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return false
        out.push(parseInt(group, 16))
      }
    }
    return true
  }
  if (!readGroups(headGroups, words, doubleColon === -1)) return null
  if (!readGroups(tailGroups, tailWords, true)) return null
  const total = words.length + tailWords.length
  if (doubleColon === -1) {
    if (total !== 8) return null
  } else if (total > 7) {
    return null
  }
  const all = [...words, ...new Array<number>(8 - total).fill(0), ...tailWords]
  const bytes = new Uint8Array(16)
  all.forEach((word, i) => {
    bytes[i * 2] = word >> 8
    bytes[i * 2 + 1] = word & 255
  })
  return bytes
}

/** An IP literal as written in a rule: IPv6 (unbracketed) when it has a colon, else IPv4. */
export function parseIPLiteral(text: string): IpBytes | null {
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text)
}

/**
 * The IP address of a URL host as `URL.hostname` gives it (`1.2.3.4` or
 * `[::1]`), or null when the host is a name.
 */
export function hostToIP(host: string): IpBytes | null {
  if (host.startsWith('[') && host.endsWith(']')) return parseIPv6(host.slice(1, -1))
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) ? parseIPv4(host) : null
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]

export function isIPv4Mapped(ip: IpBytes): boolean {
  return ip.length === 16 && MAPPED_PREFIX.every((b, i) => ip[i] === b)
}

function toMapped(ip: IpBytes): IpBytes {
  const out = new Uint8Array(16)
  out.set(MAPPED_PREFIX)
  out.set(ip, 12)
  return out
}

/**
 * Whether the first `prefixBits` of `ip` equal those of `prefix`. An IPv4
 * address and an IPv6 prefix (or the reverse) are compared through the
 * IPv4-mapped form, as Chromium's `IPAddressMatchesPrefix` does.
 */
export function ipMatchesPrefix(ip: IpBytes, prefix: IpBytes, prefixBits: number): boolean {
  if (ip.length !== prefix.length) {
    if (ip.length === 4) return ipMatchesPrefix(toMapped(ip), prefix, prefixBits)
    return ipMatchesPrefix(ip, toMapped(prefix), prefixBits + 96)
  }
  for (let bit = 0; bit < prefixBits; bit += 8) {
    const remaining = Math.min(8, prefixBits - bit)
    const mask = (0xff << (8 - remaining)) & 0xff
    const index = bit / 8
    if (((ip[index] as number) & mask) !== ((prefix[index] as number) & mask)) return false
  }
  return true
}

/** 127.0.0.0/8 or ::1 (an IPv4-mapped 127.x is not loopback here, as in Chromium). */
export function isLoopback(ip: IpBytes): boolean {
  if (ip.length === 4) return ip[0] === 127
  for (let i = 0; i < 15; i++) if (ip[i] !== 0) return false
  return ip[15] === 1
}

/** 169.254.0.0/16, its IPv4-mapped form, or fe80::/10. */
export function isLinkLocal(ip: IpBytes): boolean {
  if (ip.length === 4) return ip[0] === 169 && ip[1] === 254
  if (isIPv4Mapped(ip)) return ip[12] === 169 && ip[13] === 254
  return ip[0] === 0xfe && ((ip[1] as number) & 0xc0) === 0x80
}

/** Canonical text of an address: dotted quad, or compressed lower-case IPv6 in brackets. */
export function formatIP(ip: IpBytes): string {
  if (ip.length === 4) return Array.from(ip).join('.')
  // Let the URL parser produce the canonical compressed form.
  const words: string[] = []
  for (let i = 0; i < 16; i += 2) words.push((((ip[i] as number) << 8) | (ip[i + 1] as number)).toString(16))
  return new URL(`http://[${words.join(':')}]/`).hostname
}
