// NODE_DEBUG=cdp-session / DEBUG=cdp-session: every CDP command, answer and event of a script's
// sessions is logged to stderr; without either, nothing is.
import { spawn } from 'node:child_process'
import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'
import { describe, expect, test } from './fixtures/test.js'

const library = fileURLToPath(new URL('../packages/cdp-session/src/index.ts', import.meta.url))
const tsx = fileURLToPath(new URL('../packages/cdp-session/node_modules/.bin/tsx', import.meta.url))
let dir = ''
let script = ''

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cdp-session-debug-'))
  script = join(dir, 'script.mts')
  await writeFile(
    script,
    `import { launch } from ${JSON.stringify(library)}
const browser = await launch()
const page = await browser.session.fromPartition('logged').createWebContents()
await page.loadURL('data:text/html,<title>logged</title>')
console.log(await page.executeJavaScript('document.title'))
await browser.close()
`,
  )
})
afterAll(() => rm(dir, { recursive: true, force: true }))

function runScript(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_DEBUG' && name !== 'DEBUG' && !name.startsWith('VITEST')))
    const child = spawn(tsx, [script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('protocol log', () => {
  test.each([
    ['NODE_DEBUG', { NODE_DEBUG: 'cdp-session' }],
    ['DEBUG', { DEBUG: 'cdp-session' }],
  ])('%s=cdp-session logs commands, answers and events with their session', async (_name, env) => {
    const { code, stdout, stderr } = await runScript(env)
    expect(code, stderr.slice(-2000)).toBe(0)
    expect(stdout.trim()).toBe('logged')
    const lines = stderr.split('\n').filter((line) => line.startsWith('CDP-SESSION '))
    expect(lines.find((line) => / → browser #\d+ Target\.createBrowserContext /.test(line))).toBeDefined()
    expect(lines.find((line) => / → [0-9A-F]{8} #\d+ Page\.navigate \{"url":"data:text\/html,<title>logged<\/title>"/.test(line))).toBeDefined()
    expect(lines.find((line) => / ⇠ [0-9A-F]{8} Page\.lifecycleEvent /.test(line))).toBeDefined()
    expect(lines.find((line) => / ← [0-9A-F]{8} #\d+ \{"result":\{"type":"string","value":"logged"\}/.test(line))).toBeDefined()
  })

  test('without either, nothing is logged', async () => {
    const { code, stdout, stderr } = await runScript({})
    expect(code).toBe(0)
    expect(stdout.trim()).toBe('logged')
    expect(stderr).not.toContain('CDP-SESSION')
  })
})
