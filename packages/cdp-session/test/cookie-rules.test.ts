import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  cookieDomainMatchesHost,
  cookieMatchesFilter,
  cookieMatchesUrl,
  defaultCookiePath,
  domainMatchesFilter,
  exclusionMessage,
  filterCookies,
  overwriteReason,
  parseCookieUrl,
  pathMatches,
  sanitizeCookie,
  type CookieFilter,
  type MatchableCookie,
} from '../src/common/cookie-rules.js'

// Small alphabets so that generated cookies and urls actually collide.
const label = fc.constantFrom('a', 'b', 'sub', 'x')
const hostArb = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => [...labels, 'test'].join('.'))
const pathArb = fc.array(fc.constantFrom('p', 'q', 'pq', ''), { maxLength: 3 }).map((parts) => `/${parts.join('/')}`)
const cookieArb: fc.Arbitrary<MatchableCookie> = fc.record({
  name: fc.constantFrom('k1', 'k2'),
  domain: fc.tuple(hostArb, fc.boolean()).map(([host, dot]) => (dot ? `.${host}` : host)),
  path: pathArb,
  secure: fc.boolean(),
  httpOnly: fc.boolean(),
  session: fc.boolean(),
})

/** Label-wise reference: is `labels` a suffix of `of`? */
function labelSuffix(labels: string[], of: string[]): boolean {
  return labels.length <= of.length && labels.every((l, i) => of[of.length - labels.length + i] === l)
}

describe('cookieDomainMatchesHost (Chromium cookie_util::IsDomainMatch)', () => {
  it('host-only cookies need the exact host; domain cookies take the domain and its subdomains', () => {
    fc.assert(
      fc.property(hostArb, hostArb, fc.boolean(), (cookieHost, host, dot) => {
        const expected = dot ? labelSuffix(cookieHost.split('.'), host.split('.')) : cookieHost === host
        expect(cookieDomainMatchesHost(dot ? `.${cookieHost}` : cookieHost, host)).toBe(expected)
      }),
    )
  })
  it('is not a plain string suffix test', () => {
    expect(cookieDomainMatchesHost('.a.test', 'xa.test')).toBe(false)
    expect(cookieDomainMatchesHost('.a.test', 'sub.a.test')).toBe(true)
    expect(cookieDomainMatchesHost('a.test', 'sub.a.test')).toBe(false)
  })
})

describe('pathMatches (RFC 6265 path-match)', () => {
  it('agrees with a "cookie path as a directory" reference', () => {
    fc.assert(
      fc.property(pathArb, pathArb, (cookiePath, requestPath) => {
        const dir = cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`
        expect(pathMatches(cookiePath, requestPath)).toBe(requestPath === cookiePath || requestPath.startsWith(dir))
      }),
    )
  })
  it('examples', () => {
    expect(pathMatches('/foo', '/foo/bar')).toBe(true)
    expect(pathMatches('/foo', '/foobar')).toBe(false)
    expect(pathMatches('/foo/', '/foo')).toBe(false)
    expect(pathMatches('/', '/anything')).toBe(true)
  })
})

describe('domainMatchesFilter (Electron MatchesDomain)', () => {
  it('the cookie domain is the filter domain or below it, leading dots ignored', () => {
    fc.assert(
      fc.property(hostArb, fc.boolean(), hostArb, fc.boolean(), (cookieHost, cookieDot, filter, filterDot) => {
        const actual = domainMatchesFilter(cookieDot ? `.${cookieHost}` : cookieHost, filterDot ? `.${filter}` : filter)
        expect(actual).toBe(labelSuffix(filter.split('.'), cookieHost.split('.')))
      }),
    )
  })
})

describe('cookieMatchesUrl', () => {
  it('is domain match ∧ path match ∧ (not Secure or secure scheme)', () => {
    fc.assert(
      fc.property(cookieArb, hostArb, pathArb, fc.constantFrom('http', 'https', 'ws', 'wss'), (cookie, host, path, scheme) => {
        const url = parseCookieUrl(`${scheme}://${host}:8080${path}?q=1`)
        if (!url) throw new Error('unparsable')
        const expected =
          cookieDomainMatchesHost(cookie.domain ?? '', host) && pathMatches(cookie.path ?? '/', path) && (!cookie.secure || scheme === 'https' || scheme === 'wss')
        expect(cookieMatchesUrl(cookie, url)).toBe(expected)
      }),
    )
  })
  it('Secure cookies go to localhost over http; nothing goes to other schemes', () => {
    const secure = { name: 'n', domain: 'localhost', path: '/', secure: true }
    expect(cookieMatchesUrl(secure, parseCookieUrl('http://localhost:1/')!)).toBe(true)
    expect(cookieMatchesUrl({ ...secure, domain: '127.0.0.1' }, parseCookieUrl('http://127.0.0.1:1/')!)).toBe(true)
    expect(cookieMatchesUrl({ ...secure, secure: false }, parseCookieUrl('ftp://localhost/')!)).toBe(false)
  })
})

describe('filterCookies', () => {
  const filterArb: fc.Arbitrary<CookieFilter> = fc.record(
    {
      url: fc.tuple(fc.constantFrom('http', 'https'), hostArb, pathArb).map(([s, h, p]) => `${s}://${h}${p}`),
      name: fc.constantFrom('k1', 'k2', 'k3'),
      domain: hostArb,
      path: pathArb,
      secure: fc.boolean(),
      session: fc.boolean(),
      httpOnly: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  it('keeps exactly the cookies that pass every given field', () => {
    fc.assert(
      fc.property(fc.array(cookieArb, { maxLength: 12 }), filterArb, (cookies, filter) => {
        const result = filterCookies(cookies, filter)
        const url = filter.url === undefined ? undefined : parseCookieUrl(filter.url)
        const passes = (c: MatchableCookie) =>
          (filter.name === undefined || c.name === filter.name) &&
          (filter.path === undefined || c.path === filter.path) &&
          (filter.domain === undefined || domainMatchesFilter(c.domain ?? '', filter.domain)) &&
          (filter.secure === undefined || c.secure === filter.secure) &&
          (filter.session === undefined || c.session === filter.session) &&
          (filter.httpOnly === undefined || c.httpOnly === filter.httpOnly) &&
          (url === undefined || cookieMatchesUrl(c, url))
        expect(new Set(result)).toEqual(new Set(cookies.filter(passes)))
        expect(result).toHaveLength(cookies.filter(passes).length)
        // with a url: longest path first
        if (url) for (let i = 1; i < result.length; i++) expect((result[i - 1]?.path ?? '').length).toBeGreaterThanOrEqual((result[i]?.path ?? '').length)
      }),
    )
  })
  it('each field alone really filters', () => {
    const cookies: MatchableCookie[] = [
      { name: 'a', domain: 'a.test', path: '/', secure: false, session: true, httpOnly: false },
      { name: 'b', domain: '.a.test', path: '/x', secure: true, session: false, httpOnly: true },
    ]
    const only = (filter: CookieFilter) => filterCookies(cookies, filter).map((c) => c.name)
    expect(only({})).toEqual(['a', 'b'])
    expect(only({ name: 'b' })).toEqual(['b'])
    expect(only({ path: '/x' })).toEqual(['b'])
    expect(only({ secure: false })).toEqual(['a'])
    expect(only({ session: false })).toEqual(['b'])
    expect(only({ httpOnly: true })).toEqual(['b'])
    expect(only({ domain: 'b.test' })).toEqual([])
    expect(only({ url: 'http://sub.a.test/x' })).toEqual([])
    expect(only({ url: 'https://sub.a.test/x' })).toEqual(['b'])
    expect(only({ url: 'https://a.test/x' })).toEqual(['b', 'a'])
  })
  it('cookieMatchesFilter treats an empty filter as "everything"', () => {
    fc.assert(
      fc.property(cookieArb, (cookie) => {
        expect(cookieMatchesFilter(cookie, {})).toBe(true)
      }),
    )
  })
})

describe('sanitizeCookie (Electron set() checks)', () => {
  it('a Domain attribute must be the url host or a parent of it (two labels at least)', () => {
    fc.assert(
      fc.property(hostArb, hostArb, fc.boolean(), (host, domain, dot) => {
        const result = sanitizeCookie({ url: `http://${host}/`, name: 'n', value: 'v', domain: dot ? `.${domain}` : domain })
        const valid = labelSuffix(domain.split('.'), host.split('.'))
        expect(result.ok).toBe(valid)
        if (result.ok) expect(result.cookie.domain).toBe(`.${domain}`)
        else expect(result.reason).toBe('EXCLUDE_INVALID_DOMAIN')
      }),
    )
  })
  it('a Domain attribute must keep the url host\'s registrable domain (Public Suffix List, private registries too)', () => {
    const verdict = (url: string, domain: string): string | false => {
      const result = sanitizeCookie({ url, name: 'n', value: 'v', domain })
      return result.ok ? result.cookie.domain : false
    }
    expect(verdict('https://shop.example.co.uk/', 'co.uk')).toBe(false)
    expect(verdict('https://shop.example.co.uk/', 'example.co.uk')).toBe('.example.co.uk')
    expect(verdict('https://me.github.io/', 'github.io')).toBe(false)
    expect(verdict('https://me.github.io/', '.me.github.io')).toBe('.me.github.io')
    // A host that is itself a public suffix gets a host-only cookie for an equal attribute only.
    expect(verdict('https://github.io/', 'github.io')).toBe('github.io')
    expect(verdict('http://127.0.0.1/', '127.0.0.1')).toBe('127.0.0.1')
  })
  it('refuses names with control characters, ";" or "=", and values with control characters or ";"', () => {
    const bad = fc.constantFrom(';', '\u0000', '\u0001', '\n', '\r', '\u007f')
    fc.assert(
      fc.property(fc.string({ maxLength: 5 }), bad, fc.string({ maxLength: 5 }), (before, ch, after) => {
        const inside = `x${before}${ch}${after}x`
        expect(sanitizeCookie({ url: 'http://a.test/', name: inside, value: 'v' })).toEqual({ ok: false, reason: 'EXCLUDE_DISALLOWED_CHARACTER' })
        expect(sanitizeCookie({ url: 'http://a.test/', name: 'n', value: inside })).toEqual({ ok: false, reason: 'EXCLUDE_DISALLOWED_CHARACTER' })
      }),
    )
    expect(sanitizeCookie({ url: 'http://a.test/', name: 'a=b', value: 'v' }).ok).toBe(false)
    // measured against Chromium through CDP: tab is refused too; a nameless value may not hold '='
    expect(sanitizeCookie({ url: 'http://a.test/', name: 'a\tb', value: 'v' }).ok).toBe(false)
    expect(sanitizeCookie({ url: 'http://a.test/', name: '', value: 'a=b' }).ok).toBe(false)
    expect(sanitizeCookie({ url: 'http://a.test/', name: '', value: 'ab' }).ok).toBe(true)
    expect(sanitizeCookie({ url: 'http://a.test/', name: 'n', value: 'a=b' }).ok).toBe(true)
  })
  it('secure needs https (or localhost); no_restriction needs secure; defaults follow Electron', () => {
    expect(sanitizeCookie({ url: 'http://a.test/', name: 'n', secure: true })).toEqual({ ok: false, reason: 'EXCLUDE_SECURE_ONLY' })
    expect(sanitizeCookie({ url: 'http://localhost:3000/', name: 'n', secure: true }).ok).toBe(true)
    expect(sanitizeCookie({ url: 'https://a.test/', name: 'n', sameSite: 'no_restriction', secure: false })).toEqual({ ok: false, reason: 'EXCLUDE_SAMESITE_NONE_INSECURE' })
    const defaults = sanitizeCookie({ url: 'https://a.test/x/y', name: 'n', sameSite: 'no_restriction' })
    expect(defaults).toMatchObject({ ok: true, cookie: { secure: true, httpOnly: false, path: '/x', domain: 'a.test' } })
    expect(sanitizeCookie({ url: 'http://a.test/', name: 'n' })).toMatchObject({ ok: true, cookie: { sameSite: 'lax' } })
  })
  it('paths, schemes, prefixes, sizes, IP hosts', () => {
    expect(sanitizeCookie({ url: 'http://a.test/', name: 'n', path: 'rel' })).toEqual({ ok: false, reason: 'EXCLUDE_FAILURE_TO_STORE' })
    for (const bad of [';', '\n', '\r', '\u0000']) expect(sanitizeCookie({ url: 'http://a.test/', name: 'n', path: `/a${bad}b` }).ok).toBe(false)
    for (const fine of ['\t', '\u0001', '\u007f', ' ', '=']) expect(sanitizeCookie({ url: 'http://a.test/', name: 'n', path: `/a${fine}b` }).ok).toBe(true)
    expect(sanitizeCookie({ url: 'file:///x', name: 'n' })).toEqual({ ok: false, reason: 'EXCLUDE_NONCOOKIEABLE_SCHEME' })
    expect(sanitizeCookie({ url: '::', name: 'n' })).toEqual({ ok: false, reason: 'EXCLUDE_INVALID_DOMAIN' })
    expect(sanitizeCookie({ url: 'https://a.test/', name: '__Host-n', secure: true, domain: 'a.test' }).ok).toBe(false)
    expect(sanitizeCookie({ url: 'https://a.test/', name: '__Host-n', secure: true, path: '/' }).ok).toBe(true)
    expect(sanitizeCookie({ url: 'https://a.test/', name: '__secure-n' })).toEqual({ ok: false, reason: 'EXCLUDE_INVALID_PREFIX' })
    expect(sanitizeCookie({ url: 'http://a.test/', name: 'n', value: 'v'.repeat(4095) }).ok).toBe(true)
    expect(sanitizeCookie({ url: 'http://a.test/', name: 'n', value: 'v'.repeat(4096) }).ok).toBe(false)
    expect(sanitizeCookie({ url: 'http://127.0.0.1/', name: 'n', domain: '127.0.0.1' })).toMatchObject({ ok: true, cookie: { domain: '127.0.0.1' } })
    expect(sanitizeCookie({ url: 'http://127.0.0.1/', name: 'n', domain: '0.0.1' }).ok).toBe(false)
    expect(sanitizeCookie({ url: 'http://localhost/', name: 'n', domain: 'localhost' })).toMatchObject({ ok: true, cookie: { domain: 'localhost' } })
    expect(sanitizeCookie({ url: 'http://a.test/', name: '', value: '' })).toEqual({ ok: false, reason: 'EXCLUDE_NO_COOKIE_CONTENT' })
  })
  it('defaultCookiePath is the directory of the url path', () => {
    expect(defaultCookiePath('/')).toBe('/')
    expect(defaultCookiePath('/a')).toBe('/')
    expect(defaultCookiePath('/a/')).toBe('/a')
    expect(defaultCookiePath('/a/b/c')).toBe('/a/b')
  })
  it('Electron message shape', () => {
    expect(exclusionMessage('EXCLUDE_INVALID_DOMAIN')).toMatch(/^Failed to set cookie - The cookie was set with an invalid Domain attribute\./)
  })
})

describe('overwriteReason', () => {
  const base = { name: 'n', value: 'v', url: 'http://a.test/', domain: 'a.test', path: '/', secure: false, httpOnly: false, sameSite: 'lax' as const, secureSource: false }
  it('an insecure url may not shadow a Secure cookie; a non-httpOnly set may not replace an HttpOnly cookie', () => {
    const secure = { name: 'n', domain: '.a.test', path: '/', secure: true, httpOnly: false }
    expect(overwriteReason(base, [secure])).toBe('EXCLUDE_OVERWRITE_SECURE')
    expect(overwriteReason({ ...base, secureSource: true }, [secure])).toBeUndefined()
    expect(overwriteReason({ ...base, name: 'other' }, [secure])).toBeUndefined()
    expect(overwriteReason({ ...base, domain: 'b.test' }, [secure])).toBeUndefined()
    const httpOnly = { name: 'n', domain: 'a.test', path: '/', secure: false, httpOnly: true }
    expect(overwriteReason(base, [httpOnly])).toBe('EXCLUDE_OVERWRITE_HTTP_ONLY')
    expect(overwriteReason({ ...base, httpOnly: true }, [httpOnly])).toBeUndefined()
    expect(overwriteReason({ ...base, path: '/x' }, [httpOnly])).toBeUndefined()
  })
})
