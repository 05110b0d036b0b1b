// Cookie change tracking for `ses.cookies.on('changed')`.
//
// CDP has no cookie-change event, so the tracker keeps a snapshot of the
// session's cookie store (`Storage.getCookies({ browserContextId })` on the
// browser session) and turns the difference between two reads into Electron's
// events (common/cookie-diff.ts has the rules). Reads run one at a time and
// coalesce; events are computed only against the last snapshot, so every
// change is reported once, in read order.
//
// A read is triggered by:
//   - poke(): a change made through `ses.cookies` (set/remove), optionally
//     naming the cookies written;
//   - a write by a page or a server, recorded by cookie-writes.ts: a
//     `document.cookie` line or a CookieStore call in any page, frame or
//     service worker, a `Set-Cookie` line of any response (navigations,
//     subresources, fetch/XHR, workers);
//   - the nearest expiry among the snapshot's cookies (Chromium drops an
//     expired cookie lazily; reading the store removes it, and the diff
//     reports it as 'expired');
//   - a poll for anything else (e.g. another CDP client): a read after 1 s
//     without one, or after 20× the last read's duration for a big store.
//
// The names written ("hints") order the events of one read and pick
// 'expired-overwrite' over 'explicit' for a deletion by a past expiry. A write
// and its binding call take different paths (renderer → network service vs.
// renderer → browser → us), so either can be first:
//   - the store ahead of the hints: a change no hint names waits up to 4×15 ms,
//     only while more hints keep arriving, before it is ordered and emitted;
//   - the hints ahead of the store: a hint no change explains is kept and the
//     store re-read 10, 20, 40 ms later, then the hint is dropped.
// Hints carry the value written (cookie lines, CookieStore calls, API sets),
// so several writes of one cookie between two reads are replayed as the chain
// of changes they made (cookie-diff's replayLength: only up to the write the
// store shows, and never for a value that no write had). A change whose value
// no recorded write of that cookie has yet waits for its late hint like an
// unnamed one; writes after the stored one stay pending for the next read. A
// hint belongs to the cookie it landed on when that is known (cookie-diff's
// writeMatches), else to every cookie of its name.
//
// start() sends the baseline read and wraps live pages synchronously (once the
// session's binding is known, which the constructor fetches), ahead of any
// command the caller sends after adding its listener. Nothing runs while nobody
// listens: stop() removes the hook and the timers, and stops the recording of
// writes (cookie-writes.ts unwatchAll); a closed session stops the tracker.
//
// Identical rewrites (the store does not change, Chromium still reports an
// overwrite pair; see cookie-diff.ts) come from the hints of writes known to be
// accepted and whose cookie is known (domain, path), which also keeps the
// replays of two same-named cookies apart: a ses.cookies.set that CDP answered
// (our checks ran before), and the page and server writes cookie-writes.ts
// gives a landing (see there when).
// A record that arrives after the read that already showed its change (the
// change went out unnamed) would look like a rewrite, or a step of a replay,
// at the next read: added cookies emitted with no matching hint are remembered
// for 2 s and absorb such a late record when it arrives.
//
// Limits: a snapshot holds only the last state, so writes whose values were
// not recorded show as one change; the cause of a disappearance is inferred
// ('expired' when its expiry has passed, 'expired-overwrite' when a write of
// that name had a past expiry, 'evicted' when the store was over Chromium's
// 180-per-domain or 3300-total limit, else 'explicit'); a write with no known
// identity matches every cookie of its name.
import type { Protocol } from 'devtools-protocol'
import { diffCookies, replayLength, snapshotOf, writeMatches, type CookieChange, type CookieWrite, type WriteTarget } from '../common/cookie-diff.js'
import { debug, detach } from '../common/util.js'
import type { TargetSession } from '../cdp/target-session.js'
import { CookieWriteRecorder, type RecordedWrite } from './cookie-writes.js'
import { fromCdpCookie, type Cookie, type CookieChangedCause } from './cookie-types.js'
import type { SessionContext } from './context.js'
import type { SessionBinding } from './core/types.js'
import { FLUSH_COOKIE_DOMAIN } from './storage.js'

export type CookieChangeListener = (cookie: Cookie, cause: CookieChangedCause, removed: boolean) => void

/** Safety net for changes no trigger saw: a read after this long without one. */
const POLL_MS = 1000
/** …or after this many times the duration of the last read, if longer (big stores). */
const POLL_COST_FACTOR = 20
/** A write hint that no read explains is retried this many times, 10 ms, 20 ms, 40 ms later. */
const HINT_RETRIES = 3
const RETRY_BASE_MS = 10
/** Slack after an expiry before reading (Chromium compares expiry <= now). */
const EXPIRY_SLACK_MS = 5
/** How long a change no hint names waits for a late binding call. */
const HINT_GRACE_MS = 15
const HINT_GRACE_ROUNDS = 4
const MAX_TIMER_MS = 2 ** 31 - 1
/** How long an added cookie that no hint named can absorb a late hint of its write. */
const UNCLAIMED_MS = 2000

/** A write made through `ses.cookies`, after Chromium took it (see poke()). */
export interface ApiWrite {
  name: string
  expiring: boolean
  /** With value, domain (as stored: host, or '.'-prefixed) and path: an identical rewrite is reported too. */
  value?: string
  domain?: string
  path?: string
}

/** A recorded write (from cookie-writes.ts, or poke()) not yet explained by a read. */
interface Hint extends RecordedWrite {
  attempts: number
}

/** Watches one session's cookie store while someone listens to `changed`. */
export class CookieChangeTracker {
  readonly #session: SessionContext
  readonly #emit: CookieChangeListener
  /** Bumped by start() and stop(): work of an older generation is dropped. */
  #generation = 0
  #active = false
  #hook: { ready: Promise<void>; remove(): void } | undefined
  readonly #writes = new CookieWriteRecorder({
    write: (write) => this.#hint(write),
    changed: () => this.#request(),
    stored: () => this.#snapshot?.values() ?? [],
  })
  /** The session's binding once known (fetched when the tracker is made). */
  #binding: SessionBinding | undefined
  /** The store as last read; undefined until the first (baseline) read. */
  #snapshot: Map<string, Protocol.Network.Cookie> | undefined
  #reading = false
  #dirty = false
  #hints: Hint[] = []
  /** Count of hints ever received (tells whether more arrived while waiting). */
  #hintsSeen = 0
  /** Added cookies emitted while no hint named them, with when: a late hint of their write is no new write. */
  #unclaimed: Array<{ cookie: Protocol.Network.Cookie; at: number }> = []
  #poll: NodeJS.Timeout | undefined
  #expiryTimer: NodeJS.Timeout | undefined
  #retryTimer: NodeJS.Timeout | undefined

  constructor(session: SessionContext, emit: CookieChangeListener) {
    this.#session = session
    this.#emit = emit
    this.#session.bindingFor('cookies.on(changed)').then(
      (binding) => {
        this.#binding = binding
      },
      () => undefined,
    )
    this.#session.onClose(() => {
      this.stop()
    })
  }

  /** Starts watching (first listener added). */
  start(): void {
    if (this.#active || this.#session.closed) return
    this.#active = true
    const generation = ++this.#generation
    // With the session's binding at hand, the baseline read and the wrapper of
    // live pages go out now, ahead of any command the caller sends after
    // adding its listener: a write made right after on('changed') is reported.
    const binding = this.#binding
    this.#request()
    if (binding) for (const target of binding.manager.targetsOf(this.#session)) void this.#apply(target, generation)
    this.#hook = this.#session.addTargetHook({ apply: (target) => this.#apply(target, generation), restart: (target) => this.#writes.restarted(target) })
    this.#schedulePoll(0)
  }

  /** Stops watching (last listener removed); no cost afterwards. */
  stop(): void {
    if (!this.#active) return
    this.#active = false
    this.#generation++
    this.#hook?.remove()
    this.#hook = undefined
    this.#writes.unwatchAll()
    clearTimeout(this.#poll)
    clearTimeout(this.#expiryTimer)
    clearTimeout(this.#retryTimer)
    this.#poll = this.#expiryTimer = this.#retryTimer = undefined
    this.#snapshot = undefined
    this.#hints = []
    this.#unclaimed = []
    this.#dirty = false
    // A read still in flight belongs to the old generation and drops its result.
    this.#reading = false
  }

  /**
   * Re-reads the store now (called after changes made through the API, once
   * Chromium took them). `written` optionally names the cookies the call
   * wrote, in call order, and whether each write deletes (a `set` with a past
   * `expirationDate`): the events are then ordered by it and such a deletion
   * reports 'expired-overwrite' as in Electron, instead of 'explicit'. With the
   * value, domain and path, a set equal to the stored cookie reports its
   * overwrite pair.
   */
  poke(written?: readonly ApiWrite[]): void {
    for (const write of written ?? []) {
      const known = write.value !== undefined && write.domain !== undefined && write.path !== undefined
      this.#hint({ name: write.name, expiring: write.expiring, value: write.value, landed: known ? { domain: write.domain, path: write.path, partitioned: false } : undefined })
    }
    this.#request()
  }

  // ---- writes ----------------------------------------------------------------

  #apply(target: TargetSession, generation: number): Array<Promise<unknown>> {
    if (generation !== this.#generation) return []
    return this.#writes.watch(target)
  }

  #hint({ name, expiring, value, landed }: RecordedWrite): void {
    if (!this.#active) return
    // The record of a write whose change already went out unnamed explains that change: it is no new write.
    const now = Date.now()
    this.#unclaimed = this.#unclaimed.filter((entry) => now - entry.at <= UNCLAIMED_MS)
    const write = cookieWrite(name, value, expiring, landed)
    const late = this.#unclaimed.findIndex((entry) => !expiring && entry.cookie.value === value && writeMatches(write, entry.cookie))
    if (late >= 0) {
      this.#unclaimed.splice(late, 1)
      return
    }
    this.#hints.push({ name, value, expiring, landed, attempts: 0 })
    this.#hintsSeen++
  }

  // ---- reading ---------------------------------------------------------------

  #request(): void {
    if (!this.#active) return
    if (this.#session.closed) {
      this.stop()
      return
    }
    this.#dirty = true
    if (!this.#reading) detach(this.#readLoop(this.#generation), 'cookie change read')
  }

  async #readLoop(generation: number): Promise<void> {
    this.#reading = true
    try {
      while (this.#dirty && generation === this.#generation) {
        this.#dirty = false
        try {
          await this.#readOnce(generation)
        } catch (error) {
          // The session or browser went away, or one read failed: the poll retries.
          debug('reading cookies for change events: %s', String(error))
        }
      }
    } finally {
      if (generation === this.#generation) this.#reading = false
    }
  }

  async #readOnce(generation: number): Promise<void> {
    this.#binding ??= await this.#session.bindingFor('cookies.on(changed)')
    const { browser, contextId } = this.#binding
    const started = Date.now()
    const { cookies } = await browser.send('Storage.getCookies', contextId === undefined ? {} : { browserContextId: contextId })
    const now = Date.now()
    if (generation !== this.#generation) return
    this.#schedulePoll(now - started)
    // The throwaway cookie of storage.flushCookies (set, then deleted) is ours, not the app's.
    const next = snapshotOf(cookies.filter((cookie) => cookie.domain.replace(/^\./, '') !== FLUSH_COOKIE_DOMAIN))
    const previous = this.#snapshot
    this.#snapshot = next
    this.#scheduleExpiry(started, now)
    // The first read is the baseline: changes before it are not reported.
    if (!previous) return
    let changes = this.#diff(previous, next, now)
    // The store can be ahead of the binding calls that name the writes: while
    // some change is named by no hint, wait a moment for late hints (again
    // only while they keep coming) before choosing the order and the causes.
    for (let round = 0; round < HINT_GRACE_ROUNDS && this.#hasUnnamed(changes); round++) {
      const known = this.#hintsSeen
      await new Promise((resolve) => setTimeout(resolve, HINT_GRACE_MS))
      if (generation !== this.#generation) return
      changes = this.#diff(previous, next, now)
      if (this.#hintsSeen === known) break
    }
    this.#noteUnclaimed(changes, now)
    this.#consumeHints(changes, next)
    for (const change of changes) this.#deliver(change, generation)
  }

  /** Remembers the added cookies no hint explains (see #hint). */
  #noteUnclaimed(changes: Array<CookieChange<Protocol.Network.Cookie>>, now: number): void {
    for (const change of changes) {
      if (change.removed || change.write !== undefined) continue
      const cookie = change.cookie
      const named = this.#hints.some((hint) => writeMatches(hint, cookie) && (hint.value === undefined || hint.value === cookie.value))
      if (!named) this.#unclaimed.push({ cookie, at: now })
    }
  }

  /**
   * True while some change is named by no hint yet, or shows a value that none
   * of the recorded writes of its name has (its own write's hint is late).
   */
  #hasUnnamed(changes: Array<CookieChange<Protocol.Network.Cookie>>): boolean {
    return changes.some((change) => {
      if (change.cause === 'expired') return false
      const hints = this.#hints.filter((hint) => writeMatches(hint, change.cookie))
      if (hints.length === 0) return true
      if (change.removed || hints.some((hint) => hint.value === undefined)) return false
      return !hints.some((hint) => hint.value === change.cookie.value)
    })
  }

  #diff(
    previous: Map<string, Protocol.Network.Cookie>,
    next: Map<string, Protocol.Network.Cookie>,
    now: number,
  ): Array<CookieChange<Protocol.Network.Cookie>> {
    return diffCookies(previous, next, {
      now,
      order: this.#hints.map((hint) => hint.name),
      expiringWrites: new Set(this.#hints.filter((hint) => hint.expiring).map((hint) => hint.name)),
      writes: this.#hints.map(({ name, value, expiring, landed }) => cookieWrite(name, value, expiring, landed)),
    })
  }

  #deliver(change: CookieChange<Protocol.Network.Cookie>, generation: number): void {
    if (generation !== this.#generation) return
    try {
      this.#emit(fromCdpCookie(change.cookie), change.cause, change.removed)
    } catch (error) {
      // A throwing listener is the app's bug: surface it as Node would for any
      // emitter fired from I/O, after delivering the remaining events.
      process.nextTick(() => {
        throw error
      })
    }
  }

  /**
   * Drops the hints the changes explain. The others may name writes the store
   * has not applied yet: they are kept for a few more reads, shortly after.
   */
  #consumeHints(changes: Array<CookieChange<Protocol.Network.Cookie>>, after: Map<string, Protocol.Network.Cookie>): void {
    const rewrites = new Set(changes.flatMap((change) => (change.write === undefined ? [] : [this.#hints[change.write]])))
    const changed = changes.filter((change) => change.write === undefined).map((change) => change.cookie)
    const explained = new Set<Hint>()
    // Writes of a changed cookie are explained up to what the store shows now
    // (replayLength); the ones after that are still on their way: keep them.
    const keep = new Set<Hint>()
    for (const cookie of changed) {
      const mine = this.#hints.filter((hint) => writeMatches(hint, cookie))
      for (const hint of mine) explained.add(hint)
      const current = [...after.values()].filter((stored) => mine.some((hint) => writeMatches(hint, stored)))
      if (current.length !== 1) continue
      let used = replayLength(mine, current[0])
      // The store may show only the first write (a burst read half-way): the others are still to come.
      if (used === 0 && mine.length > 1 && mine.every((hint) => hint.value !== undefined) && !mine[0]!.expiring && mine[0]!.value === current[0]!.value) used = 1
      if (used > 0) for (const hint of mine.slice(used)) keep.add(hint)
    }
    const again = this.#hints.filter((hint) => !rewrites.has(hint) && (keep.has(hint) || !explained.has(hint)) && hint.attempts < HINT_RETRIES)
    this.#hints = again
    if (again.length === 0) return
    for (const hint of again) hint.attempts++
    const attempts = Math.min(...again.map((hint) => hint.attempts))
    clearTimeout(this.#retryTimer)
    this.#retryTimer = setTimeout(
      () => {
        this.#retryTimer = undefined
        this.#request()
      },
      RETRY_BASE_MS * 2 ** (attempts - 1),
    )
    this.#retryTimer.unref()
  }

  /**
   * The fallback poll runs after a quiet second, or after 20× the last read's
   * duration when the store is big (a read lists every cookie of the session).
   */
  #schedulePoll(lastReadMs: number): void {
    clearTimeout(this.#poll)
    this.#poll = setTimeout(
      () => {
        this.#poll = undefined
        this.#request()
      },
      Math.max(POLL_MS, POLL_COST_FACTOR * lastReadMs),
    )
    this.#poll.unref()
  }

  /**
   * A read of the nearest expiry among the cookies of the last read (sent at
   * `sent`, answered at `now`). A cookie that expired while the answer was on
   * its way was still due in the store: it is read again at once.
   */
  #scheduleExpiry(sent: number, now: number): void {
    clearTimeout(this.#expiryTimer)
    this.#expiryTimer = undefined
    let nearest = Infinity
    for (const cookie of this.#snapshot?.values() ?? []) {
      if (cookie.session || cookie.expires < 0) continue
      const at = cookie.expires * 1000
      if (at > sent && at < nearest) nearest = at
    }
    if (nearest === Infinity) return
    const delay = Math.min(Math.max(0, Math.ceil(nearest - now)) + EXPIRY_SLACK_MS, MAX_TIMER_MS)
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = undefined
      this.#request()
    }, delay)
    this.#expiryTimer.unref()
  }
}

/** A write for cookie-diff: `landed` only when known (the field is optional, not undefined). */
function cookieWrite(name: string, value: string | undefined, expiring: boolean, landed: WriteTarget | undefined): CookieWrite {
  return landed ? { name, value, expiring, landed } : { name, value, expiring }
}
