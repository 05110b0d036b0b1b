// Faults that must not leave anything hanging (issue #19): the browser process killed with calls
// in flight, and a renderer that crashes under a page with calls in flight.
import { BrowserClosedError, CdpSessionError, SessionClosedError, TargetClosedError } from 'cdp-session'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'

describe('the browser dies', () => {
  test('SIGKILL with 50 calls in flight: every call rejects within 1 s with BrowserClosedError, disconnected fires, later calls reject at once, close() is a no-op', async ({ server }) => {
    // A route that never answers keeps loadURL pending until the browser is gone.
    server.setRoute('/hang', () => undefined)
    const browser = await launchTestBrowser()
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason)
    }
    process.on('unhandledRejection', onUnhandled)
    try {
      const sessions = [browser.session.fromPartition('die-a'), browser.session.fromPartition('die-b')]
      const pages = await Promise.all(sessions.map((s) => s.createWebContents()))
      await Promise.all(pages.map((p) => p.loadURL(server.url('/empty.html'))))
      const disconnected = new Promise<void>((resolve) => browser.once('disconnected', resolve))
      const calls: Array<Promise<unknown>> = []
      for (let i = 0; i < 10; i++) {
        for (const [n, session] of sessions.entries()) {
          const page = pages[n]!
          calls.push(session.cookies.get({}))
          calls.push(page.executeJavaScript('new Promise(() => {})'))
          if (i < 3) calls.push(page.loadURL(server.url(`/hang?${i}`)))
          else calls.push(session.clearStorageData())
          if (i < 2) calls.push(session.setProxy({ proxyRules: 'direct://' }))
        }
      }
      expect(calls.length).toBeGreaterThanOrEqual(50)
      const settled = calls.map((call) =>
        call.then(
          () => ({ ok: true as const, at: performance.now() }),
          (error: unknown) => ({ ok: false as const, error, at: performance.now() }),
        ),
      )
      // Let the calls reach Chromium, then kill it.
      await new Promise((resolve) => setTimeout(resolve, 300))
      const killedAt = performance.now()
      process.kill(browser.pid!, 'SIGKILL')
      const results = await Promise.all(settled)
      await disconnected
      const failed = results.filter((r) => !r.ok)
      // Calls Chromium had already answered before the kill may have resolved; every other one
      // rejected, typed, within a second of the kill.
      const lateOrUntyped = failed.filter((r) => !('error' in r) || !(r.error instanceof CdpSessionError) || r.at - killedAt > 1_000)
      expect(lateOrUntyped).toEqual([])
      expect(failed.length).toBeGreaterThanOrEqual(40)
      expect(failed.filter((r) => 'error' in r && r.error instanceof BrowserClosedError).length).toBeGreaterThanOrEqual(30)
      // After the browser is gone: calls reject at once, close() resolves.
      await expect(sessions[0]!.cookies.get({})).rejects.toBeInstanceOf(BrowserClosedError)
      await expect(pages[1]!.executeJavaScript('1')).rejects.toBeInstanceOf(CdpSessionError)
      expect(() => browser.session.fromPartition('die-new')).toThrow(SessionClosedError)
      await expect(browser.close()).resolves.toBeUndefined()
      await expect(browser.close()).resolves.toBeUndefined()
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
      await browser.close()
    }
  })
})

describe('a renderer dies', () => {
  test("render-process-gone, the page's pending calls settle, and the session keeps working for new pages", async ({ session, server }) => {
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/empty.html'))
    const pending = wc.executeJavaScript('new Promise(() => {})').then(
      () => 'resolved',
      (error: unknown) => (error instanceof TargetClosedError ? 'TargetClosedError' : String(error)),
    )
    const gone = new Promise<string>((resolve) => wc.once('render-process-gone', (_e, details) => resolve(details.reason)))
    wc.loadURL('chrome://crash').catch(() => undefined)
    expect(await gone).toBe('crashed')
    expect(await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve('still pending after 5 s'), 5_000))])).toBe('TargetClosedError')
    // The crashed page itself can be loaded again (a new renderer), as in Electron.
    await wc.loadURL(server.url('/empty.html'))
    expect(await wc.executeJavaScript('2 + 2')).toBe(4)
    const next = await session.createWebContents()
    await next.loadURL(server.url('/empty.html'))
    expect(await next.executeJavaScript('1 + 1')).toBe(2)
    await session.cookies.set({ url: server.origin, name: 'after', value: 'crash' })
    expect((await session.cookies.get({ name: 'after' })).map((c) => c.value)).toEqual(['crash'])
  })
})
