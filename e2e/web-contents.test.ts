import { NavigationError, TargetClosedError, ValidationError, webContents } from 'cdp-session'
import { closedPort, describe, expect, test } from './fixtures/test.js'

describe('webContents', () => {
  test('loadURL resolves on load and getURL follows navigation', async ({ session, server }) => {
    server.setContent('/page.html', '<title>t</title><script>window.ran = 1</script>')
    const wc = await session.createWebContents()
    expect(wc.getURL()).toBe('about:blank')
    let finished = 0
    wc.on('did-finish-load', () => finished++)
    await wc.loadURL(server.url('/page.html'))
    expect(finished).toBe(1)
    expect(wc.getURL()).toBe(server.url('/page.html'))
    expect(await wc.executeJavaScript('window.ran')).toBe(1)
    await wc.executeJavaScript('location.hash = "#x"')
    await expect.poll(() => wc.getURL()).toBe(server.url('/page.html#x'))
  })

  test('dom-ready, did-navigate and did-navigate-in-page fire for the main frame', async ({ session, server }) => {
    server.setContent('/nav.html', '<title>nav</title>')
    const wc = await session.createWebContents()
    const seen: string[] = []
    wc.on('dom-ready', () => seen.push('dom-ready'))
    wc.on('did-navigate', (_e, url) => seen.push(`did-navigate ${url}`))
    wc.on('did-navigate-in-page', (_e, url, isMainFrame) => seen.push(`in-page ${url} ${String(isMainFrame)}`))
    wc.on('did-finish-load', () => seen.push('did-finish-load'))
    await wc.loadURL(server.url('/nav.html'))
    expect(seen).toEqual([`did-navigate ${server.url('/nav.html')}`, 'dom-ready', 'did-finish-load'])
    seen.length = 0
    await wc.executeJavaScript(`history.pushState({}, '', '/nav.html?pushed')`)
    await expect.poll(() => seen).toEqual([`in-page ${server.url('/nav.html?pushed')} true`])
  })

  test('loadURL rejects like Electron on a network error', async ({ session }) => {
    const wc = await session.createWebContents()
    const failures: Array<[number, string]> = []
    wc.on('did-fail-load', (_e, code, description) => failures.push([code, description]))
    const url = `http://127.0.0.1:${await closedPort()}/`
    const error = await wc.loadURL(url).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NavigationError)
    expect((error as NavigationError).message).toBe(`ERR_CONNECTION_REFUSED (-102) loading '${url}'`)
    expect((error as NavigationError).errorCode).toBe(-102)
    expect(failures).toEqual([[-102, 'ERR_CONNECTION_REFUSED']])
    await expect(wc.loadURL('not a url')).rejects.toBeInstanceOf(ValidationError)
  })

  test('executeJavaScript awaits promises, reports exceptions and runs with a user gesture', async ({ session, server }) => {
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/empty.html'))
    expect(await wc.executeJavaScript('new Promise(r => setTimeout(() => r({ a: [1, 2] }), 20))')).toEqual({ a: [1, 2] })
    await expect(wc.executeJavaScript('throw new TypeError("boom")')).rejects.toThrow(/TypeError: boom/)
    expect(await wc.executeJavaScript('navigator.userActivation.isActive')).toBe(true)
  })

  test('reload re-requests the document; close destroys it', async ({ session, server }) => {
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/empty.html'))
    const again = server.waitForRequest('/empty.html')
    const loaded = new Promise<void>((resolve) => wc.once('did-finish-load', () => resolve()))
    await wc.reload()
    await again
    await loaded
    let destroyed = false
    wc.on('destroyed', () => (destroyed = true))
    expect(webContents.fromId(wc.id)).toBe(wc)
    await wc.close()
    expect(destroyed).toBe(true)
    expect(wc.isDestroyed()).toBe(true)
    expect(webContents.fromId(wc.id)).toBeUndefined()
    await expect(wc.executeJavaScript('1')).rejects.toBeInstanceOf(TargetClosedError)
  })

  test('popups (with and without opener, target=_blank) become WebContents of the same session', async ({ browser, session, server }) => {
    server.setContent('/popup.html', '<title>popup</title>')
    server.setContent('/opener.html', `<a id="a" target="_blank" href="/popup.html?blank">x</a>`)
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/opener.html'))
    const created: number[] = []
    browser.on('web-contents-created', (_e, popup) => created.push(popup.id))
    await wc.executeJavaScript(`void window.open('/popup.html?opener')`)
    await wc.executeJavaScript(`void window.open('/popup.html?noopener', '_blank', 'noopener')`)
    await wc.executeJavaScript(`document.getElementById('a').click()`)
    await expect.poll(() => session.getAllWebContents().length).toBe(4)
    const popups = session.getAllWebContents().filter((p) => p !== wc)
    for (const popup of popups) {
      expect(popup.session).toBe(session)
      expect(webContents.fromId(popup.id)).toBe(popup)
    }
    await expect.poll(() => popups.map((p) => new URL(p.getURL()).search).sort()).toEqual(['?blank', '?noopener', '?opener'])
    expect(created.sort()).toEqual(popups.map((p) => p.id).sort())
  })

  test('render-process-gone fires when the renderer crashes', async ({ session, server }) => {
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/empty.html'))
    const gone = new Promise<string>((resolve) => wc.once('render-process-gone', (_e, details) => resolve(details.reason)))
    wc.loadURL('chrome://crash').catch(() => undefined)
    expect(await gone).toBe('crashed')
  })
})
