// Runs a command as a user would and collects what it printed, with a bound: a program that
// does not end by itself shows as 'still running' (and is killed) instead of stalling the test.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface ProgramRun {
  exit: { code: number | null; signal: NodeJS.Signals | null } | 'still running'
  stdout: string
  stderr: string
}

/** `command args…` with the outer test runner's own variables (VITEST*, NODE_OPTIONS) left out. */
export function runCommand(command: string, args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs: number }): Promise<ProgramRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && name !== 'NODE_OPTIONS'))
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, ...options.env } })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve({ exit: 'still running', stdout, stderr })
    }, options.timeoutMs)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ exit: { code, signal }, stdout, stderr })
    })
  })
}

/** An example of packages/examples/src run as a program (`pnpm <name>`), through tsx. */
export function runExample(name: string, timeoutMs: number): Promise<ProgramRun> {
  const script = fileURLToPath(new URL(`../src/${name}.ts`, import.meta.url))
  const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))
  return runCommand(tsx, [script], { timeoutMs })
}
