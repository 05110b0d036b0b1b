import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'

const preloadSource = (tag: string): string => `(window.__order ||= []).push(${JSON.stringify(tag)} + ':' + location.host)`

// A frame page that reports, to its parent, what ran in it and in which order.
const FRAME_PAGE = `<script>(window.__order ||= []).push('page'); parent.postMessage({ order: window.__order, href: location.href }, '*')</script>`

function updated(session: Session): Promise<string[]> {
  return new Promise((resolve) => session.once('preloads-updated', resolve))
}

describe('ses.setPreloads', () => {
  test('runs before the page scripts in the page, a same-site iframe and a cross-site iframe', async ({ session, server }) => {
    const dir = mkdtempSync(join(tmpdir(), 'preload-'))
    try {
      const file = join(dir, 'preload.js')
      writeFileSync(file, preloadSource('v1'))
      const applied = updated(session)
      session.setPreloads([file])
      expect(session.getPreloads()).toEqual([file])
      await applied
      const crossSite = server.url('/frame.html').replace('127.0.0.1', 'b.test')
      server.setContent('/frame.html', FRAME_PAGE)
      server.setContent(
        '/top.html',
        `<script>(window.__order ||= []).push('page'); window.frames_ = [];
         addEventListener('message', (e) => window.frames_.push(e.data))</script>
         <iframe src="/frame.html"></iframe><iframe src="${crossSite}"></iframe>`,
      )
      const wc = await session.createWebContents()
      await wc.loadURL(server.url('/top.html'))
      const host = new URL(server.origin).host
      expect(await wc.executeJavaScript('window.__order')).toEqual([`v1:${host}`, 'page'])
      await expect.poll(() => wc.executeJavaScript('window.frames_.length')).toBe(2)
      const frames = (await wc.executeJavaScript('window.frames_')) as Array<{ order: string[]; href: string }>
      const byHost = Object.fromEntries(frames.map((f) => [new URL(f.href).hostname, f.order]))
      expect(byHost['127.0.0.1']).toEqual([`v1:${host}`, 'page'])
      expect(byHost['b.test']).toEqual([`v1:${new URL(crossSite).host}`, 'page'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a preload edited on disk applies to the next document without a restart', async ({ session, server }) => {
    const dir = mkdtempSync(join(tmpdir(), 'preload-'))
    try {
      const file = join(dir, 'preload.js')
      writeFileSync(file, preloadSource('v1'))
      const first = updated(session)
      session.setPreloads([file])
      await first
      const wc = await session.createWebContents()
      await wc.loadURL(server.url('/empty.html'))
      const host = new URL(server.origin).host
      expect(await wc.executeJavaScript('window.__order')).toEqual([`v1:${host}`])

      const second = updated(session)
      writeFileSync(file, preloadSource('v2'))
      await second
      await wc.reload()
      await expect.poll(() => wc.executeJavaScript('window.__order')).toEqual([`v2:${host}`])
      const other = await session.createWebContents()
      await other.loadURL(server.url('/empty.html'))
      expect(await other.executeJavaScript('window.__order')).toEqual([`v2:${host}`])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('several preloads run in order; setPreloads([]) removes them; other sessions never see them', async ({ browser, session, server }) => {
    const dir = mkdtempSync(join(tmpdir(), 'preload-'))
    const other = browser.session.fromPartition(`preload-other-${Date.now()}`)
    try {
      const a = join(dir, 'a.js')
      const b = join(dir, 'b.js')
      writeFileSync(a, preloadSource('a'))
      writeFileSync(b, preloadSource('b'))
      const applied = updated(session)
      session.setPreloads([a, b])
      await applied
      const wc = await session.createWebContents()
      await wc.loadURL(server.url('/empty.html'))
      const host = new URL(server.origin).host
      expect(await wc.executeJavaScript('window.__order')).toEqual([`a:${host}`, `b:${host}`])

      const foreign = await other.createWebContents()
      await foreign.loadURL(server.url('/empty.html'))
      expect(await foreign.executeJavaScript('window.__order ?? null')).toBeNull()

      const cleared = updated(session)
      session.setPreloads([])
      await cleared
      expect(session.getPreloads()).toEqual([])
      await wc.loadURL(server.url('/empty.html?again'))
      expect(await wc.executeJavaScript('window.__order ?? null')).toBeNull()
    } finally {
      await other.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a preload that throws does not stop the page from running', async ({ session, server }) => {
    const dir = mkdtempSync(join(tmpdir(), 'preload-'))
    try {
      const file = join(dir, 'bad.js')
      writeFileSync(file, `throw new Error('preload broke')`)
      const applied = updated(session)
      session.setPreloads([file])
      await applied
      server.setContent('/runs.html', `<script>window.pageRan = true</script>`)
      const wc = await session.createWebContents()
      await wc.loadURL(server.url('/runs.html'))
      expect(await wc.executeJavaScript('window.pageRan')).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
