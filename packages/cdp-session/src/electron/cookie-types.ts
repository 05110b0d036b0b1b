import type { Protocol } from 'devtools-protocol'

/** Electron's Cookie. `expirationDate` is seconds since the epoch; absent for session cookies. */
export interface Cookie {
  name: string
  value: string
  domain?: string
  hostOnly?: boolean
  path?: string
  secure?: boolean
  httpOnly?: boolean
  session?: boolean
  expirationDate?: number
  sameSite: 'unspecified' | 'no_restriction' | 'lax' | 'strict'
}

export type CookieChangedCause = 'explicit' | 'overwrite' | 'expired' | 'evicted' | 'expired-overwrite'

const SAME_SITE_FROM_CDP: Record<string, Cookie['sameSite']> = { Strict: 'strict', Lax: 'lax', None: 'no_restriction' }
const SAME_SITE_TO_CDP: Record<Cookie['sameSite'], Protocol.Network.CookieSameSite | undefined> = {
  strict: 'Strict',
  lax: 'Lax',
  no_restriction: 'None',
  unspecified: undefined,
}

/** A CDP cookie in Electron's shape (a leading dot on the domain means a domain cookie). */
export function fromCdpCookie(cookie: Protocol.Network.Cookie): Cookie {
  const result: Cookie = {
    name: cookie.name,
    value: cookie.value,
    domain: cookie.domain,
    hostOnly: !cookie.domain.startsWith('.'),
    path: cookie.path,
    secure: cookie.secure,
    httpOnly: cookie.httpOnly,
    session: cookie.session,
    sameSite: cookie.sameSite ? (SAME_SITE_FROM_CDP[cookie.sameSite] ?? 'unspecified') : 'unspecified',
  }
  if (!cookie.session) result.expirationDate = cookie.expires
  return result
}

export function sameSiteToCdp(sameSite: Cookie['sameSite']): Protocol.Network.CookieSameSite | undefined {
  return SAME_SITE_TO_CDP[sameSite]
}

/** Identity of a cookie in the store: name, domain and path. */
export function cookieKey(cookie: { name: string; domain?: string; path?: string }): string {
  return `${cookie.name}\u0000${cookie.domain ?? ''}\u0000${cookie.path ?? ''}`
}
