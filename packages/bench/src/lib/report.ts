/**
 * Turning results into a stdout table and into docs/benchmarks.md sections.
 * The docs file is split into marked blocks so each run only replaces what
 * it measured: the intro, and one block per scenario it ran. Text outside
 * the markers is left alone.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

import { CHROMIUM_PATH } from './browsers.js'
import type { MachineInfo } from './machine.js'
import type { Summary } from './stats.js'
import type { ContenderId, Goals, Scenario } from './types.js'

/** The first scenario's goals (issue #2); a scenario may set its own. */
export const DEFAULT_GOALS: Goals = { vsPlaywright: 0.9, vsRaw: 1.15 }

export interface ContenderResult {
  id: ContenderId
  label: string
  status: 'ok' | 'unavailable' | 'failed'
  reason?: string
  summary?: Summary
  /** Timed samples in the order they were taken. */
  samples?: number[]
  /** What the contender reported for the notes column. */
  notes?: string
}

export interface ScenarioResult {
  scenario: Scenario
  finishedAt: Date
  iterations: number
  warmup: number
  rounds: number
  contenders: ContenderResult[]
}

interface Row {
  label: string
  median: string
  p90: string
  mean: string
  vsPlaywright: string
  vsRaw: string
  note: string
}

const ms = (value: number): string => value.toFixed(1)
const ratio = (value: number | undefined): string => (value === undefined ? '—' : `${value.toFixed(2)}×`)

function medianOf(result: ScenarioResult, id: ContenderId): number | undefined {
  const found = result.contenders.find((c) => c.id === id && c.status === 'ok')
  return found?.summary?.median
}

function ratioTo(result: ScenarioResult, c: ContenderResult, ref: ContenderId): number | undefined {
  const base = medianOf(result, ref)
  if (c.status !== 'ok' || !c.summary || base === undefined || base <= 0) return undefined
  return c.summary.median / base
}

function rows(result: ScenarioResult): Row[] {
  return result.contenders.map((c) => {
    if (c.status !== 'ok' || !c.summary) {
      const note = `${c.status}: ${c.reason ?? 'no reason given'}`
      return { label: c.label, median: '—', p90: '—', mean: '—', vsPlaywright: '—', vsRaw: '—', note }
    }
    return {
      label: c.label,
      median: ms(c.summary.median),
      p90: ms(c.summary.p90),
      mean: ms(c.summary.mean),
      vsPlaywright: ratio(ratioTo(result, c, 'playwright')),
      vsRaw: ratio(ratioTo(result, c, 'raw-cdp')),
      note: [`n=${c.summary.count}`, lastVsFirstNote(result, c), c.notes].filter(Boolean).join('; '),
    }
  })
}

/** Median of the last 10 samples over the median of the first 10 (undefined with fewer than 20). */
export function lastVsFirst(c: ContenderResult): { first: number; last: number; ratio: number } | undefined {
  const samples = c.samples
  if (!samples || samples.length < 20) return undefined
  const median = (xs: number[]): number => {
    const sorted = [...xs].sort((a, b) => a - b)
    const mid = sorted.length >> 1
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  }
  const first = median(samples.slice(0, 10))
  const last = median(samples.slice(-10))
  return { first, last, ratio: last / first }
}

function lastVsFirstNote(result: ScenarioResult, c: ContenderResult): string {
  if (result.scenario.goals?.lastVsFirst === undefined) return ''
  const growth = lastVsFirst(c)
  return growth ? `first 10 ${ms(growth.first)} ms, last 10 ${ms(growth.last)} ms (${ratio(growth.ratio)})` : ''
}

/** One line per goal for cdp-session, or why it cannot be judged. */
export function goalLines(result: ScenarioResult): string[] {
  const ours = result.contenders.find((c) => c.id === 'cdp-session')
  if (!ours || ours.status !== 'ok') return ['Goals not evaluated: cdp-session did not run.']
  const check = (name: string, value: number | undefined, limit: number): string =>
    value === undefined
      ? `${name}: cannot compare (reference did not run)`
      : `${name}: ${value.toFixed(2)}× (goal ≤ ${limit}×) — ${value <= limit ? 'met' : 'NOT met'}`
  const goals = result.scenario.goals ?? DEFAULT_GOALS
  const lines: string[] = []
  if (goals.vsPlaywright !== undefined) lines.push(check('cdp-session vs Playwright', ratioTo(result, ours, 'playwright'), goals.vsPlaywright))
  if (goals.vsRaw !== undefined) lines.push(check('cdp-session vs raw CDP floor', ratioTo(result, ours, 'raw-cdp'), goals.vsRaw))
  if (goals.vsBaseline !== undefined) {
    const baseline = result.contenders.find((c) => c.id === 'cdp-session-baseline')
    lines.push(check(`cdp-session vs ${baseline?.label ?? 'its baseline'}`, ratioTo(result, ours, 'cdp-session-baseline'), goals.vsBaseline))
  }
  if (goals.addedMs !== undefined) {
    const { ms, units, unit } = goals.addedMs
    const base = medianOf(result, 'raw-cdp')
    if (base === undefined || ours.summary === undefined) lines.push(`added per ${unit}: cannot compare (reference did not run)`)
    else {
      const added = (ours.summary.median - base) / units
      lines.push(`cdp-session added per ${unit} over the raw floor: ${added.toFixed(2)} ms (goal < ${ms} ms) — ${added < ms ? 'met' : 'NOT met'}`)
    }
  }
  if (goals.lastVsFirst !== undefined) {
    const growth = lastVsFirst(ours)
    if (growth === undefined) lines.push('cdp-session last 10 vs first 10: cannot compare (fewer than 20 iterations)')
    else lines.push(check('cdp-session, last 10 vs first 10 iterations', growth.ratio, goals.lastVsFirst))
    const pw = result.contenders.find((c) => c.id === 'playwright')
    const pwGrowth = pw ? lastVsFirst(pw) : undefined
    if (pwGrowth) lines.push(`Playwright, last 10 vs first 10 iterations: ${pwGrowth.ratio.toFixed(2)}× (no goal)`)
  }
  // The reference hops: no goal, they say what any proxy between Chromium and the server costs here.
  for (const relay of result.contenders.filter((c) => c.id === 'relay-splice' || c.id === 'relay-copy' || c.id === 'relay-node')) {
    const value = ratioTo(result, ours, relay.id)
    const hop = ratioTo(result, relay, 'raw-cdp')
    if (value === undefined || hop === undefined) lines.push(`cdp-session vs ${relay.label}: cannot compare (${relay.status})`)
    else lines.push(`cdp-session vs ${relay.label}: ${value.toFixed(2)}× (no goal; that hop alone is ${hop.toFixed(2)}× the raw floor)`)
  }
  return lines
}

const HEADERS: Row = {
  label: 'contender',
  median: 'median ms',
  p90: 'p90 ms',
  mean: 'mean ms',
  vsPlaywright: '× Playwright',
  vsRaw: '× raw floor',
  note: 'notes',
}
const COLUMNS = Object.keys(HEADERS) as (keyof Row)[]

export function textTable(result: ScenarioResult): string {
  const all = [HEADERS, ...rows(result)]
  const widths = COLUMNS.map((col) => Math.max(...all.map((r) => r[col].length)))
  const line = (r: Row): string =>
    COLUMNS.map((col, i) => (i === 0 || col === 'note' ? r[col].padEnd(widths[i]!) : r[col].padStart(widths[i]!)))
      .join('  ')
      .trimEnd()
  const [head, ...body] = all.map(line)
  return [head, widths.map((w) => '-'.repeat(w)).join('  '), ...body].join('\n')
}

function markdownTable(result: ScenarioResult): string {
  const escape = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ')
  const line = (r: Row): string => `| ${COLUMNS.map((c) => escape(r[c])).join(' | ')} |`
  const align = `| ${COLUMNS.map((c) => (c === 'label' || c === 'note' ? '---' : '---:')).join(' | ')} |`
  return [line(HEADERS), align, ...rows(result).map(line)].join('\n')
}

function introBlock(machine: MachineInfo, when: Date): string {
  return `## Last run

- Date: ${when.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}
- Machine: ${machine.cores} cores (nproc), ${machine.cpuModel}, ${machine.memoryGiB} GiB RAM; 1-min load average at start ${machine.loadAtStart.toFixed(2)}
- Browser: ${machine.chromium} (\`${CHROMIUM_PATH}\`, headless, \`--no-sandbox\`)
- Node ${machine.node}; playwright-core ${machine.playwright}; puppeteer-core ${machine.puppeteer}`
}

function scenarioBlock(result: ScenarioResult, machine: MachineInfo): string {
  const r = result
  return `## ${r.scenario.id}: ${r.scenario.title}

${r.scenario.description}

Measured ${r.finishedAt.toISOString().slice(0, 10)} on ${machine.cores} cores (load average ${machine.loadAtStart.toFixed(2)} at start) / ${machine.chromium} / Node ${machine.node}:
${r.iterations} timed iterations per contender (after ${r.warmup} warm-up), in ${r.rounds} interleaved rounds.
Times are wall-clock milliseconds per iteration; ratios compare medians.

${markdownTable(r)}

${goalLines(r)
  .map((g) => `- ${g}`)
  .join('\n')}`
}

const STATIC_HEAD = `# Benchmarks

How fast is cdp-session compared with the usual ways of driving Chromium?
\`pnpm bench\` answers this by running the same work through every contender,
side by side in one run on the same machine and the same Chromium binary.

## Goals

Each scenario states its goals under its table: ratios of cdp-session's median to a reference's median, or
milliseconds added per unit of work over the raw floor.
The first scenario's: cdp-session at most **${DEFAULT_GOALS.vsPlaywright}×** Playwright and at most
**${DEFAULT_GOALS.vsRaw}×** the raw CDP floor (the fewest protocol commands that do the job, no framework).

## Running

\`\`\`sh
pnpm bench                                           # builds cdp-session, then runs every scenario
BENCH_ITERATIONS=5 pnpm --filter cdp-session-bench bench   # quick smoke run
\`\`\`

Environment knobs: \`BENCH_ITERATIONS\` (timed iterations per contender, default 50),
\`BENCH_WARMUP\` (default 5), \`BENCH_ROUNDS\` (default 5, or the scenario's own), \`BENCH_SCENARIOS\` and
\`BENCH_CONTENDERS\` (comma-separated ids to run only some), \`BENCH_DOCS=0\` (do not rewrite this file).

## Method

- Each contender gets its own freshly launched headless Chromium (\`/usr/bin/chromium\`) with the same switches where
  its launcher allows: \`--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --disable-quic\`. Playwright and Puppeteer add their usual default switches
  on top; cdp-session uses its own defaults. Debian's \`/usr/bin/chromium\` wrapper adds the switches from
  \`/etc/chromium.d\` to every launch alike. All contenders talk to the browser over \`--remote-debugging-pipe\`.
- All contenders' browsers stay up for the whole scenario (idle while another contender is timed), and the harness
  pauses briefly whenever it switches contender, so one library's teardown work is not billed to the next.
- After the warm-up, the timed iterations are split into rounds; in each round every contender runs its share of
  iterations back to back, and the order of contenders rotates from round to round so that background noise on the
  machine is spread evenly. A scenario whose difference is small next to the machine's drift
  alternates contenders every iteration (gateway-throughput, gateway-latency).
- The gateway scenarios also time a reference relay in C (\`packages/bench/src/relay/relay.c\`, compiled with the
  machine's \`cc\` at bench time): a second browser's default session uses it as its proxy
  (\`--proxy-server\`), and it joins each connection to the fixture server, moving bytes with \`splice(2)\`
  (zero-copy) or with read/write. It shows what any proxy hop costs on this machine.
- The raw CDP floor uses puppeteer-core's low-level \`Connection\` and \`PipeTransport\` and nothing else.
- Contenders that cannot be loaded or launched are listed as unavailable; the rest still run.

The sections below are rewritten by \`pnpm bench\`; anything outside the \`<!-- bench:... -->\` markers is kept.
`

const marker = (key: string, edge: 'start' | 'end'): string => `<!-- bench:${key}:${edge} -->`

function replaceBlock(doc: string, key: string, body: string): string {
  const start = marker(key, 'start')
  const end = marker(key, 'end')
  const block = `${start}\n${body.trim()}\n${end}`
  const from = doc.indexOf(start)
  const to = doc.indexOf(end)
  if (from !== -1 && to > from) return doc.slice(0, from) + block + doc.slice(to + end.length)
  return `${doc.trimEnd()}\n\n${block}\n`
}

export async function updateDocs(
  path: string,
  machine: MachineInfo,
  when: Date,
  results: readonly ScenarioResult[],
): Promise<void> {
  let doc = existsSync(path) ? await readFile(path, 'utf8') : STATIC_HEAD
  doc = replaceBlock(doc, 'intro', introBlock(machine, when))
  for (const result of results) {
    doc = replaceBlock(doc, `scenario:${result.scenario.id}`, scenarioBlock(result, machine))
  }
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, `${doc.trimEnd()}\n`)
}
