// The shipped test fixtures, used as a user would: each runner runs its example file from
// packages/examples/fixture-tests against the built package, and must report every test passed.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'

const dir = fileURLToPath(new URL('../fixture-tests/', import.meta.url))
const bin = (name: string): string => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url))

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // NODE_OPTIONS and VITEST* of the outer run must not leak into the inner runner.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && name !== 'NODE_OPTIONS'))
    const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, FORCE_COLOR: '0', NO_COLOR: '1', CI: '1' } })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
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
