// Session methods that act on the session's gateway (net/session-proxy.ts): proxy settings,
// proxy resolution, the host resolver and its connections. A session without a gateway
// (opted out, a connect()ed browser's default context, or a browser launched with its own
// proxy flags) answers each of them with NotSupportedError naming why.
import { z } from 'zod'
import { HostNotFoundError, NotSupportedError, ValidationError } from '../common/errors.js'
import { ginConversionError } from '../common/input-policy.js'
import { validateArg } from '../common/validate.js'
import type { SessionProxy } from '../net/session-proxy.js'
import type { ProxyConfigInput } from '../net/proxy-config.js'
import type { SessionContext } from './context.js'

export type ProxyConfig = ProxyConfigInput

/** Electron's `ResolvedHost`. */
export interface ResolvedHost {
  endpoints: Array<{ address: string; family: 'ipv4' | 'ipv6' }>
}

export interface ResolveHostOptions {
  queryType?: 'A' | 'AAAA'
  source?: 'any' | 'system' | 'dns' | 'mdns' | 'localOnly'
  cacheUsage?: 'allowed' | 'staleAllowed' | 'disallowed'
  secureDnsPolicy?: 'allow' | 'disable'
}

async function proxyOf(session: SessionContext, api: string, why = "CDP cannot change a browser context's network settings after it is created."): Promise<SessionProxy> {
  const binding = await session.bindingFor(api)
  if (typeof binding.proxy === 'string') {
    throw new NotSupportedError(`${api}: this session has no gateway (${binding.proxy}), and ${why}`)
  }
  return binding.proxy
}

export async function setProxy(session: SessionContext, config: unknown): Promise<void> {
  const api = 'ses.setProxy'
  await (await proxyOf(session, api)).setProxy(config, api)
}

export async function resolveProxy(session: SessionContext, url: unknown): Promise<string> {
  const api = 'ses.resolveProxy'
  // gin converts any string to a GURL; anything else fails conversion.
  if (typeof url !== 'string') throw ginConversionError(api, 0, 'url', url)
  const text = url
  // Kept (docs/decisions.md, Inputs): an invalid GURL has no proxy answer in Chromium.
  if (!URL.canParse(text)) throw new ValidationError(api, 'url', url, 'an absolute URL string')
  return (await proxyOf(session, api)).resolveProxy(new URL(text))
}

export async function forceReloadProxyConfig(session: SessionContext): Promise<void> {
  const api = 'ses.forceReloadProxyConfig'
  await (await proxyOf(session, api)).reload(api)
}

export async function clearHostResolverCache(session: SessionContext): Promise<void> {
  ;(await proxyOf(session, 'ses.clearHostResolverCache')).clearHostResolverCache()
}

export async function closeAllConnections(session: SessionContext): Promise<void> {
  ;(await proxyOf(session, 'ses.closeAllConnections')).closeAllConnections()
}

const resolveHostOptionsSchema = z
  .strictObject({
    queryType: z.enum(['A', 'AAAA']).optional(),
    source: z.enum(['any', 'system', 'dns', 'mdns', 'localOnly']).optional(),
    cacheUsage: z.enum(['allowed', 'staleAllowed', 'disallowed']).optional(),
    secureDnsPolicy: z.enum(['allow', 'disable']).optional(),
  })
  .optional()

/**
 * Newer Electron's `ses.resolveHost(host[, options])` through the gateway's resolver (the
 * one that DIRECT connections and PAC's dnsResolve use). `queryType` filters the families;
 * `cacheUsage: 'disallowed'` asks again; `source` other than any/system and `localOnly`
 * have no equivalent here and throw NotSupportedError.
 */
export async function resolveHost(session: SessionContext, host: unknown, options?: unknown): Promise<ResolvedHost> {
  const api = 'ses.resolveHost'
  const name = validateArg(api, 'host', z.string().min(1), host, 'a host name or IP address')
  const parsed = validateArg(api, 'options', resolveHostOptionsSchema, options, '{ queryType?, source?, cacheUsage?, secureDnsPolicy? } as in Electron')
  if (parsed?.source !== undefined && parsed.source !== 'any' && parsed.source !== 'system') {
    throw new NotSupportedError(`${api}: source '${parsed.source}' is not available; the session gateway resolves through the system resolver.`)
  }
  const proxy = await proxyOf(session, api)
  if (parsed?.cacheUsage === 'disallowed') proxy.clearHostResolverCache()
  const resolved = await proxy.resolveHost(name).catch((error: unknown) => {
    throw new HostNotFoundError(api, name, { cause: error })
  })
  const family = parsed?.queryType === 'A' ? 'ipv4' : parsed?.queryType === 'AAAA' ? 'ipv6' : undefined
  const endpoints = family ? resolved.endpoints.filter((e) => e.family === family) : resolved.endpoints
  if (endpoints.length === 0) throw new HostNotFoundError(api, name)
  return { endpoints }
}


/** The seed's `RemovePassword` / `RemoveClientCertificate` options of clearAuthCache. */
export type ClearAuthCacheOptions =
  | { type: 'password'; origin?: string; realm?: string; username?: string; password?: string; scheme?: 'basic' | 'digest' | 'ntlm' | 'negotiate' }
  | { type: 'clientCertificate'; origin: string }

const clearAuthCacheSchema = z.union([
  z.undefined(),
  z.strictObject({
    type: z.literal('password'),
    origin: z.string().optional(),
    realm: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    scheme: z.enum(['basic', 'digest', 'ntlm', 'negotiate']).optional(),
  }),
  z.strictObject({ type: z.literal('clientCertificate'), origin: z.string() }),
])

/**
 * Which cached credentials `clearAuthCache(options)` drops: undefined options → all; a
 * RemovePassword → those of its origin and scheme (realm, username and password narrow nothing
 * more: Chromium's cache is reached per origin and scheme); null → a RemoveClientCertificate
 * (no client certificate is ever chosen by a session here, so there is nothing to forget).
 */
export function readClearAuthCacheOptions(options: unknown): { origin?: string; scheme?: string } | undefined | null {
  const api = 'session.clearAuthCache'
  const parsed = validateArg(api, 'options', clearAuthCacheSchema, options, "{ type: 'password', origin?, realm?, username?, password?, scheme? } or { type: 'clientCertificate', origin }")
  if (parsed === undefined) return undefined
  if (parsed.type === 'clientCertificate') return null
  const only: { origin?: string; scheme?: string } = {}
  if (parsed.origin !== undefined) {
    if (!URL.canParse(parsed.origin)) throw new ValidationError(api, 'options.origin', parsed.origin, 'an origin such as "http://example.com:8080"')
    only.origin = new URL(parsed.origin).origin
  }
  if (parsed.scheme !== undefined) only.scheme = parsed.scheme
  return only
}

/**
 * Electron's clearAuthCache, as far as it can be done (see Session.clearAuthCache): the http
 * origins in `answered` (origin → auth schemes the login hook gave credentials for) go to the
 * gateway, which drops those cached credentials until the origin challenges again; https ones
 * cannot be reached and make it reject with NotSupportedError naming them.
 */
export async function clearAuthCache(session: SessionContext, answered: () => Map<string, Set<string>>): Promise<void> {
  const api = 'session.clearAuthCache'
  const proxy = await proxyOf(session, api, "Chromium exposes no way to empty a context's HTTP auth cache over CDP. Use a new session (partition) to be challenged again.")
  const secure: string[] = []
  for (const [origin, schemes] of answered()) {
    if (origin.startsWith('http:')) proxy.gateway.dropCachedAuthorization(origin, schemes)
    else secure.push(origin)
  }
  if (secure.length > 0) {
    throw new NotSupportedError(`${api}: credentials given to ${secure.join(', ')} stay in Chromium's auth cache: CDP cannot empty it and they travel inside TLS, out of the session gateway's reach (plain-http origins were cleared). Use a new session (partition) to be challenged again there.`)
  }
}
