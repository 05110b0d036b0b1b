// Pure helpers for cookie change tracking: turning two reads of a cookie store
// into the ordered change events Electron reports, and reading the little we
// need (name, "is this a deletion?") out of a cookie line.
//
// Chromium's CookieMonster reports, per store mutation (Electron's names):
//   - insert of a new cookie                → (cookie, 'explicit', removed=false)
//   - replace of an equivalent cookie       → (old, 'overwrite', true), then (new, 'explicit', false)
//   - set of an already-expired equivalent  → (old, 'expired-overwrite', true), nothing inserted
//   - delete through an API                 → (old, 'explicit', true)
//   - garbage collection of an expired one  → (old, 'expired', true)
//   - eviction (store limits)               → (old, 'evicted', true)
//     (inferred here: an unexplained disappearance while the store was over
//     Chromium's 180-per-domain or 3300-total limit)
// Equivalence is (name, domain, path) plus the partition key of a partitioned
// cookie. A snapshot diff sees only the net effect between two reads, so the
// caller passes hints (what pages wrote, in which order) to pick the cause of
// a disappearance and to order the events.
//
// A replace is reported even when the new cookie equals the old one:
// `CookieMonster::MaybeDeleteEquivalentCookieAndUpdateStatus` deletes the
// equivalent cookie with DELETE_COOKIE_OVERWRITE without comparing values (the
// value only decides whether the creation date is inherited), and
// `SetCanonicalCookie` inserts the new one. No store diff shows such a
// rewrite; a write the caller knows Chromium accepted, and knows where it
// landed (CookieWrite.landed), is reported from the write itself.

/** The fields of a CDP `Network.Cookie` the diff looks at. */
import { readCookieLine } from './cookie-rules.js'
export interface StoreCookie {
  name: string
  value: string
  domain: string
  path: string
  /** Seconds since the epoch; -1 (or any value) for a session cookie. */
  expires: number
  session: boolean
  httpOnly: boolean
  secure: boolean
  sameSite?: string
  priority?: string
  sourceScheme?: string
  sourcePort?: number
  partitionKey?: { topLevelSite: string; hasCrossSiteAncestor: boolean }
}

export type ChangeCause = 'explicit' | 'overwrite' | 'expired' | 'evicted' | 'expired-overwrite'

export interface CookieChange<C extends StoreCookie = StoreCookie> {
  cookie: C
  cause: ChangeCause
  removed: boolean
  /** For the pair of an identical rewrite: the index in `DiffHints.writes` of the write that made it. */
  write?: number
}

export interface DiffHints {
  /** Wall-clock time of the read that produced the newer snapshot, in ms. */
  now: number
  /**
   * Names written since the previous read, oldest first (page writes and
   * Set-Cookie lines). Changes of these names are ordered by their last write.
   */
  order?: readonly string[]
  /** Names written with an expiry in the past (deletions by overwrite). */
  expiringWrites?: ReadonlySet<string>
  /**
   * The writes themselves, oldest first, where their values are known (cookie
   * lines). Several writes of one cookie between two reads are replayed as the
   * chain of changes they made (see replayLength), not only the net change.
   */
  writes?: readonly CookieWrite[]
}

/** One write of a cookie, as recorded when it happened. */
export interface CookieWrite {
  name: string
  /** undefined when the writer did not tell. */
  value: string | undefined
  expiring: boolean
  /**
   * Set only for a write Chromium accepted (or that the caller checked with
   * Chromium's rules): where it landed, as far as known. A write with domain
   * and path known belongs to that cookie only; without, to any cookie of its name.
   */
  landed?: WriteTarget
}

/** Where an accepted write landed in the store. */
export interface WriteTarget {
  /** The stored domain: the host (host-only cookie) or '.'-prefixed. */
  domain?: string
  path?: string
  /** Whether the cookie is partitioned (its partition key is not known). */
  partitioned?: boolean
  /**
   * For a write whose record can reach the caller before the store applied it
   * (document.cookie): the cookie it makes. A store cookie with other values
   * has not taken this write yet, so it is no rewrite.
   */
  attributes?: Pick<StoreCookie, 'secure' | 'httpOnly' | 'sameSite' | 'session' | 'expires'>
}

/** True when `write` may have written `cookie` (same name; the same domain, path and partitioning where known). */
export function writeMatches(write: CookieWrite, cookie: StoreCookie): boolean {
  if (write.name !== cookie.name) return false
  const landed = write.landed
  if (!landed) return true
  if (landed.domain !== undefined && landed.domain !== cookie.domain) return false
  if (landed.path !== undefined && landed.path !== cookie.path) return false
  return landed.partitioned === undefined || landed.partitioned === (cookie.partitionKey !== undefined)
}

/** The indexes of the `writes` that may have written `cookie` (writeMatches), in order. */
function matchingWrites(writes: readonly CookieWrite[] | undefined, cookie: StoreCookie): number[] {
  const indexes: number[] = []
  writes?.forEach((write, index) => {
    if (writeMatches(write, cookie)) indexes.push(index)
  })
  return indexes
}

/** True when a write with these attributes leaves `cookie` as it is (an expiry must match to the millisecond). */
function sameAttributes(attributes: WriteTarget['attributes'], cookie: StoreCookie): boolean {
  if (!attributes) return true
  return (
    attributes.secure === cookie.secure &&
    attributes.httpOnly === cookie.httpOnly &&
    (attributes.sameSite ?? '') === (cookie.sameSite ?? '') &&
    attributes.session === cookie.session &&
    (cookie.session || Math.abs(attributes.expires - cookie.expires) < 0.001)
  )
}

/**
 * How many of `writes` (all of one name, oldest first) to replay to get from
 * the old state of a cookie to `after`: up to the last write that leaves the
 * store as it is now. 0 when they cannot be replayed honestly: fewer than two,
 * a value unknown, or no prefix that ends in the state the store shows (a
 * write Chromium refused, or one the store has not applied yet, is then not
 * invented). Later writes are for the next read.
 */
export function replayLength(writes: readonly CookieWrite[], after: Pick<StoreCookie, 'value'> | undefined): number {
  if (writes.length < 2 || writes.some((write) => write.value === undefined)) return 0
  for (let end = writes.length; end >= 2; end--) {
    const last = writes[end - 1]!
    if (after === undefined ? last.expiring : !last.expiring && last.value === after.value) return end
  }
  return 0
}

/**
 * The chain of changes that `writes` made, from `before` to `after`, one step
 * per write (a write may change nothing: a deletion of no cookie); the added
 * cookies take `after`'s (or `before`'s) other fields.
 */
function replay<C extends StoreCookie>(before: C | undefined, after: C | undefined, writes: readonly CookieWrite[]): Array<Array<CookieChange<C>>> {
  const template = (after ?? before)!
  let state = before
  return writes.map((write, index) => {
    const events: Array<CookieChange<C>> = []
    if (write.expiring) {
      if (state) events.push({ cookie: state, cause: 'expired-overwrite', removed: true })
      state = undefined
      return events
    }
    const next = index === writes.length - 1 && after ? after : { ...template, value: write.value! }
    if (state) events.push({ cookie: state, cause: 'overwrite', removed: true })
    events.push({ cookie: next, cause: 'explicit', removed: false })
    state = next
    return events
  })
}

/** The store identity of a cookie: name, domain, path and partition. */
export function storeKey(cookie: Pick<StoreCookie, 'name' | 'domain' | 'path' | 'partitionKey'>): string {
  const partition = cookie.partitionKey ? `${cookie.partitionKey.topLevelSite}|${String(cookie.partitionKey.hasCrossSiteAncestor)}` : ''
  return `${cookie.name}\u0000${cookie.domain}\u0000${cookie.path}\u0000${partition}`
}

/** A snapshot keyed by store identity, in the order the store listed the cookies. */
export function snapshotOf<C extends StoreCookie>(cookies: readonly C[]): Map<string, C> {
  const map = new Map<string, C>()
  for (const cookie of cookies) map.set(storeKey(cookie), cookie)
  return map
}

/** True when nothing Electron reports differs between the two versions of one cookie. */
export function sameCookie(a: StoreCookie, b: StoreCookie): boolean {
  return (
    a.value === b.value &&
    a.session === b.session &&
    (a.session || a.expires === b.expires) &&
    a.httpOnly === b.httpOnly &&
    a.secure === b.secure &&
    (a.sameSite ?? '') === (b.sameSite ?? '') &&
    (a.priority ?? '') === (b.priority ?? '') &&
    (a.sourceScheme ?? '') === (b.sourceScheme ?? '') &&
    (a.sourcePort ?? 0) === (b.sourcePort ?? 0)
  )
}

/** True when the cookie has an expiry and it is at or before `now` (ms). */
export function isExpiredAt(cookie: StoreCookie, now: number): boolean {
  return !cookie.session && cookie.expires >= 0 && cookie.expires * 1000 <= now
}

interface Group<C extends StoreCookie> {
  events: Array<CookieChange<C>>
  /** Sort keys: expiry removals first (by expiry), then written names (by last write), then the rest. */
  tier: number
  rank: number
  position: number
}

/**
 * The events that turn `before` into `after`, in the order they most likely
 * happened: expirations first (by expiry time), then changes of names the
 * hints say were written (by last write), then the others in store order
 * (removals before additions).
 */
export function diffCookies<C extends StoreCookie>(
  before: ReadonlyMap<string, C>,
  after: ReadonlyMap<string, C>,
  hints: DiffHints,
): Array<CookieChange<C>> {
  const lastWrite = new Map<string, number>()
  hints.order?.forEach((name, index) => lastWrite.set(name, index))
  const groups: Array<Group<C>> = []
  // A written cookie is placed at the write that explains its state: the
  // first of its writes (writeMatches) that leaves it as the store shows it
  // (later ones may not be applied yet), else its last one. So two cookies of
  // one name keep the order of their writes.
  const place = (cookie: StoreCookie, present: boolean, position: number): { tier: number; rank: number; position: number } => {
    const rank = lastWrite.get(cookie.name)
    if (rank === undefined) return { tier: 2, rank: 0, position }
    const mine = matchingWrites(hints.writes, cookie)
    const explaining = mine.find((index) => {
      const write = hints.writes![index]!
      return present ? !write.expiring && write.value === cookie.value : write.expiring
    })
    return { tier: 1, rank: explaining ?? mine.at(-1) ?? rank, position }
  }

  // A disappearance nothing else explains, while the store was over one of
  // Chromium's limits, is most likely an eviction.
  let peak: ReturnType<typeof peakCounts> | undefined
  const overLimit = (cookie: StoreCookie): boolean => {
    peak ??= peakCounts(before, after)
    return (peak.groups.get(evictionGroup(cookie.domain)) ?? 0) > DOMAIN_MAX_COOKIES || peak.total > MAX_COOKIES
  }

  let position = 0
  for (const [key, old] of before) {
    position++
    if (after.has(key)) continue
    if (isExpiredAt(old, hints.now)) {
      groups.push({ events: [{ cookie: old, cause: 'expired', removed: true }], tier: 0, rank: old.expires, position })
      continue
    }
    const cause: ChangeCause = hints.expiringWrites?.has(old.name)
      ? 'expired-overwrite'
      : overLimit(old)
        ? 'evicted'
        : 'explicit'
    groups.push({ events: [{ cookie: old, cause, removed: true }], ...place(old, false, position) })
  }
  for (const [key, cookie] of after) {
    position++
    const old = before.get(key)
    if (!old) {
      groups.push({ events: [{ cookie, cause: 'explicit', removed: false }], ...place(cookie, true, position) })
    } else if (!sameCookie(old, cookie)) {
      groups.push({
        events: [
          { cookie: old, cause: 'overwrite', removed: true },
          { cookie, cause: 'explicit', removed: false },
        ],
        ...place(cookie, true, position),
      })
    }
  }
  groups.push(...rewrites(before, after, hints, groups, position))
  // A replayed group becomes one group per write, ranked by that write: the
  // steps of two cookies written in turns come out in turns.
  const steps = groups.flatMap((group) => replayGroup(group, before, after, hints))
  steps.sort((a, b) => a.tier - b.tier || a.rank - b.rank || a.position - b.position)
  return steps.flatMap((step) => step.events)
}

/**
 * The identical rewrites: an accepted write of a value that a cookie holds
 * before and after, unchanged, is an overwrite of it by an equal cookie. Only
 * when the write names exactly one such cookie, and no changed cookie could be
 * its (the change's own replay covers it then). Each write is placed at its
 * own rank among the written names.
 */
function rewrites<C extends StoreCookie>(
  before: ReadonlyMap<string, C>,
  after: ReadonlyMap<string, C>,
  hints: DiffHints,
  groups: ReadonlyArray<Group<C>>,
  position: number,
): Array<Group<C>> {
  const changed = groups.flatMap((group) => group.events.map((event) => event.cookie))
  const found: Array<Group<C>> = []
  hints.writes?.forEach((write, index) => {
    if (!write.landed || write.expiring || write.value === undefined) return
    if (changed.some((cookie) => writeMatches(write, cookie))) return
    const candidates: Array<[C, C]> = []
    for (const [key, cookie] of after) {
      const old = before.get(key)
      if (old && sameCookie(old, cookie) && cookie.value === write.value && writeMatches(write, cookie) && sameAttributes(write.landed.attributes, cookie)) {
        candidates.push([old, cookie])
      }
    }
    if (candidates.length !== 1) return
    const [old, cookie] = candidates[0]!
    found.push({
      events: [
        { cookie: old, cause: 'overwrite', removed: true, write: index },
        { cookie, cause: 'explicit', removed: false, write: index },
      ],
      tier: 1,
      rank: index,
      position: position + index + 1,
    })
  })
  return found
}

/**
 * A group's events, or the chain its writes made when they can be replayed:
 * the writes that may have written this cookie (writeMatches), only if none of
 * them may also have written another changed cookie (a write that names no
 * domain and path matches every cookie of its name).
 */
function replayGroup<C extends StoreCookie>(group: Group<C>, before: ReadonlyMap<string, C>, after: ReadonlyMap<string, C>, hints: DiffHints): Array<Group<C>> {
  const first = group.events[0]
  if (!hints.writes || !first || first.cause === 'expired' || first.cause === 'evicted' || first.write !== undefined) return [group]
  const name = first.cookie.name
  const indexes = matchingWrites(hints.writes, first.cookie)
  const writes = indexes.map((index) => hints.writes![index]!)
  const key = storeKey(first.cookie)
  const others: C[] = []
  for (const [k, c] of before) if (k !== key && c.name === name && (!after.has(k) || !sameCookie(c, after.get(k)!))) others.push(c)
  for (const [k, c] of after) if (k !== key && c.name === name && !before.has(k)) others.push(c)
  if (writes.some((write) => others.some((other) => writeMatches(write, other)))) return [group]
  const length = replayLength(writes, after.get(key))
  if (length === 0) return [group]
  return replay(before.get(key), after.get(key), writes.slice(0, length)).map((events, step) => ({ ...group, events, rank: indexes[step]! }))
}

/** Chromium's store limits (CookieMonster::kDomainMaxCookies, kMaxCookies). */
export const DOMAIN_MAX_COOKIES = 180
export const MAX_COOKIES = 3300

/**
 * The key Chromium's store groups cookies by for its per-domain limit: the
 * registrable domain. Approximated without the public suffix list: an IP
 * address or a single label as is, otherwise the last two labels.
 */
export function evictionGroup(domain: string): string {
  const host = domain.replace(/^\./, '').toLowerCase()
  if (/^[\d.]+$/.test(host) || host.includes(':') || !host.includes('.')) return host
  return host.split('.').slice(-2).join('.')
}

/**
 * How many cookies the store held between the two reads, per eviction group
 * and in all: every cookie of `before` and every one added in `after`.
 */
function peakCounts(before: ReadonlyMap<string, StoreCookie>, after: ReadonlyMap<string, StoreCookie>): { groups: Map<string, number>; total: number } {
  const groups = new Map<string, number>()
  let total = 0
  const count = (c: StoreCookie): void => {
    total++
    const group = evictionGroup(c.domain)
    groups.set(group, (groups.get(group) ?? 0) + 1)
  }
  before.forEach(count)
  for (const [key, c] of after) if (!before.has(key)) count(c)
  return { groups, total }
}

/** What a cookie line (`document.cookie = …` or a Set-Cookie header value) says about itself. */
export interface CookieLine {
  name: string
  value: string
  /** The line deletes: Max-Age ≤ 0, or an Expires in the past without Max-Age. */
  expiring: boolean
}

/**
 * Reads the name and whether the line deletes the cookie. Follows RFC 6265's
 * parsing of the name (text before the first '=', trimmed; no '=' means an
 * empty name) and its precedence of Max-Age over Expires.
 */
export function parseCookieLine(line: string, now: number): CookieLine {
  const { name, value, maxAge, expires } = readCookieLine(line)
  const expiring = maxAge !== undefined ? maxAge <= 0 : expires !== undefined && expires <= now
  return { name, value, expiring }
}

/** The lines of a `set-cookie` header as CDP reports it (several headers joined by newlines). */
export function setCookieLines(header: string | undefined): string[] {
  if (!header) return []
  return header
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
}
