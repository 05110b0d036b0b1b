/**
 * The reference relays: src/relay/relay.c, compiled once per bench run with the machine's C
 * compiler, and its Node counterpart src/relay/relay.mjs, each started per scenario in front of
 * its fixture server. They show what any proxy hop costs on this machine (and what a hop costs
 * in Node before any proxy logic), so the gateway can be judged against the hop and not only
 * against no hop at all.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/** `splice` and `copy`: relay.c's two ways of moving bytes; `node`: relay.mjs (stream.pipe). */
export type RelayMode = 'splice' | 'copy' | 'node'

export interface Relay {
  /** The relay's own port on 127.0.0.1. */
  port: number
  close(): Promise<void>
}

export const RELAY_LABELS: Record<RelayMode, string> = {
  splice: 'reference relay in C, splice(2) (zero-copy)',
  copy: 'reference relay in C, read/write',
  node: 'reference relay in Node, stream.pipe',
}

/** Chromium switches that send a browser's traffic through `relay`, 127.0.0.1 included. */
export function relayProxyArgs(relay: Relay): string[] {
  return [`--proxy-server=http://127.0.0.1:${relay.port}`, '--proxy-bypass-list=<-loopback>']
}

const SOURCE = fileURLToPath(new URL('../relay/relay.c', import.meta.url))
const NODE_RELAY = fileURLToPath(new URL('../relay/relay.mjs', import.meta.url))
const START_TIMEOUT_MS = 5_000

let built: Promise<{ binary: string; dir: string }> | undefined

/** Compiles the relay (once); rejects, naming the compiler's complaint, when that is not possible here. */
function build(): Promise<{ binary: string; dir: string }> {
  built ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cdp-session-bench-relay-'))
    const binary = join(dir, 'relay')
    const compiler = process.env['CC'] ?? 'cc'
    try {
      await promisify(execFile)(compiler, ['-O2', '-pthread', '-o', binary, SOURCE])
    } catch (error) {
      await rm(dir, { recursive: true, force: true })
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
      throw new Error(`cannot build the reference relay with ${compiler}: ${message}`)
    }
    // An exit handler runs synchronously to its end: nothing asynchronous would finish there.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    return { binary, dir }
  })()
  return built
}

/** Starts a relay from a fresh port on 127.0.0.1 to 127.0.0.1:`targetPort`. */
export async function startRelay(targetPort: number, mode: RelayMode): Promise<Relay> {
  const child =
    mode === 'node'
      ? spawn(process.execPath, [NODE_RELAY, String(targetPort)], { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn((await build()).binary, [String(targetPort), mode], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await firstLine(child)
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGKILL')
      }),
  }
}

function firstLine(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => fail(new Error(`the reference relay printed no port within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    child.once('error', fail)
    child.once('exit', (code) => fail(new Error(`the reference relay exited (code ${String(code)}) before listening`)))
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const newline = text.indexOf('\n')
      if (newline < 0) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve(Number(text.slice(0, newline)))
    })
  })
}
