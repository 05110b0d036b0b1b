import { expect, test } from 'vitest'
import { runDownloadProgress } from '../src/download-progress.js'
import { runExample } from './program.js'

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
  const { exit, stdout, stderr } = await runExample('download-progress', 50_000)
  expect({ exit, stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' })
  expect(stdout).toMatch(/completed: .*big\.bin \(100663296 bytes, SHA-256 matches\)/)
}, 60_000)
