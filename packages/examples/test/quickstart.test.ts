import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { runQuickstart } from '../src/quickstart.js'

test('quickstart: sessions share nothing and the UA override reaches a worker', async () => {
  const lines: string[] = []
  const report = await runQuickstart((line) => lines.push(line))
  expect(report.sessions.map((s) => [s.partition, s.cookie, s.localStorage])).toEqual([
    ['alice', 'owner=alice', 'alice'],
    ['bob', 'owner=bob', 'bob'],
    ['persist:carol', 'owner=persist:carol', 'persist:carol'],
  ])
  expect(report.sessions.map((s) => s.persistent)).toEqual([false, false, true])
  expect(report.sessions[2]?.storagePath).toMatch(/\/Partitions\/carol$/)
  expect(report.worker).toEqual({ userAgent: 'QuickstartBot/1.0', languages: ['en-US', 'fr'], acceptLanguageHeader: 'en-US,fr;q=0.9' })
  expect(lines.join('\n')).toContain('QuickstartBot/1.0')
})

test('quickstart as a program (`pnpm quickstart`, the README demo) prints its report and ends by itself', async () => {
  const script = fileURLToPath(new URL('../src/quickstart.ts', import.meta.url))
  const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))
  const child = spawn(tsx, [script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  try {
    const exit = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 45_000))])
    expect({ exit, stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' })
    expect(stdout).toContain('navigator.userAgent = QuickstartBot/1.0')
  } finally {
    child.kill('SIGKILL')
  }
}, 60_000)
