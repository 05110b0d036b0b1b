// PAC scripts evaluated in a QuickJS sandbox (WebAssembly): the script sees only standard
// JavaScript and the PAC helpers, never Node. Each script gets its own runtime with a memory
// limit, a stack limit and a deadline per evaluation.
//
// DNS helpers are synchronous for the script but our resolver is asynchronous, so a call
// works the way Chromium's "non-blocking" PAC mode does: a helper that needs an answer not yet
// known returns a placeholder and notes the name; when the run ends the names are resolved and
// FindProxyForURL runs again with the answers in hand, until a run needs nothing new.
import { BlockList, isIP, isIPv4 } from 'node:net'
import { networkInterfaces } from 'node:os'
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
import { bareHost, type HostResolver, systemLookup } from './resolver.js'

export type PacErrorReason = 'load' | 'compile' | 'runtime' | 'timeout' | 'memory' | 'result' | 'disposed'

/**
 * A PAC script could not be loaded, compiled or run. Chromium answers any of these by going
 * DIRECT, except for a mandatory PAC script — and Electron makes every PAC script mandatory,
 * so the session fails those requests (session-proxy.ts).
 */
export class PacError extends Error {
  readonly reason: PacErrorReason
  constructor(reason: PacErrorReason, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
    this.name = 'PacError'
  }
}

/** What Chromium uses when a (non-mandatory) PAC script fails: a direct connection. */
export const PAC_FALLBACK = 'DIRECT'

export interface PacOptions {
  /** Answers dnsResolve/dnsResolveEx/isResolvable/isInNet; defaults to the system resolver. */
  resolver?: HostResolver
  /** This machine's addresses for myIpAddress/myIpAddressEx; defaults to the non-internal interfaces. */
  myIpAddresses?: () => string[] | Promise<string[]>
  /** Wall-clock budget of one findProxy() (all DNS restarts included) and of the script's top level. */
  timeoutMs?: number
  /** Heap limit of the sandbox. */
  memoryLimitBytes?: number
  /** The clock for weekdayRange/dateRange/timeRange (tests pin it). */
  now?: () => Date
  /** Receives alert() messages. */
  onAlert?: (message: string) => void
}

export interface CompiledPac {
  /** Runs the script for `url`; resolves with its raw answer, e.g. "PROXY a:1; DIRECT". */
  findProxy(url: string): Promise<string>
  /** Frees the sandbox; idempotent. findProxy() afterwards rejects. */
  dispose(): void
}

export const PAC_DEFAULT_TIMEOUT_MS = 5_000
export const PAC_DEFAULT_MEMORY_LIMIT = 32 * 1024 * 1024
// QuickJS's own stack check must fire before the host (V8) stack that the WebAssembly frames
// share runs out; 192 KiB allows about 1000 nested PAC calls.
const MAX_STACK_BYTES = 192 * 1024
/** Runs of one findProxy() that may each discover new names before we give up. */
const MAX_DNS_RESTARTS = 32
/** Largest PAC file loadPacScript() accepts (Chromium's fetcher caps it similarly). */
const MAX_PAC_BYTES = 10 * 1024 * 1024

let modulePromise: Promise<QuickJSWASMModule> | undefined
function quickjs(): Promise<QuickJSWASMModule> {
    // The package's typings are read as CommonJS under NodeNext while Node loads its ESM build;
  // the namespace's `default` is the variant either way.
  modulePromise ??= newQuickJSWASMModuleFromVariant((releaseSync as unknown as { default: QuickJSSyncVariant }).default)
  return modulePromise
}

/**
 * The URL as the script sees it, following Chromium's SanitizeUrl: user name, password and
 * fragment always go; for cryptographic schemes (https:, wss:) path and query go as well, so
 * the script gets `https://host[:port]/` and learns nothing TLS would hide.
 */
export function sanitizePacUrl(url: string | URL): string {
  const parsed = new URL(url)
  parsed.username = ''
  parsed.password = ''
  parsed.hash = ''
  if (parsed.protocol === 'https:' || parsed.protocol === 'wss:') {
    parsed.pathname = '/'
    parsed.search = ''
  }
  return parsed.href
}

function defaultMyIpAddresses(): string[] {
  const v4: string[] = []
  const v6: string[] = []
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) {
      if (entry.internal) continue
      if (entry.family === 'IPv4') v4.push(entry.address)
      else if (!entry.address.startsWith('fe80:')) v6.push(entry.address)
    }
  }
  return [...v4, ...v6]
}

function describeDump(value: unknown): string {
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

class PacSandbox implements CompiledPac {
  private disposed = false
  private queue: Promise<unknown> = Promise.resolve()
  /** Answers known to the current findProxy() ('v4:host', 'all:host', 'myip:v4', 'myip:all'). */
  private answers = new Map<string, string | null>()
  /** Keys the current run asked for and did not find. */
  private misses = new Set<string>()
  private readonly resolver: HostResolver
  private readonly timeoutMs: number

  constructor(
    private readonly runtime: QuickJSRuntime,
    private readonly vm: QuickJSContext,
    private readonly options: PacOptions,
  ) {
    this.resolver = options.resolver ?? { lookup: systemLookup }
    this.timeoutMs = options.timeoutMs ?? PAC_DEFAULT_TIMEOUT_MS
  }

  installNatives(): void {
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
        const now = this.options.now?.() ?? new Date()
        const utc = gmt !== undefined && vm.dump(gmt) === true
        const fields = utc
          ? [now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCDay(), now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds()]
          : [now.getFullYear(), now.getMonth(), now.getDate(), now.getDay(), now.getHours(), now.getMinutes(), now.getSeconds()]
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
        this.options.onAlert?.(message === undefined ? 'undefined' : str(message))
        return vm.undefined
      },
    }
    for (const [name, fn] of Object.entries(natives)) {
      vm.newFunction(name, fn).consume((handle) => vm.setProp(vm.global, name, handle))
    }
  }

  /** Evaluates `code` at top level under the deadline; throws PacError. */
  evaluate(code: string, filename: string, reason: PacErrorReason): void {
    const deadline = Date.now() + this.timeoutMs
    this.runtime.setInterruptHandler(shouldInterruptAfterDeadline(deadline))
    const result = this.vm.evalCode(code, filename)
    if (result.error !== undefined) {
      const failure = this.failure(result.error.consume((e) => this.vm.dump(e)), deadline, reason)
      throw failure
    }
    result.value.dispose()
  }

  /** The entry point: FindProxyForURL, or FindProxyForURLEx when only that one is defined. */
  entryPoint(): string {
    for (const name of ['FindProxyForURL', 'FindProxyForURLEx']) {
      const type = this.vm.getProp(this.vm.global, name).consume((h) => this.vm.typeof(h))
      if (type === 'function') return name
    }
    throw new PacError('compile', 'PAC script defines neither FindProxyForURL(url, host) nor FindProxyForURLEx(url, host)')
  }

  findProxy(url: string): Promise<string> {
    const run = this.queue.then(() => this.resolveOne(url))
    this.queue = run.then(() => undefined, () => undefined)
    return run
  }

  private async resolveOne(url: string): Promise<string> {
    if (this.disposed) throw new PacError('disposed', 'PAC script was disposed')
    let sanitized: string
    let host: string
    try {
      sanitized = sanitizePacUrl(url)
      host = bareHost(new URL(sanitized).hostname)
    } catch (error: unknown) {
      throw new PacError('runtime', `cannot run the PAC script for '${url}': not a valid URL`, { cause: error })
    }
    const entry = this.entryPoint()
    const deadline = Date.now() + this.timeoutMs
    this.answers = new Map()
    for (let run = 0; ; run++) {
      this.misses = new Set()
      let outcome: { ok: true; value: unknown } | { ok: false; error: PacError }
      try {
        outcome = { ok: true, value: this.call(entry, sanitized, host, deadline) }
      } catch (error: unknown) {
        if (!(error instanceof PacError)) {
          // The engine itself failed (e.g. the host stack ran out inside WebAssembly); its
          // state cannot be trusted any more.
          this.dispose()
          throw new PacError('runtime', `PAC engine failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
        }
        outcome = { ok: false, error }
      }
      if (this.misses.size === 0 || (!outcome.ok && outcome.error.reason !== 'runtime')) {
        if (!outcome.ok) throw outcome.error
        if (typeof outcome.value !== 'string') {
          throw new PacError('result', `${entry}() did not return a string (got ${describeDump(outcome.value)})`)
        }
        return outcome.value
      }
      if (run >= MAX_DNS_RESTARTS) throw new PacError('runtime', `PAC script kept asking for new host names (${MAX_DNS_RESTARTS} restarts)`)
      await this.fetchMisses(deadline)
      if (this.disposed) throw new PacError('disposed', 'PAC script was disposed')
    }
  }

  private call(entry: string, url: string, host: string, deadline: number): unknown {
    const { vm } = this
    this.runtime.setInterruptHandler(shouldInterruptAfterDeadline(deadline))
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

  private async fetchMisses(deadline: number): Promise<void> {
    const remaining = deadline - Date.now()
    if (remaining <= 0) throw new PacError('timeout', `PAC script took longer than ${this.timeoutMs} ms (DNS)`)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new PacError('timeout', `PAC script took longer than ${this.timeoutMs} ms (DNS)`)), remaining)
    })
    try {
      await Promise.race([Promise.all([...this.misses].map(async (key) => this.answers.set(key, await this.lookup(key)))), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private async lookup(key: string): Promise<string | null> {
    const colon = key.indexOf(':')
    const kind = key.slice(0, colon)
    const rest = key.slice(colon + 1)
    if (kind === 'myip') {
      const addresses = await (this.options.myIpAddresses ?? defaultMyIpAddresses)()
      if (rest === 'all') return addresses.length === 0 ? null : addresses.join(';')
      return addresses.find((a) => isIPv4(a)) ?? null
    }
    let addresses: string[]
    try {
      addresses = await this.resolver.lookup(rest)
    } catch {
      return null
    }
    if (kind === 'all') return addresses.length === 0 ? null : addresses.join(';')
    return addresses.find((a) => isIPv4(a)) ?? null
  }

  private failure(dumped: unknown, deadline: number, reason: PacErrorReason): PacError {
    const text = describeDump(dumped)
    if (/interrupted/i.test(text) && Date.now() >= deadline) {
      return new PacError('timeout', `PAC script took longer than ${this.timeoutMs} ms and was stopped`)
    }
    if (/out of memory/i.test(text) || dumped === null) {
      return new PacError('memory', `PAC script ran out of memory (limit ${this.options.memoryLimitBytes ?? PAC_DEFAULT_MEMORY_LIMIT} bytes)`)
    }
    return new PacError(reason, `PAC script failed: ${text}`)
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
}

/**
 * Compiles a PAC script in a fresh sandbox. Rejects with PacError when the script does not
 * parse, throws at top level, overruns its budgets, or defines no FindProxyForURL.
 */
export async function compilePac(source: string, options: PacOptions = {}): Promise<CompiledPac> {
  const module = await quickjs()
  const runtime = module.newRuntime()
  runtime.setMemoryLimit(options.memoryLimitBytes ?? PAC_DEFAULT_MEMORY_LIMIT)
  runtime.setMaxStackSize(MAX_STACK_BYTES)
  const vm = runtime.newContext()
  const sandbox = new PacSandbox(runtime, vm, options)
  try {
    sandbox.installNatives()
    sandbox.evaluate(PAC_LIBRARY, 'pac-library.js', 'compile')
    sandbox.evaluate(source, 'proxy.pac', 'compile')
    sandbox.entryPoint()
  } catch (error: unknown) {
    sandbox.dispose()
    throw error
  }
  return sandbox
}

export interface LoadPacOptions {
  timeoutMs?: number
  /** Replaces global fetch (tests). */
  fetch?: typeof fetch
}

/** Fetches a PAC script from a `data:` or http(s) URL with a time limit; throws PacError('load'). */
export async function loadPacScript(url: string, options: LoadPacOptions = {}): Promise<string> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (error: unknown) {
    throw new PacError('load', `pacScript '${url}' is not a valid URL`, { cause: error })
  }
  if (!['data:', 'http:', 'https:'].includes(parsed.protocol)) {
    throw new PacError('load', `pacScript '${url}' must be a data:, http: or https: URL`)
  }
  const timeoutMs = options.timeoutMs ?? 30_000
  const fetchFn = options.fetch ?? fetch
  try {
    const response = await fetchFn(parsed, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' })
    // PacFileFetcherImpl takes only 200 from http(s) (as Firefox does); data: answers 200 too.
    if (response.status !== 200) throw new PacError('load', `fetching PAC script '${url}' answered HTTP ${response.status}`)
    const body = await response.arrayBuffer()
    if (body.byteLength > MAX_PAC_BYTES) throw new PacError('load', `PAC script '${url}' is larger than ${MAX_PAC_BYTES} bytes`)
    return new TextDecoder().decode(body)
  } catch (error: unknown) {
    if (error instanceof PacError) throw error
    const name = (error as { name?: unknown } | null)?.name
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new PacError('load', `fetching PAC script '${url}' took longer than ${timeoutMs} ms`, { cause: error })
    }
    throw new PacError('load', `fetching PAC script '${url}' failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}
