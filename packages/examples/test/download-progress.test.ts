import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { runDownloadProgress } from '../src/download-progress.js'

test('download-progress: pausing stalls the server, resuming completes a byte-exact file', async () => {
  const lines: string[] = []
  const size = 64 * 1024 * 1024
  const report = await runDownloadProgress({ size, log: (line) => lines.push(line) })
  expect(report).toMatchObject({ bytes: size, state: 'completed', sha256Matches: true })
  // While paused the server could not send: its count did not move, and it had not sent it all.
  expect(report.serverSentWhilePaused[1]).toBe(report.serverSentWhilePaused[0])
  expect(report.receivedWhenPaused).toBeLessThan(size)
  expect(lines.join('\n')).toContain('SHA-256 matches')
})

test('download-progress as a program (`pnpm download-progress`) prints its report and ends by itself', async () => {
  const script = fileURLToPath(new URL('../src/download-progress.ts', import.meta.url))
  const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))
  const child = spawn(tsx, [script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  try {
    const exit = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 50_000))])
    expect({ exit, stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' })
    expect(stdout).toMatch(/completed: .*big\.bin \(100663296 bytes, SHA-256 matches\)/)
  } finally {
    child.kill('SIGKILL')
  }
}, 60_000)
