// Download with a progress bar: a page of a session clicks a link to a large file on a local
// server; the session's will-download handler picks the save path and drives a terminal
// progress bar (cli-progress) from the item's 'updated' events. Half-way the download is
// paused — the server's sending really stalls (it counts its bytes) — then resumed to the end,
// and the file's SHA-256 is checked against the server's.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { SingleBar, Presets } from 'cli-progress'
import { launch, type DownloadItem } from 'cdp-session'

export interface DownloadReport {
  bytes: number
  state: string
  sha256Matches: boolean
  /** Bytes the server had sent when the pause was noticed, and one second later. */
  serverSentWhilePaused: [number, number]
  receivedWhenPaused: number
  requests: number
  savePath: string
}

export interface DownloadOptions {
  /** File size in bytes (default 96 MiB). */
  size?: number
  log?: (line: string) => void
  /** Where the bar is drawn (only on a TTY; default stdout). */
  stream?: NodeJS.WriteStream
}

const PIECE = 256 * 1024
/** The site sends at most this fast, so the bar has something to show (a local copy is instant). */
const RATE_BYTES_PER_SECOND = 32 * 1024 * 1024

/** The file: deterministic bytes, served in 256 KiB pieces at RATE with back-pressure, ETag and ranges. */
function startSite(size: number): Promise<{ server: Server; sent: () => number; requests: () => number; sha256: string }> {
  const piece = Buffer.alloc(PIECE)
  for (let i = 0; i < PIECE; i++) piece[i] = (i * 31 + 7) % 256
  const hash = createHash('sha256')
  for (let at = 0; at < size; at += PIECE) hash.update(piece.subarray(0, Math.min(PIECE, size - at)))
  const sha256 = hash.digest('hex')
  let sent = 0
  let requests = 0
  const server = createServer((req, res) => {
    if (req.url !== '/big.bin') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>downloads</title><a href="/big.bin">the file</a>')
      return
    }
    requests++
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    const start = range && req.headers['if-range'] === '"example-v1"' ? Number(range[1]) : 0
    res.writeHead(start > 0 ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-disposition': 'attachment; filename="big.bin"',
      'content-length': String(size - start),
      etag: '"example-v1"',
      'accept-ranges': 'bytes',
      ...(start > 0 ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
    })
    let position = start
    const began = Date.now()
    const pump = (): void => {
      while (position < size && !res.destroyed) {
        const ahead = (position - start) / RATE_BYTES_PER_SECOND - (Date.now() - began) / 1000
        if (ahead > 0.005) {
          setTimeout(pump, ahead * 1000)
          return
        }
        // Pieces start at multiples of PIECE, so every byte is the same at any offset.
        const offset = position % PIECE
        const length = Math.min(PIECE - offset, size - position)
        position += length
        sent += length
        if (!res.write(piece.subarray(offset, offset + length))) {
          res.once('drain', pump)
          return
        }
      }
      res.end()
    }
    pump()
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, sent: () => sent, requests: () => requests, sha256 })))
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Waits until the server's byte count stops moving (sampled every 250 ms, at most ~10 s). */
async function untilStalled(sent: () => number): Promise<number> {
  let previous = -1
  for (let i = 0; i < 40 && sent() !== previous; i++) {
    previous = sent()
    await sleep(250)
  }
  return sent()
}

export async function runDownloadProgress(options: DownloadOptions = {}): Promise<DownloadReport> {
  const size = options.size ?? 96 * 1024 * 1024
  const log = options.log ?? console.log
  const site = await startSite(size)
  const origin = `http://127.0.0.1:${(site.server.address() as AddressInfo).port}`
  const dir = await mkdtemp(join(tmpdir(), 'cdp-session-download-example-'))
  const browser = await launch()
  try {
    const session = browser.session.fromPartition('downloads')
    const page = await session.createWebContents()
    await page.loadURL(`${origin}/`)
    const bar = new SingleBar({ format: ' {bar} {percentage}% | {value}/{total} bytes | {speed} MB/s | {status}', stream: options.stream ?? process.stdout, hideCursor: true }, Presets.shades_classic)
    const started = new Promise<DownloadItem>((resolve) => {
      session.once('will-download', (_event, item) => {
        item.setSavePath(join(dir, item.getFilename()))
        resolve(item)
      })
    })
    await page.executeJavaScript(`document.querySelector('a').click()`)
    const item = await started
    log(`downloading ${item.getURL()} (${item.getTotalBytes()} bytes, ${item.getMimeType()}) to ${item.getSavePath()}`)
    bar.start(item.getTotalBytes(), 0, { speed: '0', status: 'downloading' })
    const done = new Promise<string>((resolve) => item.once('done', (_event, state) => resolve(state)))
    let pauseNoticed: () => void = () => undefined
    const halfWay = new Promise<void>((resolve) => (pauseNoticed = resolve))
    item.on('updated', () => {
      const speed = (item.getCurrentBytesPerSecond() / 1e6).toFixed(1)
      bar.update(item.getReceivedBytes(), { speed, status: item.isPaused() ? 'paused' : 'downloading' })
      if (!item.isPaused() && item.getReceivedBytes() >= item.getTotalBytes() / 2 && item.getState() === 'progressing') pauseNoticed()
    })
    // (A download that ends first is simply not paused.)
    await Promise.race([halfWay, done])
    item.pause()
    const receivedWhenPaused = item.getReceivedBytes()
    bar.update(receivedWhenPaused, { speed: '0', status: 'paused' })
    const stalledAt = await untilStalled(site.sent)
    await sleep(1000)
    const serverSentWhilePaused: [number, number] = [stalledAt, site.sent()]
    bar.update(item.getReceivedBytes(), { status: 'resuming' })
    item.resume()
    const state = await done
    bar.update(item.getReceivedBytes(), { speed: '0', status: state })
    bar.stop()
    const sha256Matches = state === 'completed' && (await sha256Of(item.getSavePath())) === site.sha256
    log(`paused at ${receivedWhenPaused} bytes: the server had sent ${serverSentWhilePaused[0]} and, a second later, ${serverSentWhilePaused[1]}`)
    log(`${state}: ${item.getSavePath()} (${item.getReceivedBytes()} bytes, SHA-256 ${sha256Matches ? 'matches' : 'DIFFERS'})`)
    return { bytes: item.getReceivedBytes(), state, sha256Matches, serverSentWhilePaused, receivedWhenPaused, requests: site.requests(), savePath: item.getSavePath() }
  } finally {
    await browser.close()
    site.server.closeAllConnections()
    site.server.close()
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runDownloadProgress().then(
    (report) => {
      if (!report.sha256Matches) process.exitCode = 1
    },
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
