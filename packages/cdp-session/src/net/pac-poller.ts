// Re-fetching a PAC script now and then, as Chromium's PacFileDeciderPoller does
// (net/proxy_resolution/configured_proxy_resolution_service.cc, DefaultPollPolicy):
//
// - after a failed fetch or compile: the first re-check 8 s later on a timer; then 32 s,
//   2 min and every 4 h, each started by the first proxy resolution (network activity) once
//   that delay has passed (MODE_START_AFTER_ACTIVITY);
// - after a success: every 12 h, started by activity.
//
// A re-check that finds the script changed (failing ↔ working, or other text) makes the owner
// decide again (onChange); a re-check that finds the same text, or the same failure, only
// schedules the next one.
//
// Internal setting (tests, impatient programs): CDP_SESSION_PAC_RETRY_MS, a comma-separated list
// of milliseconds, replaces the delays after a failure (the last one repeats), read each time a
// delay is chosen. Example: CDP_SESSION_PAC_RETRY_MS=200 re-checks 200 ms after a failure.
import { debug } from '../common/util.js'
import { PacError } from './pac.js'

/** Chromium's delays after a failure: 8 s (timer), 32 s, 2 min, 4 h (after activity). */
export const PAC_RETRY_DELAYS_MS: readonly number[] = Object.freeze([8_000, 32_000, 120_000, 4 * 3_600_000])
/** Chromium's delay after a success (after activity). */
export const PAC_RECHECK_AFTER_SUCCESS_MS = 12 * 3_600_000
/** The environment variable that replaces PAC_RETRY_DELAYS_MS. */
export const PAC_RETRY_ENV = 'CDP_SESSION_PAC_RETRY_MS'

function retryDelays(): readonly number[] {
  const text = process.env[PAC_RETRY_ENV]
  if (text === undefined || text.trim() === '') return PAC_RETRY_DELAYS_MS
  const list = text.split(',').map((part) => Number(part.trim()))
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n < 0)) {
    debug('%s=%s is not a list of milliseconds; using Chromium\'s delays', PAC_RETRY_ENV, text)
    return PAC_RETRY_DELAYS_MS
  }
  return list
}

/** The delays after a failure in words, for messages ("8 s, 32 s, 120 s, 14400 s"). */
export function describeDelays(): string {
  return retryDelays()
    .map((ms) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`))
    .join(', ')
}

export interface PacPollerOptions {
  /** Whether the decision this poller watches failed. */
  failed: boolean
  /** The script text that was compiled (success), for comparison. */
  lastSource?: string | undefined
  /** The failure's message (failure), for comparison. */
  lastError?: string | undefined
  /** Fetches the script's text again; throws PacError. */
  fetch: () => Promise<string>
  /** Called once when a re-check finds something different; the poller stops. */
  onChange: () => void
}

export class PacPoller {
  readonly #options: PacPollerOptions
  /** How many re-checks of this decision have run. */
  #checks = 0
  #timer: NodeJS.Timeout | undefined
  /** When an after-activity re-check becomes due (ms since the epoch), if one is waiting. */
  #dueAt: number | undefined
  #running = false
  #stopped = false

  constructor(options: PacPollerOptions) {
    this.#options = options
    this.#schedule()
  }

  /** A proxy resolution happened: start a re-check that was waiting for activity, if due. */
  onActivity(): void {
    if (this.#stopped || this.#running || this.#dueAt === undefined || Date.now() < this.#dueAt) return
    this.#dueAt = undefined
    this.#check()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#dueAt = undefined
  }

  #schedule(): void {
    if (this.#stopped) return
    if (!this.#options.failed) {
      this.#dueAt = Date.now() + PAC_RECHECK_AFTER_SUCCESS_MS
      return
    }
    const delays = retryDelays()
    const delay = delays[Math.min(this.#checks, delays.length - 1)] ?? PAC_RETRY_DELAYS_MS[0] ?? 8_000
    if (this.#checks === 0) {
      // Only the first re-check after a failure runs on a timer (MODE_USE_TIMER).
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        this.#check()
      }, delay)
      this.#timer.unref()
    } else {
      this.#dueAt = Date.now() + delay
    }
  }

  #check(): void {
    if (this.#stopped || this.#running) return
    this.#running = true
    this.#checks++
    const { fetch, lastSource, lastError, failed } = this.#options
    fetch().then(
      (source) => this.#done(failed || source !== lastSource),
      (error: unknown) => {
        if (!(error instanceof PacError)) debug('PAC re-check failed unexpectedly: %s', String(error))
        const message = error instanceof Error ? error.message : String(error)
        // The same failure again is no change (HasScriptDataChanged compares the error).
        this.#done(!failed || message !== lastError)
      },
    )
  }

  #done(changed: boolean): void {
    this.#running = false
    if (this.#stopped) return
    if (changed) {
      this.stop()
      this.#options.onChange()
      return
    }
    this.#schedule()
  }
}
