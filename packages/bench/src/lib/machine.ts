import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { availableParallelism, loadavg, totalmem } from 'node:os'
import { promisify } from 'node:util'

import { CHROMIUM_PATH } from './browsers.js'

export interface MachineInfo {
  cores: number
  cpuModel: string
  memoryGiB: number
  chromium: string
  node: string
  playwright: string
  puppeteer: string
  /** 1-minute load average when the run started: a hint of how noisy it was. */
  loadAtStart: number
}

async function cpuModel(): Promise<string> {
  try {
    const text = await readFile('/proc/cpuinfo', 'utf8')
    return /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

async function chromiumVersion(): Promise<string> {
  try {
    // The Debian wrapper script may chatter on stderr; the version is on stdout.
    const { stdout } = await promisify(execFile)(CHROMIUM_PATH, ['--version'], { timeout: 15_000 })
    // "Chromium 156.0.8078.108 built on Debian ..." → "Chromium 156.0.8078.108"
    const text = stdout.trim()
    return /^\S+ [\d.]+/.exec(text)?.[0] ?? (text || 'unknown')
  } catch {
    return 'unknown'
  }
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url)
    return (require(`${name}/package.json`) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

export async function describeMachine(): Promise<MachineInfo> {
  return {
    cores: availableParallelism(),
    cpuModel: await cpuModel(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    chromium: await chromiumVersion(),
    node: process.version,
    playwright: packageVersion('playwright-core'),
    puppeteer: packageVersion('puppeteer-core'),
    loadAtStart: loadavg()[0] ?? Number.NaN,
  }
}
