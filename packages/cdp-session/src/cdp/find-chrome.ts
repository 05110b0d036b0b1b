import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BrowserNotFoundError } from '../common/errors.js'

export interface FoundChrome {
  /** The executable that will be started. */
  path: string
  /** Every path that was checked, in order, up to and including `path`. */
  tried: string[]
}

const API = 'findChrome'

/** Executable names that Linux distributions and Google's packages put on PATH. */
const LINUX_NAMES = [
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
  'google-chrome-beta',
  'google-chrome-unstable',
]

/**
 * Fixed install locations on Linux. `/usr/bin/chromium` on Debian is a shell
 * wrapper that `exec`s `/usr/lib/chromium/chromium`, so the pid we get from
 * spawn is still the browser's own pid.
 */
const LINUX_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome-beta',
  '/usr/bin/google-chrome-unstable',
  '/opt/google/chrome/chrome',
  '/opt/google/chrome-beta/chrome',
  '/opt/google/chrome-unstable/chrome',
  '/opt/chromium.org/chromium/chromium',
  '/usr/lib/chromium/chromium',
  '/usr/lib/chromium-browser/chromium-browser',
  '/snap/bin/chromium',
  '/usr/local/bin/chromium',
  '/usr/local/bin/google-chrome',
]

/** App bundle names on macOS, each with the binary inside `Contents/MacOS`. */
const MAC_APPS: ReadonlyArray<readonly [bundle: string, binary: string]> = [
  ['Google Chrome.app', 'Google Chrome'],
  ['Chromium.app', 'Chromium'],
  ['Google Chrome Canary.app', 'Google Chrome Canary'],
  ['Google Chrome Beta.app', 'Google Chrome Beta'],
  ['Google Chrome Dev.app', 'Google Chrome Dev'],
]

/** Paths below %PROGRAMFILES%, %PROGRAMFILES(X86)% and %LOCALAPPDATA% on Windows. */
const WINDOWS_SUFFIXES = [
  'Google\\Chrome\\Application\\chrome.exe',
  'Google\\Chrome Beta\\Application\\chrome.exe',
  'Google\\Chrome SxS\\Application\\chrome.exe', // Canary installs per user, under LOCALAPPDATA
  'Chromium\\Application\\chrome.exe',
]

/** Windows treats environment names case-insensitively; a plain object does not. */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name]
  if (direct !== undefined) return direct
  const wanted = name.toUpperCase()
  for (const [key, value] of Object.entries(env)) {
    if (key.toUpperCase() === wanted) return value
  }
  return undefined
}

function pathEntries(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const raw = envValue(env, 'PATH')
  if (!raw) return []
  const delimiter = platform === 'win32' ? ';' : ':'
  return raw.split(delimiter).filter((entry) => entry.length > 0)
}

/**
 * The ordered list of places `findChrome` looks at for a platform (without
 * CHROME_PATH). Exported so that error messages and tests can show it.
 */
export function chromeCandidates(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  const candidates: string[] = []
  if (platform === 'darwin') {
    const home = envValue(env, 'HOME') ?? os.homedir()
    for (const root of ['/Applications', path.posix.join(home, 'Applications')]) {
      for (const [bundle, binary] of MAC_APPS) candidates.push(path.posix.join(root, bundle, 'Contents', 'MacOS', binary))
    }
    for (const dir of pathEntries(env, platform)) {
      for (const name of ['chromium', 'google-chrome']) candidates.push(path.posix.join(dir, name))
    }
  } else if (platform === 'win32') {
    const roots = [
      envValue(env, 'PROGRAMFILES') ?? 'C:\\Program Files',
      envValue(env, 'PROGRAMFILES(X86)') ?? 'C:\\Program Files (x86)',
      envValue(env, 'LOCALAPPDATA'),
    ]
    for (const root of roots) {
      if (!root) continue
      for (const suffix of WINDOWS_SUFFIXES) candidates.push(path.win32.join(root, suffix))
    }
    for (const dir of pathEntries(env, platform)) {
      for (const name of ['chrome.exe', 'chromium.exe']) candidates.push(path.win32.join(dir, name))
    }
  } else {
    // Linux and the BSDs share the same naming conventions.
    candidates.push(...LINUX_PATHS)
    for (const dir of pathEntries(env, platform)) {
      for (const name of LINUX_NAMES) candidates.push(path.posix.join(dir, name))
    }
  }
  return [...new Set(candidates)]
}

function installHint(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'Install Google Chrome or Chromium (e.g. `brew install --cask chromium`)'
  if (platform === 'win32') return 'Install Google Chrome or Chromium'
  return 'Install Chromium (e.g. `apt-get install chromium` on Debian/Ubuntu, `dnf install chromium` on Fedora)'
}

/**
 * Locates a Chrome or Chromium executable on this machine. Looks at the
 * CHROME_PATH environment variable first, then at the usual install locations
 * for the platform and at the usual names on PATH. Never downloads anything.
 *
 * @throws BrowserNotFoundError listing every path tried.
 */
export function findChrome(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  exists: (file: string) => boolean = fs.existsSync,
): FoundChrome {
  const fromEnv = envValue(env, 'CHROME_PATH')
  if (fromEnv !== undefined && fromEnv !== '') {
    if (exists(fromEnv)) return { path: fromEnv, tried: [fromEnv] }
    throw new BrowserNotFoundError(
      `${API}: the CHROME_PATH environment variable is set to '${fromEnv}', but no file exists there. ` +
        'Point CHROME_PATH at a Chrome or Chromium executable, or unset it to search the usual install locations.',
      [fromEnv],
    )
  }

  const tried: string[] = []
  for (const candidate of chromeCandidates(env, platform)) {
    tried.push(candidate)
    if (exists(candidate)) return { path: candidate, tried }
  }

  const list = tried.map((file) => `  - ${file}`).join('\n')
  throw new BrowserNotFoundError(
    `${API}: no Chrome or Chromium executable was found. Tried:\n${list}\n` +
      `${installHint(platform)}, or set the CHROME_PATH environment variable (or the executablePath option) ` +
      'to the path of a Chrome or Chromium executable. Nothing is ever downloaded automatically.',
    tried,
  )
}
