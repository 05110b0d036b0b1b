// Newer Electron's ses.registerPreloadScript / unregisterPreloadScript / getPreloadScripts: 'frame'
// scripts in every frame of the next documents (the same list setPreloads writes to), 'service-worker'
// scripts in every service worker the session starts, before their own scripts; Electron's errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session } from 'cdp-session'
import { afterEach, beforeEach } from 'vitest'
import { describe, expect, test } from './fixtures/test.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'preload-scripts-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

function script(name: string, source: string): string {
  const file = join(dir, name)
  writeFileSync(file, source)
  return file
}

const tagging = (tag: string): string => `;(self.__order ||= []).push(${JSON.stringify(tag)})`

function updated(session: Session): Promise<string[]> {
  return new Promise((resolve) => session.once('preloads-updated', resolve))
}

const PAGE = `<!doctype html><script>(window.__order ||= []).push('page')</script>`

describe('ses.registerPreloadScript', () => {
  test("a 'frame' script runs before the page's scripts, after setPreloads' ones registered earlier; unregister stops it for the next document", async ({ session, server }) => {
    server.setContent('/ps/page.html', PAGE)
    const old = script('old.js', tagging('setPreloads'))
    const added = script('added.js', tagging('registered'))
    session.setPreloads([old])
    const applied = updated(session)
    const id = session.registerPreloadScript({ type: 'frame', id: 'mine', filePath: added })
    expect(id).toBe('mine')
    await applied
    expect(session.getPreloadScripts()).toEqual([
      { type: 'frame', id: expect.any(String), filePath: old },
      { type: 'frame', id: 'mine', filePath: added },
    ])
    expect(session.getPreloads()).toEqual([old, added])
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/ps/page.html'))
    expect(await wc.executeJavaScript('window.__order')).toEqual(['setPreloads', 'registered', 'page'])

    // setPreloads replaces only what it set; the registered script stays.
    session.setPreloads([])
    expect(session.getPreloadScripts().map((s) => s.id)).toEqual(['mine'])
    const removed = updated(session)
    session.unregisterPreloadScript('mine')
    await removed
    expect(session.getPreloadScripts()).toEqual([])
    await wc.loadURL(server.url('/ps/page.html?again'))
    expect(await wc.executeJavaScript('window.__order')).toEqual(['page'])
  })

  test('an id is made when none is given (a UUID); two scripts get two', ({ session }) => {
    const a = session.registerPreloadScript({ type: 'frame', filePath: script('a.js', '') })
    const b = session.registerPreloadScript({ type: 'frame', filePath: script('b.js', '') })
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(b).not.toBe(a)
  })

  test("a 'service-worker' script runs in a service worker before its own script, and not in pages", async ({ session, server }) => {
    server.setContent('/ps/sw-page.html', PAGE)
    server.setContent('/ps/sw.js', `
      const seen = self.__order ? [...self.__order] : []
      addEventListener('install', (e) => e.waitUntil(skipWaiting()))
      addEventListener('activate', (e) => e.waitUntil(clients.claim()))
      addEventListener('message', (e) => e.source.postMessage(seen))`, 'text/javascript')
    const applied = updated(session)
    session.registerPreloadScript({ type: 'service-worker', filePath: script('sw-preload.js', tagging('sw-preload')) })
    await applied
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/ps/sw-page.html'))
    expect(await wc.executeJavaScript('window.__order')).toEqual(['page'])
    const seen = await wc.executeJavaScript(`(async () => {
      await navigator.serviceWorker.register('/ps/sw.js', { scope: '/ps/' })
      const registration = await navigator.serviceWorker.ready
      return new Promise((resolve) => {
        navigator.serviceWorker.addEventListener('message', (e) => resolve(e.data), { once: true })
        registration.active.postMessage('report')
      })
    })()`)
    expect(seen).toEqual(['sw-preload'])
  })

  test("Electron's errors: a taken id, a relative path, an unknown id to unregister, a script gin cannot convert; an unknown option is said", async ({ session }) => {
    const file = script('x.js', '')
    session.registerPreloadScript({ type: 'frame', id: 'taken', filePath: file })
    expect(() => session.registerPreloadScript({ type: 'frame', id: 'taken', filePath: file })).toThrow("Cannot register preload script with existing ID 'taken'")
    expect(() => session.registerPreloadScript({ type: 'frame', filePath: 'relative/x.js' })).toThrow('Preload script must have absolute path: relative/x.js')
    expect(() => session.unregisterPreloadScript('nobody')).toThrow("Cannot unregister preload script with non-existing ID 'nobody'")
    expect(() => session.registerPreloadScript({ type: 'window', filePath: file } as never)).toThrow('Error processing argument at index 0, conversion failure from ')
    expect(() => session.registerPreloadScript({ type: 'frame' } as never)).toThrow('Error processing argument at index 0, conversion failure from ')
    const warnings: string[] = []
    const onWarning = (w: Error): void => {
      warnings.push(w.message)
    }
    process.on('warning', onWarning)
    try {
      session.registerPreloadScript({ type: 'frame', filePath: file, world: 'main' } as never)
      // process.emitWarning reports on a later tick.
      await new Promise<void>((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
    }
    expect(session.getPreloadScripts()).toHaveLength(2)
    expect(warnings.some((w) => w.includes('session.registerPreloadScript: ignored the option "world"'))).toBe(true)
  })
})
