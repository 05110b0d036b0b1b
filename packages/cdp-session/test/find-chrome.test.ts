import { describe, expect, it } from 'vitest'
import { chromeCandidates, findChrome } from '../src/cdp/find-chrome.js'
import { BrowserNotFoundError } from '../src/common/errors.js'

const only =
  (...present: string[]) =>
  (file: string): boolean =>
    present.includes(file)

function notFound(run: () => unknown): BrowserNotFoundError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(BrowserNotFoundError)
    return error as BrowserNotFoundError
  }
  throw new Error('expected findChrome to throw')
}

describe('findChrome', () => {
  it('prefers CHROME_PATH when the file exists', () => {
    const result = findChrome({ CHROME_PATH: '/custom/chrome' }, 'linux', only('/custom/chrome', '/usr/bin/chromium'))
    expect(result).toEqual({ path: '/custom/chrome', tried: ['/custom/chrome'] })
  })

  it('fails with a message naming CHROME_PATH when it points nowhere', () => {
    const error = notFound(() => findChrome({ CHROME_PATH: '/nope/chrome' }, 'linux', only('/usr/bin/chromium')))
    expect(error.code).toBe('ERR_BROWSER_NOT_FOUND')
    expect(error.message).toContain('CHROME_PATH')
    expect(error.message).toContain('/nope/chrome')
    expect(error.tried).toEqual(['/nope/chrome'])
  })

  it('ignores an empty CHROME_PATH', () => {
    expect(findChrome({ CHROME_PATH: '' }, 'linux', only('/usr/bin/chromium')).path).toBe('/usr/bin/chromium')
  })

  it('walks the Linux locations in order, then PATH', () => {
    const found = findChrome({ PATH: '/x/bin:/y/bin' }, 'linux', only('/usr/bin/google-chrome-stable'))
    expect(found.path).toBe('/usr/bin/google-chrome-stable')
    expect(found.tried.slice(0, 4)).toEqual(['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'])

    const onPath = findChrome({ PATH: '/x/bin:/y/bin' }, 'linux', only('/y/bin/chromium-browser'))
    expect(onPath.path).toBe('/y/bin/chromium-browser')
    expect(onPath.tried).toContain('/opt/google/chrome/chrome')
    expect(onPath.tried).toContain('/snap/bin/chromium')
    expect(onPath.tried).toContain('/x/bin/google-chrome')
  })

  it('looks in /Applications and ~/Applications on macOS', () => {
    const candidates = chromeCandidates({ HOME: '/Users/me' }, 'darwin')
    expect(candidates[0]).toBe('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome')
    expect(candidates).toContain('/Applications/Chromium.app/Contents/MacOS/Chromium')
    expect(candidates).toContain('/Applications/Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary')
    const target = '/Users/me/Applications/Chromium.app/Contents/MacOS/Chromium'
    expect(findChrome({ HOME: '/Users/me' }, 'darwin', only(target)).path).toBe(target)
  })

  it('reads Windows folders from the environment, whatever the case of the names', () => {
    const env = { ProgramFiles: 'D:\\Apps', 'ProgramFiles(x86)': 'D:\\Apps32', LocalAppData: 'C:\\Users\\me\\AppData\\Local' }
    const candidates = chromeCandidates(env, 'win32')
    expect(candidates[0]).toBe('D:\\Apps\\Google\\Chrome\\Application\\chrome.exe')
    expect(candidates).toContain('D:\\Apps32\\Chromium\\Application\\chrome.exe')
    const target = 'C:\\Users\\me\\AppData\\Local\\Google\\Chrome SxS\\Application\\chrome.exe'
    expect(findChrome(env, 'win32', only(target)).path).toBe(target)
  })

  it('lists every path tried and how to fix it when nothing is installed', () => {
    const error = notFound(() => findChrome({ PATH: '/x/bin' }, 'linux', () => false))
    expect(error.tried).toEqual(chromeCandidates({ PATH: '/x/bin' }, 'linux'))
    for (const file of error.tried) expect(error.message).toContain(file)
    expect(error.message).toContain('apt-get install chromium')
    expect(error.message).toContain('CHROME_PATH')
    expect(error.message).toContain('executablePath')
  })

  it('finds the Chromium installed on this machine', () => {
    const { CHROME_PATH: _ignored, ...env } = process.env
    expect(findChrome(env).path).toBe('/usr/bin/chromium')
  })
})
