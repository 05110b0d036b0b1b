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
