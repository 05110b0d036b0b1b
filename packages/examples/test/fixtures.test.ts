// The shipped test fixtures, used as a user would: each runner runs its example file from
// packages/examples/fixture-tests against the built package, and must report every test passed.
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { runCommand } from './program.js'

const dir = fileURLToPath(new URL('../fixture-tests/', import.meta.url))
const bin = (name: string): string => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url))

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return runCommand(command, args, { cwd: dir, env: { FORCE_COLOR: '0', NO_COLOR: '1', CI: '1' }, timeoutMs: 150_000 }).then(({ exit, stdout, stderr }) => ({
    code: exit === 'still running' ? null : exit.code,
    output: stdout + stderr,
  }))
}

describe('shipped fixtures, run by their own runners', { timeout: 180_000 }, () => {
  test('cdp-session/vitest: 2 of 2 example tests pass', async () => {
    const { code, output } = await run(bin('vitest'), ['run', '--config', 'vitest.config.ts'])
    expect(output).toMatch(/Tests\s+2 passed \(2\)/)
    expect(code, output).toBe(0)
  })

  test('cdp-session/playwright-test: 2 of 2 example specs pass under @playwright/test', async () => {
    const { code, output } = await run(bin('playwright'), ['test', '--config', 'playwright.config.ts'])
    expect(output).toMatch(/\b2 passed\b/)
    expect(output).not.toMatch(/\bfailed\b/)
    expect(code, output).toBe(0)
  })

  test('cdp-session/node-test: 2 of 2 example tests pass under node --test', async () => {
    const { code, output } = await run(process.execPath, ['--import', 'tsx', '--test', 'node.example.test.ts'])
    expect(output).toMatch(/# pass 2\b/)
    expect(output).toMatch(/# fail 0\b/)
    expect(code, output).toBe(0)
  })
})
