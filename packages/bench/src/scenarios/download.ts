/**
 * Downloads (issue #14): a page of a session clicks a link to a 200 MiB attachment; the
 * session's will-download handler sets the save path and the iteration ends at the item's
 * 'done'. The floor is a plain Node fetch() of the same URL streamed into a file. Each
 * contender also reports the Node process's memory growth over its iterations (peak RSS and
 * heap above the level before the first one): streamed, not buffered, means flat.
 */
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, unlink } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { CHROMIUM_PATH, describeError, quietly } from '../lib/browsers.js'
import { listenLocal, type LocalServer } from '../lib/server.js'
import type { Contender, PreparedScenario, Scenario } from '../lib/types.js'

const BYTES = 200 * 1024 * 1024
const PIECE = Buffer.alloc(1024 * 1024, 0x62)

interface DownloadItemLike {
  setSavePath(path: string): void
  once(event: 'done', listener: (event: unknown, state: string) => void): unknown
}
interface BenchSession {
  createWebContents(): Promise<{ loadURL(url: string): Promise<unknown>; executeJavaScript(code: string): Promise<unknown> }>
  on(event: 'will-download', listener: (event: unknown, item: DownloadItemLike) => void): unknown
}
interface BenchBrowser {
  session: { fromPartition(partition: string): BenchSession }
  close(): Promise<unknown>
}

async function serve(): Promise<LocalServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://base.invalid').pathname
    if (path !== '/big') {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': 30 }).end('<!doctype html><a href="/big">')
      return
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="big.bin"', 'content-length': BYTES, 'cache-control': 'no-store' })
    let sent = 0
    const pump = (): void => {
      while (sent < BYTES) {
        sent += PIECE.length
        if (!res.write(PIECE)) {
          res.once('drain', pump)
          return
        }
      }
      res.end()
    }
    pump()
  })
  return listenLocal(server)
}

/** Peak memory growth of this process while `work` runs, sampled every 10 ms. */
class MemoryWatch {
  readonly #base = process.memoryUsage()
  peakRss = 0
  peakHeap = 0
  watch<T>(work: Promise<T>): Promise<T> {
    const sample = (): void => {
      const now = process.memoryUsage()
      this.peakRss = Math.max(this.peakRss, now.rss - this.#base.rss)
      this.peakHeap = Math.max(this.peakHeap, now.heapUsed - this.#base.heapUsed)
    }
    const timer = setInterval(sample, 10)
    return work.finally(() => {
      clearInterval(timer)
      sample()
    })
  }
  report(label: string): void {
    const mib = (n: number): string => (n / 1048576).toFixed(1)
    console.log(`  ${label}: Node memory over the run: peak RSS +${mib(this.peakRss)} MiB, peak heap +${mib(this.peakHeap)} MiB (${BYTES / 1048576} MiB per iteration)`)
  }
}

function contenders(origin: string, dir: string): Contender[] {
  const viaSession: Contender = {
    id: 'cdp-session',
    label: 'cdp-session (will-download, Node writes the file)',
    async start() {
      const specifier: string = 'cdp-session'
      let browser: BenchBrowser
      try {
        const mod = (await import(specifier)) as { launch(options: { executablePath: string }): Promise<BenchBrowser> }
        browser = await mod.launch({ executablePath: CHROMIUM_PATH })
      } catch (error) {
        throw new Error(`cannot launch cdp-session: ${describeError(error)}`)
      }
      const session = browser.session.fromPartition('bench-download')
      const page = await session.createWebContents()
      await page.loadURL(`${origin}/`)
      let pending: { path: string; resolve(): void; reject(error: Error): void } | undefined
      session.on('will-download', (_event, item) => {
        const current = pending
        if (!current) return
        item.setSavePath(current.path)
        item.once('done', (_e, state) => (state === 'completed' ? current.resolve() : current.reject(new Error(`download ended ${state}`))))
      })
      const memory = new MemoryWatch()
      return {
        iteration: async (n) => {
          const path = join(dir, `session-${n}.bin`)
          const done = new Promise<void>((resolve, reject) => (pending = { path, resolve, reject }))
          await memory.watch(Promise.all([done, page.executeJavaScript(`document.querySelector('a').click()`)]))
          pending = undefined
          await unlink(path)
        },
        close: async () => {
          memory.report('cdp-session')
          await quietly(() => browser.close())
        },
      }
    },
  }
  const plainFetch: Contender = {
    id: 'raw-cdp',
    label: 'plain Node fetch() streamed to a file (floor)',
    start() {
      const memory = new MemoryWatch()
      return Promise.resolve({
        iteration: async (n) => {
          const path = join(dir, `fetch-${n}.bin`)
          await memory.watch(
            (async () => {
              const response = await fetch(`${origin}/big`)
              if (!response.body) throw new Error('no body')
              await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(path))
            })(),
          )
          await unlink(path)
        },
        close: () => {
          memory.report('plain fetch')
          return Promise.resolve()
        },
      })
    },
  }
  return [viaSession, plainFetch]
}

export const download: Scenario = {
  id: 'download',
  title: `Download: ${BYTES / 1024 / 1024} MiB attachment through a session vs a plain Node fetch`,
  description:
    `A page of the session clicks a link to a ${BYTES / 1024 / 1024} MiB attachment on 127.0.0.1; the will-download handler sets the save path ` +
    "and the iteration ends at the item's 'done' (the file complete on disk). The floor is Node's own fetch() of the same URL piped into a file. " +
    'Goal: at least 0.9× the floor throughput, i.e. at most 1.11× its time. The contenders alternate every iteration. ' +
    'The run also prints the peak growth of Node RSS and heap per contender (flat: the body is streamed, never buffered).',
  goals: { vsRaw: 1.11 },
  rounds: Number.MAX_SAFE_INTEGER,
  async prepare(): Promise<PreparedScenario> {
    const fixture = await serve()
    const dir = await mkdtemp(join(tmpdir(), 'bench-download-'))
    return {
      contenders: contenders(fixture.origin, dir),
      dispose: async () => {
        await fixture.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  },
}
