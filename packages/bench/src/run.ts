/**
 * `pnpm bench` entry point: runs every scenario with every contender in
 * interleaved rounds, prints a table per scenario and rewrites the matching
 * sections of docs/benchmarks.md.
 *
 * Exit code: 0 whenever the harness itself worked, even if some contender
 * was unavailable or failed; non-zero only for harness errors.
 */
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'

import { describeError, withTimeout } from './lib/browsers.js'
import { describeMachine } from './lib/machine.js'
import { goalLines, textTable, updateDocs, type ContenderResult, type ScenarioResult } from './lib/report.js'
import { summarize } from './lib/stats.js'
import type { Contender, ContenderRun, Scenario } from './lib/types.js'
import { scenarios } from './scenarios/index.js'

const START_TIMEOUT_MS = 60_000
const ITERATION_TIMEOUT_MS = 30_000
const SETTLE_MS = 250

interface Config {
  iterations: number
  warmup: number
  /** BENCH_ROUNDS, when set: it overrides a scenario's own rounds. */
  rounds: number | undefined
  scenarioIds: string[] | undefined
  contenderIds: string[] | undefined
  docsPath: string | undefined
}

function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`)
  return value
}

function listFromEnv(name: string): string[] | undefined {
  const raw = process.env[name]?.trim()
  return raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : undefined
}

function readConfig(): Config {
  const iterations = intFromEnv('BENCH_ITERATIONS', 50, 1)
  const docsFlag = process.env['BENCH_DOCS']
  return {
    iterations,
    warmup: intFromEnv('BENCH_WARMUP', Math.min(5, iterations), 0),
    rounds: process.env['BENCH_ROUNDS']?.trim() ? intFromEnv('BENCH_ROUNDS', 5, 1) : undefined,
    scenarioIds: listFromEnv('BENCH_SCENARIOS'),
    contenderIds: listFromEnv('BENCH_CONTENDERS'),
    docsPath:
      docsFlag === '0' || docsFlag === 'false'
        ? undefined
        : fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url)),
  }
}

/** Split `total` iterations over `rounds` as evenly as possible. */
function roundSizes(total: number, rounds: number): number[] {
  return Array.from({ length: rounds }, (_, r) => Math.floor(total / rounds) + (r < total % rounds ? 1 : 0))
}

const DEFAULT_ROUNDS = 5

function roundsFor(scenario: Scenario, config: Config): number {
  return Math.min(config.rounds ?? scenario.rounds ?? DEFAULT_ROUNDS, iterationsFor(scenario, config))
}

function iterationsFor(scenario: Scenario, config: Config): number {
  return scenario.fixed?.iterations ?? config.iterations
}

function warmupFor(scenario: Scenario, config: Config): number {
  return scenario.fixed?.warmup ?? config.warmup
}

interface Live {
  contender: Contender
  run: ContenderRun | undefined
  result: ContenderResult
  samples: number[]
  nextN: number
}

function fail(live: Live, status: 'unavailable' | 'failed', error: unknown): void {
  live.result.status = status
  live.result.reason = describeError(error)
  console.log(`  ${live.contender.label}: ${status}: ${live.result.reason}`)
}

async function runScenario(scenario: Scenario, config: Config): Promise<ScenarioResult> {
  console.log(`\n▶ ${scenario.id}: ${scenario.title}`)
  const prepared = await scenario.prepare()
  const wanted = prepared.contenders.filter((c) => !config.contenderIds || config.contenderIds.includes(c.id))
  const lives: Live[] = wanted.map((contender) => ({
    contender,
    run: undefined,
    result: { id: contender.id, label: contender.label, status: 'ok' },
    samples: [],
    nextN: 0,
  }))
  const active = (): Live[] => lives.filter((l) => l.run && l.result.status === 'ok')

  const timed = async (live: Live): Promise<number | undefined> => {
    const run = live.run
    if (!run || live.result.status !== 'ok') return undefined
    const n = live.nextN++
    try {
      const t0 = performance.now()
      const own = await withTimeout(run.iteration(n), ITERATION_TIMEOUT_MS, `iteration ${n}`)
      return typeof own === 'number' ? own : performance.now() - t0
    } catch (error) {
      fail(live, 'failed', error)
      return undefined
    }
  }

  try {
    // Launch one at a time: on two cores, parallel launches would just fight.
    for (const live of lives) {
      try {
        live.run = await withTimeout(live.contender.start(), START_TIMEOUT_MS, 'launch')
        console.log(`  ${live.contender.label}: launched`)
      } catch (error) {
        fail(live, 'unavailable', error)
      }
    }

    for (const live of active()) {
      live.nextN = -warmupFor(scenario, config) // warm-up iterations get negative numbers
      for (let i = 0; i < warmupFor(scenario, config); i++) await timed(live)
      live.nextN = 0
    }

    const sizes = roundSizes(iterationsFor(scenario, config), roundsFor(scenario, config))
    for (const [round, size] of sizes.entries()) {
      const current = active()
      if (current.length === 0) break
      // Rotate the order each round so no contender always goes first.
      const shift = round % current.length
      const order = [...current.slice(shift), ...current.slice(0, shift)]
      for (const live of order) {
        // Let the previous contender's teardown (renderer exits...) settle
        // so it is not billed to this one.
        await sleep(SETTLE_MS)
        for (let i = 0; i < size; i++) {
          const elapsed = await timed(live)
          if (elapsed === undefined) break
          live.samples.push(elapsed)
        }
      }
      console.log(`  round ${round + 1}/${sizes.length} done (${order.map((l) => l.contender.label).join(' → ')})`)
    }
    for (const live of active()) {
      try {
        const notes = await live.run?.notes?.()
        if (notes) live.result.notes = notes
      } catch (error) {
        live.result.notes = `notes failed: ${describeError(error)}`
      }
    }
  } finally {
    for (const live of lives) {
      if (live.run) await live.run.close().catch(() => undefined)
    }
    await prepared.dispose()
  }

  for (const live of lives) {
    if (live.result.status === 'ok') {
      live.result.summary = summarize(live.samples)
      live.result.samples = [...live.samples]
    }
  }
  return {
    scenario,
    finishedAt: new Date(),
    iterations: iterationsFor(scenario, config),
    warmup: warmupFor(scenario, config),
    rounds: roundsFor(scenario, config),
    contenders: lives.map((l) => l.result),
  }
}

async function main(): Promise<void> {
  const config = readConfig()
  const selected = scenarios.filter((s) => !config.scenarioIds || config.scenarioIds.includes(s.id))
  if (selected.length === 0) throw new Error(`no scenario matches BENCH_SCENARIOS=${process.env['BENCH_SCENARIOS']}`)

  const machine = await describeMachine()
  console.log(
    `cdp-session bench: ${machine.cores} cores (${machine.cpuModel}, load ${machine.loadAtStart.toFixed(2)}), ` +
      `${machine.chromium}, Node ${machine.node}`,
  )
  console.log(
    `${config.iterations} iterations per contender after ${config.warmup} warm-up, in ${config.rounds ?? 'each scenario\'s'} rounds`,
  )

  const results: ScenarioResult[] = []
  for (const scenario of selected) {
    const result = await runScenario(scenario, config)
    results.push(result)
    console.log(`\n${scenario.id} (ms per iteration)\n${textTable(result)}`)
    for (const line of goalLines(result)) console.log(`  ${line}`)
  }

  if (config.docsPath) {
    await updateDocs(config.docsPath, machine, new Date(), results)
    console.log(`\nwrote ${config.docsPath}`)
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench harness error:', error)
    process.exit(1)
  },
)
