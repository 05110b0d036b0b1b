// Host name resolution for the session gateway and its PAC helpers. The lookup function is
// injected so tests (and callers with their own DNS) never touch the system resolver; the
// cache is what `ses.clearHostResolverCache()` empties.
import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'

/** Every address of `host` (IPv4 and IPv6, in the resolver's order); rejects when there is none. */
export type LookupFn = (host: string) => Promise<string[]>

/** The resolver interface shared by the gateway (DIRECT connections) and the PAC sandbox. */
export interface HostResolver {
  lookup(host: string): Promise<string[]>
}

/** Electron's `ResolvedHost` shape (`ses.resolveHost()`). */
export interface ResolvedHost {
  endpoints: { address: string; family: 'ipv4' | 'ipv6' }[]
}

/** The system resolver (getaddrinfo through libuv), all families, in the OS's order. */
export const systemLookup: LookupFn = async (host) => {
  const answers = await dnsLookup(host, { all: true, verbatim: true })
  return answers.map((a) => a.address)
}

/** Strips the brackets an IPv6 URL host carries. */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/** Error for a name with no answer; `code` mimics Node's so callers can tell it apart. */
export class HostNotFoundError extends Error {
  readonly code = 'ENOTFOUND'
  readonly host: string
  constructor(host: string, options?: ErrorOptions) {
    super(`could not resolve host '${host}'`, options)
    this.host = host
    this.name = 'HostNotFoundError'
  }
}

export interface CachingResolverOptions {
  /** How long a positive answer is kept; 60 s like Chromium's default host cache TTL. */
  ttlMs?: number
  /** Entries kept before the oldest are dropped. */
  maxEntries?: number
}

interface Entry {
  addresses: string[]
  expires: number
}

/**
 * A resolver with a positive-answer cache. Concurrent lookups of one name share a single
 * query; failures are not cached. IP literals (with or without brackets) answer themselves.
 */
export class CachingResolver implements HostResolver {
  private readonly cache = new Map<string, Entry>()
  private readonly inflight = new Map<string, Promise<string[]>>()
  private readonly ttlMs: number
  private readonly maxEntries: number
  /** Bumped by clear() so an answer that was in flight then is not stored afterwards. */
  private generation = 0

  constructor(private readonly lookupFn: LookupFn = systemLookup, options: CachingResolverOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60_000
    this.maxEntries = options.maxEntries ?? 1000
  }

  async lookup(host: string): Promise<string[]> {
    const name = bareHost(host).toLowerCase().replace(/\.$/, '')
    if (isIP(name) !== 0) return [name]
    const hit = this.cache.get(name)
    if (hit !== undefined && hit.expires > Date.now()) return [...hit.addresses]
    const pending = this.inflight.get(name)
    if (pending !== undefined) return [...(await pending)]
    const generation = this.generation
    const query = this.query(name).finally(() => this.inflight.delete(name))
    this.inflight.set(name, query)
    const addresses = await query
    if (generation === this.generation) this.store(name, addresses)
    return [...addresses]
  }

  /** Empties the cache (`clearHostResolverCache()`); the next lookup of any name queries again. */
  clear(): void {
    this.cache.clear()
    this.inflight.clear()
    this.generation++
  }

  /** Number of cached names (for tests and diagnostics). */
  get size(): number {
    return this.cache.size
  }

  private async query(name: string): Promise<string[]> {
    let addresses: string[]
    try {
      addresses = await this.lookupFn(name)
    } catch (error: unknown) {
      throw new HostNotFoundError(name, { cause: error })
    }
    if (addresses.length === 0) throw new HostNotFoundError(name)
    return addresses
  }

  private store(name: string, addresses: string[]): void {
    this.cache.delete(name)
    this.cache.set(name, { addresses, expires: Date.now() + this.ttlMs })
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value
      if (oldest === undefined) break
      this.cache.delete(oldest)
    }
  }
}

/** Turns an address list into Electron's `ResolvedHost`. */
export function toResolvedHost(addresses: readonly string[]): ResolvedHost {
  return { endpoints: addresses.map((address) => ({ address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' })) }
}
