/**
 * The shapes a scenario file fills in. A scenario prepares its fixtures
 * (servers, files...), then hands the runner one Contender per library.
 * The runner launches every contender, warms it up, and times
 * `iteration()` in interleaved rounds.
 */

/**
 * Well-known contender ids; the report computes ratios against two of them. The relay ids are
 * the gateway scenarios' reference hops (lib/relay.ts), reported beside the goals.
 */
export type ContenderId = 'cdp-session' | 'playwright' | 'puppeteer' | 'raw-cdp' | 'relay-splice' | 'relay-copy' | 'relay-node' | 'cdp-session-baseline' | 'raw-cdp-fetch'

export interface Contender {
  id: ContenderId
  /** Human label for tables. */
  label: string
  /**
   * Launch a browser (and anything else the contender needs). Throwing here
   * marks the contender "unavailable" in the report; the rest still run.
   */
  start(): Promise<ContenderRun>
}

export interface ContenderRun {
  /**
   * One timed unit of work. `n` is unique per call within a run (warm-up
   * calls get negative numbers), handy for naming partitions. A number returned is the
   * iteration's time in ms (for work that must not be billed, such as the close after a timed
   * launch); otherwise the wall-clock time of the whole call counts.
   */
  iteration(n: number): Promise<void | number>
  /** Extra text for the table's notes column (e.g. memory per session), read after the last iteration. */
  notes?(): string | Promise<string>
  /** Release everything start() acquired. Must not throw for a dead browser. */
  close(): Promise<void>
}

export interface PreparedScenario {
  contenders: Contender[]
  /** Tear down the fixtures created by prepare(). */
  dispose(): Promise<void>
}

export interface Scenario {
  /** Stable id, used as the section key in docs/benchmarks.md. */
  id: string
  title: string
  /** Markdown: what one iteration does, for the docs section. */
  description: string
  /** The speed goals for cdp-session in this scenario (ratios of medians); default: DEFAULT_GOALS. */
  goals?: Goals
  /**
   * Rounds to split the iterations into when BENCH_ROUNDS is not set (default 5). As many rounds as
   * iterations alternates the contenders every iteration, for scenarios whose difference is small
   * next to the machine's drift.
   */
  rounds?: number
  /** Fixed iteration and warm-up counts (BENCH_ITERATIONS/BENCH_WARMUP do not apply), e.g. 100 sessions kept open. */
  fixed?: { iterations: number; warmup: number }
  prepare(): Promise<PreparedScenario>
}

/** Upper bounds for cdp-session's median as a ratio of a reference's median; absent = no goal. */
export interface Goals {
  vsPlaywright?: number
  vsRaw?: number
  /** cdp-session with a feature on vs the same library without it (contender 'cdp-session-baseline'). */
  vsBaseline?: number
  /**
   * At most `ms` added per unit of work over the raw floor: (cdp-session median − raw median)
   * / `units`, e.g. per request when an iteration makes `units` requests.
   */
  addedMs?: { ms: number; units: number; unit: string }
  /** The median of the last 10 iterations over the median of the first 10, per contender (growth). */
  lastVsFirst?: number
}
