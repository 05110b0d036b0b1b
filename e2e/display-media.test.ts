// ses.setDisplayMediaRequestHandler: the handler is asked for each getDisplayMedia() of a frame of
// the session, with Electron's request; what its callback gives decides the page's call as in
// Electron. A headless Chromium has something to capture only with its fake capture switches, so
// the file's browser is launched with them (they also accept Chromium's own media prompts, which
// no test here relies on: every decision is the handler's).
import type { Browser, DisplayMediaRequest, DisplayMediaStreams, HandlerErrorDetails, WebContents } from 'cdp-session'
import { ValidationError } from 'cdp-session'
import { describe, expect, launchTestBrowser, test as base } from './fixtures/test.js'

const test = base.extend<{ browser: Browser }>({
  browser: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use: (browser: Browser) => Promise<void>) => {
      const browser = await launchTestBrowser({ args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] })
      await use(browser)
      await browser.close()
    },
    { scope: 'file' },
  ],
})

const CELL = { timeout: 20_000 }

/** getDisplayMedia in the page (with a user gesture): its tracks, or the DOMException it rejected with. */
function capture(wc: WebContents, constraints = '{ video: true }'): Promise<string> {
  return wc.executeJavaScript(
    `navigator.mediaDevices.getDisplayMedia(${constraints}).then((s) => { const kinds = s.getTracks().map((t) => t.kind).sort().join(','); s.getTracks().forEach((t) => t.stop()); return 'stream ' + kinds }, (e) => e.name + ': ' + e.message)`,
    true,
  ) as Promise<string>
}

describe('ses.setDisplayMediaRequestHandler', () => {
  base('a granted request in a browser with nothing to capture (no fake capture switches) fails with AbortError after 10 s instead of waiting forever', { timeout: 30_000 }, async ({ session, server }) => {
    server.setContent('/dm/page.html', '<!doctype html><title>dm</title>')
    await session.setDisplayMediaRequestHandler((_request, callback) => callback({ video: { id: 'screen:0:0', name: 'Entire screen' } }))
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/dm/page.html'))
    const started = Date.now()
    expect(await capture(wc)).toBe('AbortError: Error starting capture')
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_500)
  })

  test('the handler gets Electron’s request; a source grants Chromium’s capture, null fails it with AbortError', CELL, async ({ session, server }) => {
    server.setContent('/dm/page.html', '<!doctype html><title>dm</title>')
    const requests: DisplayMediaRequest[] = []
    const answers: Array<DisplayMediaStreams | null> = [{ video: { id: 'screen:0:0', name: 'Entire screen' } }, null, { video: { id: 'screen:0:0', name: 'Entire screen' }, audio: 'loopback' }]
    await session.setDisplayMediaRequestHandler((request, callback) => {
      requests.push(request)
      callback(answers[requests.length - 1])
    })
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/dm/page.html'))
    expect(await capture(wc)).toBe('stream video')
    expect(requests[0]).toEqual({ frame: null, securityOrigin: server.origin, videoRequested: true, audioRequested: false, userGesture: true })
    expect(await capture(wc)).toBe('AbortError: Error starting capture')
    expect(await capture(wc, '{ video: true, audio: true }')).toMatch(/^stream /)
    expect(requests[2]).toMatchObject({ videoRequested: true, audioRequested: true })
  })

  test('without a display handler (a permission handler set) getDisplayMedia rejects at once with NotSupportedError, as in Electron; null removes the handler', CELL, async ({ session, server }) => {
    server.setContent('/dm/page.html', '<!doctype html><title>dm</title>')
    await session.setPermissionRequestHandler((_wc, _permission, callback) => callback(true))
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/dm/page.html'))
    expect(await capture(wc)).toBe('NotSupportedError: Not supported')
    let asked = 0
    await session.setDisplayMediaRequestHandler((_request, callback) => {
      asked++
      callback({ video: { id: 'screen:0:0', name: 'Entire screen' } })
    })
    expect(await capture(wc)).toBe('stream video')
    await session.setDisplayMediaRequestHandler(null)
    expect(await capture(wc)).toBe('NotSupportedError: Not supported')
    expect(asked).toBe(1)
  })

  test('a callback Electron refuses throws its TypeError text and fails the capture; a handler that throws fails it and is reported', CELL, async ({ session, server }) => {
    server.setContent('/dm/page.html', '<!doctype html><title>dm</title>')
    const thrown: string[] = []
    const answers: unknown[] = ['x', {}, { video: 'screen' }, { video: { id: 'screen:0:0', name: 'Entire screen' }, audio: 42 }]
    let call = 0
    await session.setDisplayMediaRequestHandler((_request, callback) => {
      const answer = answers[call++]
      if (answer === undefined) throw new Error('handler bug')
      try {
        callback(answer as never)
      } catch (error) {
        thrown.push((error as Error).message)
      }
    })
    const reports: HandlerErrorDetails[] = []
    session.on('handler-error', (_error, details) => reports.push(details))
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/dm/page.html'))
    for (let i = 0; i < 5; i++) expect(await capture(wc, '{ video: true, audio: true }')).toBe('AbortError: Error starting capture')
    expect(thrown).toEqual([
      'Display Media Request streams callback must be called with null or a valid object',
      'Video was requested, but no video stream was provided',
      'video must be a WebFrameMain or DesktopCapturerSource',
      'audio must be a WebFrameMain, "loopback" or "loopbackWithMute"',
    ])
    expect(reports).toEqual([{ handler: 'display-media', fault: 'threw', url: server.url('/dm/page.html'), outcome: 'capture failed' }])
  })

  test('bad input: Electron’s message for a handler that is not a function; useSystemPicker is ignored with a warning', CELL, async ({ session }) => {
    let error: unknown
    try {
      void session.setDisplayMediaRequestHandler('nope' as never)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as Error).message).toBe('Display media request handler must be null or a function')
    const warnings: string[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(warning.message)
    }
    process.on('warning', onWarning)
    try {
      await session.setDisplayMediaRequestHandler(() => undefined, { useSystemPicker: true })
      await new Promise<void>((resolve) => setImmediate(resolve))
      expect(warnings.some((w) => w.includes('useSystemPicker'))).toBe(true)
    } finally {
      process.off('warning', onWarning)
    }
  })
})
