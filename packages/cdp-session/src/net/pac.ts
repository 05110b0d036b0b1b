// PAC scripts evaluated in a QuickJS sandbox (WebAssembly) on a worker thread: the script sees
// only standard JavaScript and the PAC helpers, never Node, and a script that loops blocks its
// own thread, never the event loop of the session. Each script gets its own worker and runtime,
// with a memory limit, a stack limit and a deadline per evaluation (pac-engine.ts); a worker
// that does not answer within the deadline and a grace period is terminated and started again.
//
// DNS helpers are synchronous for the script but our resolver is asynchronous, so a call
// works the way Chromium's "non-blocking" PAC mode does: a helper that needs an answer not yet
// known returns a placeholder and notes the name; when the run ends the names are resolved and
// FindProxyForURL runs again with the answers in hand, until a run needs nothing new.
import { createRequire } from 'node:module'
import { isIPv4 } from 'node:net'
import { networkInterfaces } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { PacClock, PacErrorReason, PacRun } from './pac-engine.js'
import type { PacWorkerReply, PacWorkerRequest } from './pac-worker.js'
import { bareHost, type HostResolver, systemLookup } from './resolver.js'

export { isInNetEx, sortIpAddressList, type PacErrorReason } from './pac-engine.js'

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
  /**
   * false runs the script without the sandbox's own interrupt, so only the worker's hard
   * deadline stops a loop (tests of that deadline).
   * @internal
   */
  interruptible?: boolean
}

export interface CompiledPac {
  /** Runs the script for `url`; resolves with its raw answer, e.g. "PROXY a:1; DIRECT". */
  findProxy(url: string): Promise<string>
  /** Frees the sandbox and its worker; idempotent. findProxy() afterwards rejects. */
  dispose(): void
}

export const PAC_DEFAULT_TIMEOUT_MS = 5_000
export const PAC_DEFAULT_MEMORY_LIMIT = 32 * 1024 * 1024
/**
 * How long past its deadline a worker may stay silent before it is terminated: the sandbox's
 * own interrupt normally stops a script at the deadline, this catches what it cannot.
 */
export const PAC_WORKER_GRACE_MS = 1_000
/** What a new worker may take to start (load QuickJS) before its first request's deadline counts. */
const PAC_WORKER_START_MS = 10_000
/** Runs of one findProxy() that may each discover new names before we give up. */
const MAX_DNS_RESTARTS = 32
/** Largest PAC file loadPacScript() accepts (Chromium's fetcher caps it similarly). */
const MAX_PAC_BYTES = 10 * 1024 * 1024

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

function clockFields(now: Date): PacClock {
  return {
    local: [now.getFullYear(), now.getMonth(), now.getDate(), now.getDay(), now.getHours(), now.getMinutes(), now.getSeconds()],
    utc: [now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCDay(), now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds()],
  }
}

/**
 * Starts a PAC worker: the compiled .js next to this file, or, when running from the TypeScript
 * sources (the repository's tests), the .ts worker loaded through tsx (a dev dependency).
 */
function spawnWorker(): Worker {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return new Worker(new URL('./pac-worker.js', here))
  // Node 20 runs no module hooks in workers, so the sources go through tsx's CommonJS hook.
  const tsx = createRequire(here).resolve('tsx/cjs/api')
  const entry = fileURLToPath(new URL('./pac-worker.ts', here))
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry)})`
  return new Worker(bootstrap, { eval: true })
}

type Request = PacWorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never

class PacHost implements CompiledPac {
  #worker: Worker | undefined
  /** Whether the running worker holds the compiled script (false after a restart). */
  #compiled = false
  #disposed = false
  #nextId = 0
  #pending = new Map<number, { worker: Worker; resolve: (run: PacRun) => void; reject: (error: PacError) => void }>()
  #queue: Promise<unknown> = Promise.resolve()
  readonly #resolver: HostResolver
  readonly #timeoutMs: number

  constructor(
    private readonly source: string,
    private readonly options: PacOptions,
  ) {
    this.#resolver = options.resolver ?? { lookup: systemLookup }
    this.#timeoutMs = options.timeoutMs ?? PAC_DEFAULT_TIMEOUT_MS
  }

  /**
   * Compiles the script in a (new) worker; throws PacError. The top level's budget starts when
   * the worker has started, so the main thread allows the start on top of it.
   */
  async compile(): Promise<void> {
    const run = await this.#send(
      {
        type: 'compile',
        source: this.source,
        options: { memoryLimitBytes: this.options.memoryLimitBytes ?? PAC_DEFAULT_MEMORY_LIMIT, timeoutMs: this.#timeoutMs, interruptible: this.options.interruptible ?? true },
        clock: this.#clock(),
        budgetMs: this.#timeoutMs,
      },
      Date.now() + this.#timeoutMs + (this.#worker ? 0 : PAC_WORKER_START_MS),
    )
    this.#alerts(run)
    if (run.outcome.kind === 'error') {
      this.#stop()
      throw new PacError(run.outcome.reason, run.outcome.message)
    }
    this.#compiled = true
  }

  findProxy(url: string): Promise<string> {
    const run = this.#queue.then(() => this.#resolveOne(url))
    this.#queue = run.then(() => undefined, () => undefined)
    return run
  }

  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    this.#stop()
  }

  async #resolveOne(url: string): Promise<string> {
    if (this.#disposed) throw new PacError('disposed', 'PAC script was disposed')
    let sanitized: string
    let host: string
    try {
      sanitized = sanitizePacUrl(url)
      host = bareHost(new URL(sanitized).hostname)
    } catch (error: unknown) {
      throw new PacError('runtime', `cannot run the PAC script for '${url}': not a valid URL`, { cause: error })
    }
    // A worker terminated by an earlier overrun first compiles the script again (its own budget).
    if (!this.#compiled) await this.compile()
    const deadline = Date.now() + this.#timeoutMs
    const answers = new Map<string, string | null>()
    for (let round = 0; ; round++) {
      const run = await this.#send({ type: 'run', url: sanitized, host, answers: [...answers], clock: this.#clock(), deadline }, deadline)
      this.#alerts(run)
      const { outcome } = run
      if (outcome.kind === 'error' && outcome.fatal === true) {
        this.#stop()
        throw new PacError(outcome.reason, outcome.message)
      }
      if (run.misses.length === 0 || (outcome.kind === 'error' && outcome.reason !== 'runtime')) {
        if (outcome.kind === 'error') throw new PacError(outcome.reason, outcome.message)
        if (outcome.kind === 'not-a-string') throw new PacError('result', outcome.description)
        return outcome.value
      }
      if (round >= MAX_DNS_RESTARTS) throw new PacError('runtime', `PAC script kept asking for new host names (${MAX_DNS_RESTARTS} restarts)`)
      await this.#fetchMisses(run.misses, answers, deadline)
      if (this.#disposed) throw new PacError('disposed', 'PAC script was disposed')
    }
  }

  #clock(): PacClock {
    return clockFields(this.options.now?.() ?? new Date())
  }

  #alerts(run: PacRun): void {
    for (const message of run.alerts) this.options.onAlert?.(message)
  }

  /** Posts a request to the worker (started on demand); the worker is terminated if it has not answered by deadline + grace. */
  #send(request: Request, deadline: number): Promise<PacRun> {
    if (this.#disposed) return Promise.reject(new PacError('disposed', 'PAC script was disposed'))
    const worker = this.#ensureWorker()
    const id = this.#nextId++
    return new Promise<PacRun>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.#pending.delete(id)) return
        this.#stop()
        reject(new PacError('timeout', `PAC script took longer than ${this.#timeoutMs} ms; its worker did not answer and was terminated`))
      }, Math.max(0, deadline - Date.now()) + PAC_WORKER_GRACE_MS)
      this.#pending.set(id, {
        worker,
        resolve: (run) => {
          clearTimeout(timer)
          resolve(run)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
      worker.ref()
      worker.postMessage({ ...request, id } as PacWorkerRequest)
    })
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker
    const worker = spawnWorker()
    worker.unref()
    worker.on('message', (reply: PacWorkerReply) => {
      const waiter = this.#pending.get(reply.id)
      if (!waiter) return
      this.#pending.delete(reply.id)
      if (![...this.#pending.values()].some((w) => w.worker === worker)) worker.unref()
      waiter.resolve(reply.run)
    })
    const fail = (why: string): void => {
      if (this.#worker === worker) {
        this.#worker = undefined
        this.#compiled = false
      }
      for (const [id, waiter] of this.#pending) {
        if (waiter.worker !== worker) continue
        this.#pending.delete(id)
        waiter.reject(new PacError('runtime', `PAC engine failed: ${why}`))
      }
    }
    worker.on('error', (error: Error) => fail(error.message))
    worker.on('exit', (code) => fail(`its worker exited (code ${code})`))
    this.#worker = worker
    this.#compiled = false
    return worker
  }

  /** Terminates the worker (if any); the next request starts a new one. */
  #stop(): void {
    const worker = this.#worker
    this.#worker = undefined
    this.#compiled = false
    if (worker) void worker.terminate()
  }

  async #fetchMisses(misses: string[], answers: Map<string, string | null>, deadline: number): Promise<void> {
    const remaining = deadline - Date.now()
    if (remaining <= 0) throw new PacError('timeout', `PAC script took longer than ${this.#timeoutMs} ms (DNS)`)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new PacError('timeout', `PAC script took longer than ${this.#timeoutMs} ms (DNS)`)), remaining)
    })
    try {
      await Promise.race([Promise.all(misses.map(async (key) => answers.set(key, await this.#lookup(key)))), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  async #lookup(key: string): Promise<string | null> {
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
      addresses = await this.#resolver.lookup(rest)
    } catch {
      return null
    }
    if (kind === 'all') return addresses.length === 0 ? null : addresses.join(';')
    return addresses.find((a) => isIPv4(a)) ?? null
  }
}

/**
 * Compiles a PAC script in a fresh sandbox on its own worker thread. Rejects with PacError when
 * the script does not parse, throws at top level, overruns its budgets, or defines no
 * FindProxyForURL.
 */
export async function compilePac(source: string, options: PacOptions = {}): Promise<CompiledPac> {
  const host = new PacHost(source, options)
  try {
    await host.compile()
  } catch (error: unknown) {
    host.dispose()
    throw error
  }
  return host
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
