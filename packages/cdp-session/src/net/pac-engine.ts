// The QuickJS side of PAC evaluation, run inside the PAC worker thread (pac-worker.ts): one
// sandbox per script with a memory limit, a stack limit and a deadline per evaluation. It knows
// nothing of DNS or clocks of its own: each run gets the answers known so far and the time, and
// reports the names it missed, so the main thread (pac.ts) can resolve them and run it again.
import { BlockList, isIP, isIPv4 } from 'node:net'
import * as releaseSync from '@jitl/quickjs-wasmfile-release-sync'
import {
  newQuickJSWASMModuleFromVariant,
  shouldInterruptAfterDeadline,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core'
import { PAC_LIBRARY } from './pac-library.js'

export type PacErrorReason = 'load' | 'compile' | 'runtime' | 'timeout' | 'memory' | 'result' | 'disposed'

/** The fields __pacClock answers: [year, month 0-11, day, weekday, hours, minutes, seconds]. */
export interface PacClock {
  local: number[]
  utc: number[]
}

export interface PacEngineOptions {
  memoryLimitBytes: number
  /** For messages only: the budget the deadlines were computed from. */
  timeoutMs: number
  /** false leaves the sandbox without its interrupt handler (tests of the worker's hard deadline). */
  interruptible: boolean
}

/** One evaluation's outcome, as plain data (it crosses the thread boundary). */
export type PacOutcome =
  | { kind: 'value'; value: string }
  | { kind: 'not-a-string'; description: string }
  | { kind: 'error'; reason: PacErrorReason; message: string; fatal?: boolean }

export interface PacRun {
  outcome: PacOutcome
  /** Answers the run asked for and did not have ('v4:host', 'all:host', 'myip:v4', 'myip:all'). */
  misses: string[]
  /** alert() messages, in order. */
  alerts: string[]
}

export interface PacRunInput {
  url: string
  host: string
  answers: Array<[string, string | null]>
  clock: PacClock
  /** Date.now() value at which the sandbox interrupts the script. */
  deadline: number
}

const MAX_STACK_BYTES = 192 * 1024

let modulePromise: Promise<QuickJSWASMModule> | undefined
function quickjs(): Promise<QuickJSWASMModule> {
  // The package's typings are read as CommonJS under NodeNext while Node loads its ESM build;
  // the namespace's `default` is the variant either way.
  modulePromise ??= newQuickJSWASMModuleFromVariant((releaseSync as unknown as { default: QuickJSSyncVariant }).default)
  return modulePromise
}

export function describeDump(value: unknown): string {
  if (value !== null && typeof value === 'object') {
    const record = value as { name?: unknown; message?: unknown }
    if (typeof record.message === 'string') {
      return typeof record.name === 'string' ? `${record.name}: ${record.message}` : record.message
    }
  }
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** IP literal → bytes (IPv4 as 4, IPv6 as 16), for sorting and prefix checks. */
function ipBytes(address: string): number[] | null {
  if (isIPv4(address)) return address.split('.').map(Number)
  if (isIP(address) !== 6) return null
  // Expand through the URL parser's canonical form, then fill the '::' gap.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1)
  const [head, tail] = canonical.includes('::') ? canonical.split('::') : [canonical, undefined]
  const headGroups = head === '' || head === undefined ? [] : head.split(':')
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
  const bytes: number[] = []
  for (const group of groups) {
    const value = parseInt(group, 16)
    bytes.push(value >> 8, value & 0xff)
  }
  return bytes.length === 16 ? bytes : null
}

/** sortIpAddressList: IPv6 first, then ascending by value; false for an empty or bad list. */
export function sortIpAddressList(list: string): string | false {
  const cleaned = list.replace(/[ \t]/g, '')
  if (cleaned === '') return false
  const entries: { text: string; bytes: number[] }[] = []
  for (const token of cleaned.split(';')) {
    if (token === '') continue
    const bytes = ipBytes(token)
    if (bytes === null) return false
    entries.push({ text: token, bytes })
  }
  if (entries.length === 0) return false
  entries.sort((a, b) => {
    if (a.bytes.length !== b.bytes.length) return b.bytes.length - a.bytes.length
    for (let i = 0; i < a.bytes.length; i++) {
      const diff = (a.bytes[i] ?? 0) - (b.bytes[i] ?? 0)
      if (diff !== 0) return diff
    }
    return 0
  })
  return entries.map((e) => e.text).join(';')
}

/** isInNetEx: is the IP literal inside the CIDR prefix? An IPv4 address meets an IPv6 prefix mapped. */
export function isInNetEx(address: string, prefix: string): boolean {
  const slash = prefix.indexOf('/')
  if (slash < 0) return false
  const network = prefix.slice(0, slash)
  const bitsText = prefix.slice(slash + 1)
  if (!/^\d{1,3}$/.test(bitsText)) return false
  const bits = Number(bitsText)
  const netFamily = isIP(network)
  const addrFamily = isIP(address)
  if (netFamily === 0 || addrFamily === 0) return false
  if (bits > (netFamily === 4 ? 32 : 128)) return false
  const block = new BlockList()
  block.addSubnet(network, bits, netFamily === 4 ? 'ipv4' : 'ipv6')
  if (addrFamily === netFamily) return block.check(address, addrFamily === 4 ? 'ipv4' : 'ipv6')
  // Mixed families: compare as IPv6 with the IPv4 side mapped (::ffff:a.b.c.d).
  if (addrFamily === 4) return block.check(`::ffff:${address}`, 'ipv6')
  return false
}


class Failure extends Error {
  constructor(
    readonly reason: PacErrorReason,
    message: string,
  ) {
    super(message)
  }
}

/** A compiled PAC script in its own QuickJS runtime. */
export class PacEngine {
  private disposed = false
  private answers = new Map<string, string | null>()
  private misses = new Set<string>()
  private alerts: string[] = []
  private clock: PacClock = { local: [], utc: [] }

  private constructor(
    private readonly runtime: QuickJSRuntime,
    private readonly vm: QuickJSContext,
    private readonly options: PacEngineOptions,
  ) {}

  /** Compiles the PAC library and `source`; `run.outcome` is an error when that fails. */
  static async compile(source: string, options: PacEngineOptions, clock: PacClock, deadline: number): Promise<{ engine?: PacEngine; run: PacRun }> {
    const module = await quickjs()
    const runtime = module.newRuntime()
    runtime.setMemoryLimit(options.memoryLimitBytes)
    runtime.setMaxStackSize(MAX_STACK_BYTES)
    const engine = new PacEngine(runtime, runtime.newContext(), options)
    engine.begin([], clock)
    try {
      engine.installNatives()
      engine.evaluate(PAC_LIBRARY, 'pac-library.js', deadline)
      engine.evaluate(source, 'proxy.pac', deadline)
      engine.entryPoint()
    } catch (error: unknown) {
      const run = engine.end(engine.toOutcome(error))
      engine.dispose()
      return { run }
    }
    return { engine, run: engine.end({ kind: 'value', value: '' }) }
  }

  /** Runs the entry point once for `input`. */
  run(input: PacRunInput): PacRun {
    if (this.disposed) return { outcome: { kind: 'error', reason: 'disposed', message: 'PAC script was disposed' }, misses: [], alerts: [] }
    this.begin(input.answers, input.clock)
    let outcome: PacOutcome
    try {
      const entry = this.entryPoint()
      const value = this.call(entry, input.url, input.host, input.deadline)
      outcome = typeof value === 'string' ? { kind: 'value', value } : { kind: 'not-a-string', description: `${entry}() did not return a string (got ${describeDump(value)})` }
    } catch (error: unknown) {
      const failed = this.toOutcome(error)
      if (failed.fatal === true) this.dispose()
      outcome = failed
    }
    return this.end(outcome)
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    try {
      this.vm.dispose()
      this.runtime.dispose()
    } catch {
      // A runtime broken by a host-level failure may refuse to free; it is unreachable anyway.
    }
  }

  private begin(answers: Array<[string, string | null]>, clock: PacClock): void {
    this.answers = new Map(answers)
    this.misses = new Set()
    this.alerts = []
    this.clock = clock
  }

  private end(outcome: PacOutcome): PacRun {
    return { outcome, misses: [...this.misses], alerts: this.alerts }
  }

  private toOutcome(error: unknown): PacOutcome & { kind: 'error' } {
    if (error instanceof Failure) return { kind: 'error', reason: error.reason, message: error.message }
    // The engine itself failed (e.g. the host stack ran out inside WebAssembly); its state
    // cannot be trusted any more.
    return { kind: 'error', reason: 'runtime', message: `PAC engine failed: ${error instanceof Error ? error.message : String(error)}`, fatal: true }
  }

  private installNatives(): void {
    const { vm } = this
    const str = (handle: QuickJSHandle | undefined): string => (handle === undefined ? '' : String(vm.dump(handle)))
    const answer = (key: string): QuickJSHandle => {
      if (this.answers.has(key)) {
        const value = this.answers.get(key) ?? null
        return value === null ? vm.null : vm.newString(value)
      }
      this.misses.add(key)
      return vm.null
    }
    const natives: Record<string, (...args: QuickJSHandle[]) => QuickJSHandle> = {
      __pacDns: (kind, host) => answer(`${str(kind) === 'all' ? 'all' : 'v4'}:${str(host)}`),
      __pacMyIp: (kind) => answer(`myip:${str(kind) === 'all' ? 'all' : 'v4'}`),
      __pacClock: (gmt) => {
        const fields = gmt !== undefined && vm.dump(gmt) === true ? this.clock.utc : this.clock.local
        const array = vm.newArray()
        fields.forEach((value, i) => vm.setProp(array, i, vm.newNumber(value)))
        return array
      },
      __pacInNetEx: (address, prefix) => (isInNetEx(str(address), str(prefix)) ? vm.true : vm.false),
      __pacSortIps: (list) => {
        const sorted = sortIpAddressList(str(list))
        return sorted === false ? vm.false : vm.newString(sorted)
      },
      alert: (message) => {
        this.alerts.push(message === undefined ? 'undefined' : str(message))
        return vm.undefined
      },
    }
    for (const [name, fn] of Object.entries(natives)) {
      vm.newFunction(name, fn).consume((handle) => vm.setProp(vm.global, name, handle))
    }
  }

  private interruptAt(deadline: number): void {
    if (this.options.interruptible) this.runtime.setInterruptHandler(shouldInterruptAfterDeadline(deadline))
  }

  /** Evaluates `code` at top level under the deadline; throws Failure. */
  private evaluate(code: string, filename: string, deadline: number): void {
    this.interruptAt(deadline)
    const result = this.vm.evalCode(code, filename)
    if (result.error !== undefined) throw this.failure(result.error.consume((e) => this.vm.dump(e)), deadline, 'compile')
    result.value.dispose()
  }

  /** The entry point: FindProxyForURL, or FindProxyForURLEx when only that one is defined. */
  private entryPoint(): string {
    for (const name of ['FindProxyForURL', 'FindProxyForURLEx']) {
      const type = this.vm.getProp(this.vm.global, name).consume((h) => this.vm.typeof(h))
      if (type === 'function') return name
    }
    throw new Failure('compile', 'PAC script defines neither FindProxyForURL(url, host) nor FindProxyForURLEx(url, host)')
  }

  private call(entry: string, url: string, host: string, deadline: number): unknown {
    const { vm } = this
    this.interruptAt(deadline)
    const fn = vm.getProp(vm.global, entry)
    const urlHandle = vm.newString(url)
    const hostHandle = vm.newString(host)
    try {
      const result = vm.callFunction(fn, vm.undefined, urlHandle, hostHandle)
      if (result.error !== undefined) throw this.failure(result.error.consume((e) => vm.dump(e)), deadline, 'runtime')
      return result.value.consume((v) => vm.dump(v))
    } finally {
      fn.dispose()
      urlHandle.dispose()
      hostHandle.dispose()
    }
  }

  private failure(dumped: unknown, deadline: number, reason: PacErrorReason): Failure {
    const text = describeDump(dumped)
    if (/interrupted/i.test(text) && Date.now() >= deadline) {
      return new Failure('timeout', `PAC script took longer than ${this.options.timeoutMs} ms and was stopped`)
    }
    if (/out of memory/i.test(text) || dumped === null) {
      return new Failure('memory', `PAC script ran out of memory (limit ${this.options.memoryLimitBytes} bytes)`)
    }
    return new Failure(reason, `PAC script failed: ${text}`)
  }
}
