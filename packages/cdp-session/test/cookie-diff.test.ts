import { describe, expect, it } from 'vitest'
import {
  diffCookies,
  evictionGroup,
  parseCookieLine,
  replayLength,
  sameCookie,
  setCookieLines,
  snapshotOf,
  storeKey,
  writeMatches,
  type CookieWrite,
  type StoreCookie,
  type WriteTarget,
} from '../src/common/cookie-diff.js'
import { cookieFromLine } from '../src/common/cookie-rules.js'

const NOW = Date.UTC(2030, 0, 1)

function cookie(name: string, value: string, extra: Partial<StoreCookie> = {}): StoreCookie {
  return { name, value, domain: 'a.test', path: '/', expires: -1, session: true, httpOnly: false, secure: false, ...extra }
}

/** [name=value, cause, removed] triples, easy to compare. */
function summary(changes: ReturnType<typeof diffCookies>): string[] {
  return changes.map((c) => `${c.cookie.name}=${c.cookie.value} ${c.cause} ${c.removed ? 'removed' : 'added'}`)
}

describe('diffCookies', () => {
  it('reports nothing for equal snapshots', () => {
    const list = [cookie('a', '1'), cookie('b', '2')]
    expect(diffCookies(snapshotOf(list), snapshotOf([...list]), { now: NOW })).toEqual([])
  })

  it('a new cookie is explicit/added', () => {
    const changes = diffCookies(snapshotOf([]), snapshotOf([cookie('a', '1')]), { now: NOW })
    expect(summary(changes)).toEqual(['a=1 explicit added'])
    expect(changes[0]?.cookie.domain).toBe('a.test')
  })

  it('a changed value is overwrite/removed (old) then explicit/added (new)', () => {
    const changes = diffCookies(snapshotOf([cookie('a', '1')]), snapshotOf([cookie('a', '2')]), { now: NOW })
    expect(summary(changes)).toEqual(['a=1 overwrite removed', 'a=2 explicit added'])
  })

  it('a changed attribute alone (expiry, httpOnly, sameSite) is an overwrite too', () => {
    const before = snapshotOf([cookie('a', '1', { session: false, expires: NOW / 1000 + 60 })])
    const after = snapshotOf([cookie('a', '1', { session: false, expires: NOW / 1000 + 120 })])
    expect(summary(diffCookies(before, after, { now: NOW }))).toEqual(['a=1 overwrite removed', 'a=1 explicit added'])
    expect(summary(diffCookies(snapshotOf([cookie('b', '1')]), snapshotOf([cookie('b', '1', { httpOnly: true })]), { now: NOW }))).toHaveLength(2)
    expect(summary(diffCookies(snapshotOf([cookie('c', '1')]), snapshotOf([cookie('c', '1', { sameSite: 'Lax' })]), { now: NOW }))).toHaveLength(2)
  })

  it('same name on another path or domain is another cookie', () => {
    const before = snapshotOf([cookie('a', '1')])
    const after = snapshotOf([cookie('a', '1'), cookie('a', '2', { path: '/sub' }), cookie('a', '3', { domain: '.a.test' })])
    expect(summary(diffCookies(before, after, { now: NOW }))).toEqual(['a=2 explicit added', 'a=3 explicit added'])
  })

  it('partitioned cookies of different partitions are distinct', () => {
    const p1 = { topLevelSite: 'https://x.test', hasCrossSiteAncestor: true }
    const p2 = { topLevelSite: 'https://y.test', hasCrossSiteAncestor: true }
    expect(storeKey(cookie('a', '1', { partitionKey: p1 }))).not.toBe(storeKey(cookie('a', '1', { partitionKey: p2 })))
    const changes = diffCookies(snapshotOf([cookie('a', '1', { partitionKey: p1 })]), snapshotOf([cookie('a', '1', { partitionKey: p1 }), cookie('a', '1', { partitionKey: p2 })]), { now: NOW })
    expect(changes).toHaveLength(1)
    expect(changes[0]?.cookie.partitionKey).toEqual(p2)
  })

  it('a cookie gone before its expiry is explicit/removed, or expired-overwrite when a write of that name deleted it', () => {
    const before = snapshotOf([cookie('a', '1'), cookie('b', '2', { session: false, expires: NOW / 1000 + 3600 })])
    const after = snapshotOf([])
    expect(summary(diffCookies(before, after, { now: NOW }))).toEqual(['a=1 explicit removed', 'b=2 explicit removed'])
    expect(summary(diffCookies(before, after, { now: NOW, expiringWrites: new Set(['b']) }))).toEqual(['a=1 explicit removed', 'b=2 expired-overwrite removed'])
  })

  it('a cookie gone after its expiry is expired/removed, and expirations come first, oldest expiry first', () => {
    const before = snapshotOf([
      cookie('late', '1', { session: false, expires: NOW / 1000 - 1 }),
      cookie('x', '1'),
      cookie('early', '1', { session: false, expires: NOW / 1000 - 5 }),
    ])
    const after = snapshotOf([cookie('y', '1')])
    expect(summary(diffCookies(before, after, { now: NOW }))).toEqual([
      'early=1 expired removed',
      'late=1 expired removed',
      'x=1 explicit removed',
      'y=1 explicit added',
    ])
  })

  it('an expiry exactly at "now" counts as expired (Chromium: expiry <= now)', () => {
    const before = snapshotOf([cookie('a', '1', { session: false, expires: NOW / 1000 })])
    expect(summary(diffCookies(before, snapshotOf([]), { now: NOW }))).toEqual(['a=1 expired removed'])
  })

  it('orders changes of written names by their last write, the others after in store order', () => {
    const before = snapshotOf([cookie('a', '1'), cookie('z', '0')])
    const after = snapshotOf([cookie('a', '2'), cookie('b', '1'), cookie('c', '1', { path: '/p' }), cookie('other', '1')])
    const changes = diffCookies(before, after, { now: NOW, order: ['c', 'a', 'b', 'c'] })
    expect(summary(changes)).toEqual([
      'a=1 overwrite removed',
      'a=2 explicit added',
      'b=1 explicit added',
      'c=1 explicit added',
      'z=0 explicit removed',
      'other=1 explicit added',
    ])
  })

  it('keeps the order of 20 new cookies written in order even when the store lists them otherwise', () => {
    const names = Array.from({ length: 20 }, (_, i) => `k${i}`)
    const listed = [...names].reverse().map((name) => cookie(name, 'v'))
    expect(diffCookies(snapshotOf([]), snapshotOf(listed), { now: NOW, order: names }).map((c) => c.cookie.name)).toEqual(names)
  })
})

describe('sameCookie', () => {
  it('ignores the expiry field of session cookies', () => {
    expect(sameCookie(cookie('a', '1', { expires: -1 }), cookie('a', '1', { expires: 0 }))).toBe(true)
    expect(sameCookie(cookie('a', '1'), cookie('a', '1', { session: false, expires: 5 }))).toBe(false)
  })
})

describe('parseCookieLine', () => {
  it('reads the name and the value', () => {
    expect(parseCookieLine('a=1', NOW)).toEqual({ name: 'a', value: '1', expiring: false })
    expect(parseCookieLine('  sp ace =x=y; path=/', NOW)).toEqual({ name: 'sp ace', value: 'x=y', expiring: false })
    expect(parseCookieLine('novalue', NOW)).toEqual({ name: '', value: 'novalue', expiring: false })
  })
  it('Max-Age ≤ 0 deletes, and wins over Expires', () => {
    expect(parseCookieLine('a=; Max-Age=0', NOW).expiring).toBe(true)
    expect(parseCookieLine('a=; max-age=-5; path=/', NOW).expiring).toBe(true)
    expect(parseCookieLine('a=1; max-age=10', NOW).expiring).toBe(false)
    expect(parseCookieLine('a=1; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=100', NOW).expiring).toBe(false)
    expect(parseCookieLine(`a=1; expires=${new Date(NOW + 1000).toUTCString()}; max-age=0`, NOW).expiring).toBe(true)
  })
  it('an Expires in the past deletes', () => {
    expect(parseCookieLine('a=; expires=Thu, 01 Jan 1970 00:00:00 GMT', NOW).expiring).toBe(true)
    expect(parseCookieLine(`a=1; Expires=${new Date(NOW + 60_000).toUTCString()}`, NOW).expiring).toBe(false)
    expect(parseCookieLine('a=1; expires=garbage', NOW).expiring).toBe(false)
  })
})

describe('setCookieLines', () => {
  it('splits the newline-joined header CDP reports', () => {
    expect(setCookieLines('a=1; Path=/\nb=2\n')).toEqual(['a=1; Path=/', 'b=2'])
    expect(setCookieLines(undefined)).toEqual([])
  })
})

describe('evictions', () => {
  it('groups by registrable domain (approximately) and keeps IPs whole', () => {
    expect(evictionGroup('.a.example.com')).toBe('example.com')
    expect(evictionGroup('b.example.com')).toBe('example.com')
    expect(evictionGroup('127.0.0.1')).toBe('127.0.0.1')
    expect(evictionGroup('localhost')).toBe('localhost')
  })

  it('an unexplained disappearance while a domain went over 180 cookies is evicted; below the limit it is explicit', () => {
    const old = Array.from({ length: 170 }, (_, i) => cookie(`o${i}`, 'v'))
    const added = Array.from({ length: 11 }, (_, i) => cookie(`n${i}`, 'v'))
    // 170 + 11 = 181 > 180: Chromium purges the least recently used (here o0..o29).
    const after = [...old.slice(30), ...added]
    const changes = diffCookies(snapshotOf(old), snapshotOf(after), { now: NOW, order: added.map((c) => c.name) })
    expect(changes.filter((c) => c.removed).map((c) => c.cause)).toEqual(Array(30).fill('evicted'))
    expect(changes.filter((c) => !c.removed)).toHaveLength(11)
    // Added cookies come first (they were written), evictions after.
    expect(changes[0]?.removed).toBe(false)

    const fewer = diffCookies(snapshotOf(old), snapshotOf([...old.slice(1), ...added.slice(0, 10)]), { now: NOW })
    expect(fewer.filter((c) => c.removed).map((c) => c.cause)).toEqual(['explicit'])
  })

  it('the 180 limit counts only the cookie\'s own group; an expired one stays expired', () => {
    const others = Array.from({ length: 200 }, (_, i) => cookie(`x${i}`, 'v', { domain: 'other.test' }))
    const mine = cookie('mine', 'v')
    const gone = cookie('old', 'v', { domain: 'other.test', session: false, expires: NOW / 1000 - 1 })
    const changes = diffCookies(snapshotOf([...others, mine, gone]), snapshotOf(others), { now: NOW })
    expect(changes.map((c) => `${c.cookie.name} ${c.cause}`)).toEqual(['old expired', 'mine explicit'])
  })
})

describe('replaying several writes of one cookie between two reads', () => {
  const w = (name: string, value: string | undefined, expiring = false): CookieWrite => ({ name, value, expiring })

  it('reports the whole chain, ending with the stored cookie itself', () => {
    const after = cookie('a', '3', { httpOnly: false })
    const changes = diffCookies(snapshotOf([cookie('a', '0')]), snapshotOf([after]), { now: NOW, writes: [w('a', '1'), w('a', '2'), w('a', '3')] })
    expect(summary(changes)).toEqual([
      'a=0 overwrite removed', 'a=1 explicit added',
      'a=1 overwrite removed', 'a=2 explicit added',
      'a=2 overwrite removed', 'a=3 explicit added',
    ])
    expect(changes.at(-1)?.cookie).toBe(after)
  })

  it('a deletion in the middle is expired-overwrite, and a new cookie starts the chain with an add', () => {
    const changes = diffCookies(snapshotOf([]), snapshotOf([cookie('a', '2')]), { now: NOW, writes: [w('a', '1'), w('a', '', true), w('a', '2')] })
    expect(summary(changes)).toEqual(['a=1 explicit added', 'a=1 expired-overwrite removed', 'a=2 explicit added'])
  })

  it('stops at the last write the store shows; later writes are left for the next read', () => {
    expect(replayLength([w('a', '1'), w('a', '2'), w('a', '3')], { value: '2' })).toBe(2)
    const changes = diffCookies(snapshotOf([]), snapshotOf([cookie('a', '2')]), { now: NOW, writes: [w('a', '1'), w('a', '2'), w('a', '3')] })
    expect(summary(changes)).toEqual(['a=1 explicit added', 'a=1 overwrite removed', 'a=2 explicit added'])
  })

  it('a replayed chain is placed write by write among the changes of other names', () => {
    const before = snapshotOf([cookie('a', '0')])
    const after = snapshotOf([cookie('a', '2'), cookie('b', '1')])
    const writes = [w('a', '1'), w('b', '1'), w('a', '2')]
    expect(summary(diffCookies(before, after, { now: NOW, order: writes.map((x) => x.name), writes }))).toEqual([
      'a=0 overwrite removed', 'a=1 explicit added', 'b=1 explicit added', 'a=1 overwrite removed', 'a=2 explicit added',
    ])
  })

  it('falls back to the net change when the writes cannot be replayed honestly', () => {
    const net = ['a=0 overwrite removed', 'a=9 explicit added']
    const diff = (writes: CookieWrite[]) => summary(diffCookies(snapshotOf([cookie('a', '0')]), snapshotOf([cookie('a', '9')]), { now: NOW, writes }))
    expect(diff([w('a', '9')])).toEqual(net) // one write: the net change is the chain
    expect(diff([w('a', '1'), w('a', undefined), w('a', '9')])).toEqual(net) // a value unknown (CookieStore)
    expect(diff([w('a', '1'), w('a', '2')])).toEqual(net) // the store shows a value no write has
    // two cookies named a changed (other paths): the writes cannot be told apart
    const two = diffCookies(snapshotOf([]), snapshotOf([cookie('a', '2'), cookie('a', '2', { path: '/x' })]), { now: NOW, writes: [w('a', '1'), w('a', '2')] })
    expect(summary(two)).toEqual(['a=2 explicit added', 'a=2 explicit added'])
  })
})


describe('identical rewrites (the store does not change; Chromium still replaces the cookie)', () => {
  const accepted = (name: string, value: string, landed: WriteTarget = { domain: 'a.test', path: '/' }, expiring = false): CookieWrite => ({ name, value, expiring, landed })

  it('an accepted write equal to the stored cookie is an overwrite pair of that cookie', () => {
    const stored = cookie('a', '1')
    const changes = diffCookies(snapshotOf([stored]), snapshotOf([{ ...stored }]), { now: NOW, order: ['a'], writes: [accepted('a', '1')] })
    expect(summary(changes)).toEqual(['a=1 overwrite removed', 'a=1 explicit added'])
    expect(changes[0]?.cookie).toBe(stored)
    expect(changes.map((c) => c.write)).toEqual([0, 0])
  })

  it('one pair per write, in write order among the other changes', () => {
    const before = snapshotOf([cookie('a', '1'), cookie('b', '1')])
    const after = snapshotOf([cookie('a', '1'), cookie('b', '2')])
    const writes = [accepted('a', '1'), accepted('b', '2'), accepted('a', '1')]
    const changes = diffCookies(before, after, { now: NOW, order: writes.map((w) => w.name), writes })
    expect(summary(changes)).toEqual(['a=1 overwrite removed', 'a=1 explicit added', 'b=1 overwrite removed', 'b=2 explicit added', 'a=1 overwrite removed', 'a=1 explicit added'])
  })

  it('nothing for a write that was not accepted, has no known value, deletes, or holds another value', () => {
    const both = snapshotOf([cookie('a', '1')])
    const diff = (write: CookieWrite) => diffCookies(both, snapshotOf([cookie('a', '1')]), { now: NOW, writes: [write] })
    expect(diff({ name: 'a', value: '1', expiring: false })).toEqual([]) // no `landed`: Chromium may have refused it
    expect(diff(accepted('a', '2'))).toEqual([]) // not applied yet: the next read shows it
    expect(diff({ ...accepted('a', ''), expiring: true })).toEqual([])
    expect(diff({ name: 'a', value: undefined, expiring: false, landed: { domain: 'a.test', path: '/' } })).toEqual([])
  })

  it('nothing when the write names another domain or path, or attributes the stored cookie does not have', () => {
    const both = [cookie('a', '1'), cookie('a', '1', { path: '/x' })]
    const diff = (landed: WriteTarget) => summary(diffCookies(snapshotOf(both), snapshotOf([...both]), { now: NOW, writes: [accepted('a', '1', landed)] }))
    expect(diff({ domain: 'b.test', path: '/' })).toEqual([])
    expect(diff({ domain: 'a.test', path: '/y' })).toEqual([])
    expect(diff({ domain: 'a.test', path: '/x' })).toEqual(['a=1 overwrite removed', 'a=1 explicit added'])
    // without a path the write could be either cookie: ambiguous, nothing
    expect(diff({ domain: 'a.test' })).toEqual([])
    const attributes = { secure: false, httpOnly: false, session: true, expires: -1 }
    expect(diff({ domain: 'a.test', path: '/', attributes })).toHaveLength(2)
    expect(diff({ domain: 'a.test', path: '/', attributes: { ...attributes, secure: true } })).toEqual([])
    expect(diff({ domain: 'a.test', path: '/', attributes: { ...attributes, sameSite: 'Lax' } })).toEqual([])
    expect(diff({ domain: 'a.test', path: '/', partitioned: true })).toEqual([])
  })

  it('an expiry must match exactly (a Max-Age write is never taken for a rewrite)', () => {
    const stored = cookie('a', '1', { session: false, expires: NOW / 1000 + 60 })
    const diff = (expires: number) =>
      diffCookies(snapshotOf([stored]), snapshotOf([stored]), { now: NOW, writes: [accepted('a', '1', { domain: 'a.test', path: '/', attributes: { secure: false, httpOnly: false, session: false, expires } })] })
    expect(diff(NOW / 1000 + 60)).toHaveLength(2)
    expect(diff(NOW / 1000 + 61)).toEqual([])
    expect(diff(Number.NaN)).toEqual([])
  })

  it('a write that a changed cookie may explain is replayed there, not reported as a rewrite', () => {
    const changes = diffCookies(snapshotOf([cookie('a', '1')]), snapshotOf([cookie('a', '2')]), { now: NOW, writes: [accepted('a', '1'), accepted('a', '2')] })
    expect(summary(changes)).toEqual(['a=1 overwrite removed', 'a=1 explicit added', 'a=1 overwrite removed', 'a=2 explicit added'])
    // A write with no known path that may be the change of a=0 on / is no rewrite of the equal a=1 on /x.
    const before = snapshotOf([cookie('a', '0'), cookie('a', '1', { path: '/x' })])
    const after = snapshotOf([cookie('a', '1'), cookie('a', '1', { path: '/x' })])
    expect(summary(diffCookies(before, after, { now: NOW, writes: [accepted('a', '1', { domain: 'a.test' })] }))).toEqual(['a=0 overwrite removed', 'a=1 explicit added'])
  })
})

describe('writes with a known domain and path (two cookies of one name)', () => {
  const at = (name: string, value: string, path: string): CookieWrite => ({ name, value, expiring: false, landed: { domain: 'a.test', path } })

  it('writeMatches: the name, and the domain, path and partitioning where known', () => {
    expect(writeMatches({ name: 'a', value: '1', expiring: false }, cookie('a', '9', { path: '/x' }))).toBe(true)
    expect(writeMatches(at('a', '1', '/'), cookie('a', '1', { path: '/x' }))).toBe(false)
    expect(writeMatches(at('a', '1', '/x'), cookie('a', '1', { path: '/x' }))).toBe(true)
    expect(writeMatches(at('b', '1', '/x'), cookie('a', '1', { path: '/x' }))).toBe(false)
  })

  it('each cookie replays its own writes, in write order across the two', () => {
    const before = snapshotOf([cookie('a', '0'), cookie('a', '0', { path: '/x' })])
    const after = snapshotOf([cookie('a', '2'), cookie('a', '4', { path: '/x' })])
    const writes = [at('a', '1', '/'), at('a', '3', '/x'), at('a', '2', '/'), at('a', '4', '/x')]
    const changes = diffCookies(before, after, { now: NOW, order: writes.map((w) => w.name), writes })
    expect(changes.map((c) => `${c.cookie.path} ${c.cookie.value} ${c.cause} ${c.removed ? 'removed' : 'added'}`)).toEqual([
      '/ 0 overwrite removed', '/ 1 explicit added',
      '/x 0 overwrite removed', '/x 3 explicit added',
      '/ 1 overwrite removed', '/ 2 explicit added',
      '/x 3 overwrite removed', '/x 4 explicit added',
    ])
  })

  it('one change each: ordered by each cookie\'s own last write, not by the store', () => {
    const after = snapshotOf([cookie('a', '1', { path: '/x' }), cookie('a', '1')])
    const writes = [at('a', '1', '/'), at('a', '1', '/x')]
    const changes = diffCookies(snapshotOf([]), after, { now: NOW, order: ['a', 'a'], writes })
    expect(changes.map((c) => c.cookie.path)).toEqual(['/', '/x'])
    expect(diffCookies(snapshotOf([]), after, { now: NOW, order: ['a', 'a'], writes: [...writes].reverse() }).map((c) => c.cookie.path)).toEqual(['/x', '/'])
  })

  it('a cookie the store shows at its first write is placed at that write (the later ones are still on their way)', () => {
    const after = snapshotOf([cookie('a', '0', { path: '/x' }), cookie('a', '1')])
    const writes = [at('a', '0', '/'), at('a', '0', '/x'), at('a', '1', '/'), at('a', '1', '/x')]
    const changes = diffCookies(snapshotOf([]), after, { now: NOW, order: writes.map((w) => w.name), writes })
    expect(changes.map((c) => `${c.cookie.path} ${c.cookie.value} ${c.cause} ${c.removed ? 'removed' : 'added'}`)).toEqual([
      '/ 0 explicit added',
      '/x 0 explicit added',
      '/ 0 overwrite removed', '/ 1 explicit added',
    ])
  })

  it('a write with no known path still makes both fall back to their net changes', () => {
    const before = snapshotOf([cookie('a', '0'), cookie('a', '0', { path: '/x' })])
    const after = snapshotOf([cookie('a', '2'), cookie('a', '4', { path: '/x' })])
    const writes = [at('a', '1', '/'), { name: 'a', value: '3', expiring: false }, at('a', '2', '/'), at('a', '4', '/x')]
    expect(summary(diffCookies(before, after, { now: NOW, writes }))).toEqual(['a=0 overwrite removed', 'a=2 explicit added', 'a=0 overwrite removed', 'a=4 explicit added'])
  })
})

describe('cookieFromLine (what a document.cookie or Set-Cookie line stores, or why Chromium refuses it)', () => {
  const page = 'http://a.test/dir/page.html'

  it('the stored identity: host-only or a domain cookie, the default path from the url', () => {
    expect(cookieFromLine('a=1', page, NOW, 'script')).toMatchObject({ ok: true, cookie: { name: 'a', value: '1', domain: 'a.test', path: '/dir', secure: false, sameSite: 'unspecified' } })
    expect(cookieFromLine('a=1; Domain=A.test; Path=/p; SameSite=Lax', page, NOW, 'script')).toMatchObject({ ok: true, cookie: { domain: '.a.test', path: '/p', sameSite: 'lax' } })
    expect(cookieFromLine('a=1; path=relative', page, NOW, 'script')).toMatchObject({ ok: true, cookie: { path: '/dir' } })
    expect(cookieFromLine('a=1; Max-Age=60', page, NOW, 'script')).toMatchObject({ ok: true, cookie: { expires: NOW / 1000 + 60, relativeExpiry: true } })
  })

  it('the refusals: foreign domain, Secure from http, HttpOnly from script, Partitioned without Secure', () => {
    expect(cookieFromLine('a=1; domain=other.example', page, NOW, 'script')).toEqual({ ok: false, reason: 'EXCLUDE_INVALID_DOMAIN' })
    expect(cookieFromLine('a=1; Secure', page, NOW, 'http')).toEqual({ ok: false, reason: 'EXCLUDE_SECURE_ONLY' })
    expect(cookieFromLine('a=1; Secure', 'http://127.0.0.1:8/', NOW, 'script')).toMatchObject({ ok: true }) // localhost is trustworthy
    expect(cookieFromLine('a=1; HttpOnly', page, NOW, 'script')).toEqual({ ok: false, reason: 'EXCLUDE_HTTP_ONLY' })
    expect(cookieFromLine('a=1; HttpOnly', page, NOW, 'http')).toMatchObject({ ok: true, cookie: { httpOnly: true } })
    expect(cookieFromLine('a=1; Partitioned', page, NOW, 'script')).toEqual({ ok: false, reason: 'EXCLUDE_INVALID_PARTITIONED' })
    expect(cookieFromLine('a=1; SameSite=None', page, NOW, 'script')).toEqual({ ok: false, reason: 'EXCLUDE_SAMESITE_NONE_INSECURE' })
  })
})
