import { expect, test } from 'vitest'
import { runQuickstart } from '../src/quickstart.js'
import { runExample } from './program.js'

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
  const { exit, stdout, stderr } = await runExample('quickstart', 45_000)
  expect({ exit, stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' })
  expect(stdout).toContain('navigator.userAgent = QuickstartBot/1.0')
}, 60_000)
