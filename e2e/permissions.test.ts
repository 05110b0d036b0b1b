import { ValidationError, type Browser, type PermissionName, type PermissionRequestDetails, type Session, type WebContents } from 'cdp-session'
import { onTestFinished } from 'vitest'
import { describe, expect, launchTestBrowser, test as base } from './fixtures/test.js'
import type { TestServer } from './fixtures/server.js'

// getUserMedia needs a capture device: Chromium's fake one. No fake *UI*
// (--use-fake-ui-for-media-stream would accept every prompt): the decision must be the handler's.
const test = base.extend<{ browser: Browser }>({
  browser: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use: (browser: Browser) => Promise<void>) => {
      const browser = await launchTestBrowser({ args: ['--use-fake-device-for-media-stream'] })
      await use(browser)
      await browser.close()
    },
    { scope: 'file' },
  ],
})

const ALLOW = 'geolocation; camera; microphone; midi; clipboard-read; clipboard-write; window-management; idle-detection; storage-access; fullscreen'

// A frame that runs what its parent posts (after taking focus: the clipboard wants a focused
// document) and posts back the outcome.
const FRAME_PAGE = `<!doctype html><body><script>addEventListener('message', async (e) => {
  if (!e.data || e.data.code === undefined) return
  let value
  try { window.focus(); value = await (0, eval)(e.data.code) } catch (error) { value = 'threw ' + error }
  parent.postMessage({ id: e.data.id, value }, '*')
})</script></body>`
// Besides eval, the worker has fixed commands: eval compiles a script, which a worker that never
// compiles one again does not do (the handler-set-later test must not depend on that).
const WORKER_SCRIPT = `const commands = {
  geolocation: () => navigator.permissions.query({ name: 'geolocation' }).then((s) => s.state),
  notification: () => Notification.permission,
}
onmessage = async (e) => {
  let value
  try { value = await (e.data.command ? commands[e.data.command]() : (0, eval)(e.data.code)) } catch (error) { value = 'threw ' + error }
  postMessage({ id: e.data.id, value })
}`

// The top page: a same-site and a cross-site (other site: an OOPIF) iframe, both allowed every feature,
// and a dedicated worker; inFrame(i, code) and inWorker(code) run code there.
function topPage(crossOrigin: string): string {
  return `<!doctype html><body><script>
let seq = 0
const waiting = new Map()
addEventListener('message', (e) => { const r = waiting.get(e.data && e.data.id); if (r) { waiting.delete(e.data.id); r(e.data.value) } })
window.inFrame = (index, code) => new Promise((resolve) => {
  const id = ++seq
  waiting.set(id, resolve)
  document.querySelectorAll('iframe')[index].focus()
  frames[index].postMessage({ id, code }, '*')
})
let worker
window.inWorker = (code, command) => new Promise((resolve) => {
  worker ||= new Worker('/perm/worker.js')
  const id = ++seq
  const listener = (e) => { if (e.data.id === id) { worker.removeEventListener('message', listener); resolve(e.data.value) } }
  worker.addEventListener('message', listener)
  worker.postMessage({ id, code, command })
})
window.framesLoaded = Promise.all([...document.querySelectorAll('iframe')].map((f) => new Promise((r) => f.addEventListener('load', r))))
</script>
<iframe allow="${ALLOW}" src="/perm/frame.html"></iframe>
<iframe allow="${ALLOW}" src="${crossOrigin}/perm/frame.html"></iframe>
</body>`
}

function serve(server: TestServer): void {
  server.setContent('/perm/top.html', topPage(server.crossOrigin))
  server.setContent('/perm/frame.html', FRAME_PAGE)
  server.setContent('/perm/worker.js', WORKER_SCRIPT, 'text/javascript')
}

type FrameKind = 'main frame' | 'same-site iframe' | 'cross-site iframe'
const FRAMES: FrameKind[] = ['main frame', 'same-site iframe', 'cross-site iframe']

async function openTop(session: Session, server: TestServer): Promise<WebContents> {
  const wc = await session.createWebContents()
  await wc.loadURL(server.url('/perm/top.html'))
  await wc.executeJavaScript('framesLoaded')
  return wc
}

function run(wc: WebContents, frame: FrameKind | 'worker', code: string): Promise<unknown> {
  if (frame === 'main frame') return wc.executeJavaScript(code)
  if (frame === 'worker') return wc.executeJavaScript(`inWorker(${JSON.stringify(code)})`)
  return wc.executeJavaScript(`inFrame(${frame === 'same-site iframe' ? 0 : 1}, ${JSON.stringify(code)})`)
}

function frameUrl(server: TestServer, frame: FrameKind): string {
  if (frame === 'main frame') return server.url('/perm/top.html')
  return `${frame === 'same-site iframe' ? server.origin : server.crossOrigin}/perm/frame.html`
}

// Every request, as the page sees its outcome: 'granted', or 'denied <error name>: <message>'.
const outcome = (code: string): string =>
  `Promise.resolve().then(() => ${code}).then((v) => v === 'denied' ? 'denied' : 'granted', (e) => 'denied ' + e.name + ': ' + e.message)`

interface Case {
  /** The web API that asks. */
  api: string
  permission: PermissionName
  code: string
  /** Frame kinds where a grant cannot show headless (what Chromium still wants), with the reason. */
  grantNotObservable?: { frames: FrameKind[]; reason: RegExp }
  details?: Partial<PermissionRequestDetails>
}

// A request the page cannot tell from a grant without a device or a user gesture still proves
// the permission passed: geolocation without a position source times out (code 3, not 1), MIDI
// without ALSA fails initialising (InvalidStateError, not NotAllowedError).
const CASES: Case[] = [
  { api: 'getCurrentPosition', permission: 'geolocation', code: `new Promise((r) => navigator.geolocation.getCurrentPosition(() => r('granted'), (e) => r(e.code === 1 ? 'denied' : 'granted'), { timeout: 100 }))` },
  {
    api: 'watchPosition',
    permission: 'geolocation',
    code: `new Promise((r) => { const id = navigator.geolocation.watchPosition(() => { navigator.geolocation.clearWatch(id); r('granted') }, (e) => { navigator.geolocation.clearWatch(id); r(e.code === 1 ? 'denied' : 'granted') }, { timeout: 100 }) })`,
  },
  { api: 'Notification.requestPermission', permission: 'notifications', code: `Notification.requestPermission()` },
  {
    api: 'getUserMedia',
    permission: 'media',
    code: `navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then((s) => { s.getTracks().forEach((t) => t.stop()); return 'granted' })`,
    details: { mediaTypes: ['video', 'audio'] },
  },
  { api: 'requestMIDIAccess', permission: 'midi', code: `navigator.requestMIDIAccess().catch((e) => { if (e.name === 'InvalidStateError') return 'granted'; throw e })` },
  { api: 'requestMIDIAccess({ sysex })', permission: 'midiSysex', code: `navigator.requestMIDIAccess({ sysex: true }).catch((e) => { if (e.name === 'InvalidStateError') return 'granted'; throw e })` },
  { api: 'readText', permission: 'clipboard-read', code: `navigator.clipboard.readText()` },
  {
    api: 'writeText',
    permission: 'clipboard-sanitized-write',
    code: `navigator.clipboard.writeText('x')`,
    grantNotObservable: { frames: ['cross-site iframe'], reason: /Write permission denied/ },
  },
  { api: 'getScreenDetails', permission: 'window-management', code: `getScreenDetails()` },
  { api: 'IdleDetector.requestPermission', permission: 'idle-detection', code: `IdleDetector.requestPermission()`, grantNotObservable: { frames: ['cross-site iframe'], reason: /user gesture/ } },
  { api: 'requestStorageAccess', permission: 'storage-access', code: `document.requestStorageAccess()` },
  {
    api: 'requestPointerLock',
    permission: 'pointerLock',
    code: `document.body.requestPointerLock().then(() => { document.exitPointerLock(); return 'granted' })`,
    grantNotObservable: { frames: ['cross-site iframe'], reason: /user gesture/ },
  },
  {
    api: 'requestFullscreen',
    permission: 'fullscreen',
    code: `document.documentElement.requestFullscreen().then(() => document.exitFullscreen()).then(() => 'granted')`,
    grantNotObservable: { frames: ['cross-site iframe'], reason: /Permissions check failed/ },
  },
]

interface Asked {
  webContents: WebContents | null
  permission: string
  details: PermissionRequestDetails
}

/** A handler that answers from a list (one answer per request), after `delayMs` when given. */
function scripted(answers: boolean[], delayMs = 0): { handler: Parameters<Session['setPermissionRequestHandler']>[0]; asked: Asked[] } {
  const asked: Asked[] = []
  return {
    asked,
    handler: (webContents, permission, callback, details) => {
      asked.push({ webContents, permission, details })
      const answer = answers[asked.length - 1] ?? false
      if (delayMs) setTimeout(() => callback(answer), delayMs)
      else callback(answer)
    },
  }
}

describe('ses.setPermissionRequestHandler', () => {
  const table = CASES.flatMap((c) => FRAMES.flatMap((frame) => (['before', 'after'] as const).map((when) => ({ ...c, frame, when }))))
  test.for(table)('$permission ($api) from the $frame, handler set $when the page: deny, then ask again and grant', async ({ permission, code, frame, when, grantNotObservable, details }, { session, server }) => {
    serve(server)
    const { handler, asked } = scripted([false, true])
    let wc: WebContents
    if (when === 'before') {
      await session.setPermissionRequestHandler(handler)
      wc = await openTop(session, server)
    } else {
      wc = await openTop(session, server)
      await session.setPermissionRequestHandler(handler)
    }
    const first = await run(wc, frame, outcome(code))
    expect(first).toMatch(/^denied/)
    const second = (await run(wc, frame, outcome(code))) as string
    if (grantNotObservable?.frames.includes(frame)) expect(second).toMatch(grantNotObservable.reason)
    else expect(second).toBe('granted')
    // Each request asked the handler: the denial was not remembered.
    expect(asked.map((a) => a.permission)).toEqual([permission, permission])
    for (const a of asked) {
      expect(a.webContents).toBe(wc)
      expect(a.details).toMatchObject({ requestingUrl: frameUrl(server, frame), isMainFrame: frame === 'main frame', ...details })
    }
  })

  test.for(CASES)('$permission ($api): the page waits for an answer given seconds later', async ({ code }, { session, server }) => {
    serve(server)
    const { handler, asked } = scripted([true], 1500)
    await session.setPermissionRequestHandler(handler)
    const wc = await openTop(session, server)
    expect(await run(wc, 'main frame', outcome(code))).toBe('granted')
    expect(asked).toHaveLength(1)
  })

  const silentOrThrowing: Array<{ name: string; handler: () => void }> = [
    {
      name: 'throws',
      handler: () => {
        throw new Error('handler bug')
      },
    },
    { name: 'never answers', handler: () => undefined },
  ]
  test.for(silentOrThrowing)('a handler that $name denies, the page settles, and a process warning says why', { timeout: 40_000 }, async ({ name, handler }, { session, server }) => {
    serve(server)
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(warning)
    }
    process.on('warning', onWarning)
    onTestFinished(() => {
      process.off('warning', onWarning)
    })
    await session.setPermissionRequestHandler(handler)
    const wc = await openTop(session, server)
    // A handler that never calls back is given up on after 10 s (REQUEST_TIMEOUT_MS).
    const [notification, media] = await Promise.all([
      run(wc, 'main frame', outcome(`Notification.requestPermission()`)),
      run(wc, 'cross-site iframe', outcome(`navigator.mediaDevices.getUserMedia({ video: true })`)),
    ])
    expect(notification).toBe('denied')
    expect(media).toMatch(/^denied NotAllowedError/)
    await expect.poll(() => warnings.filter((w) => (w as Error & { code?: string }).code === 'CDP_SESSION_PERMISSION_HANDLER').map((w) => w.message)).toEqual([
      expect.stringMatching(name === 'throws' ? /handler threw for '(notifications|media)'.*handler bug.*denied/ : /did not call back within 10000 ms.*denied/),
    ])
  })

  test('a sandboxed iframe (opaque origin, no setting possible) still gets an answer', async ({ session, server }) => {
    serve(server)
    server.setContent('/perm/sandboxed.html', topPage(server.crossOrigin).replace('<iframe allow', '<iframe sandbox="allow-scripts" allow'))
    const { handler, asked } = scripted([true])
    await session.setPermissionRequestHandler(handler)
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/perm/sandboxed.html'))
    await wc.executeJavaScript('framesLoaded')
    expect(await run(wc, 'same-site iframe', outcome(`navigator.mediaDevices.getUserMedia({ video: true })`))).toMatch(/^(granted|denied)/)
    expect(asked.map((a) => [a.permission, a.details.requestingUrl])).toEqual([['media', server.url('/perm/frame.html')]])
  })

  test('with no handler every request is granted (Electron\'s default); null restores it', async ({ session, server }) => {
    serve(server)
    const fresh = await openTop(session, server)
    expect(await run(fresh, 'main frame', outcome(`Notification.requestPermission()`))).toBe('granted')
    expect(await run(fresh, 'cross-site iframe', outcome(`navigator.mediaDevices.getUserMedia({ video: true })`))).toBe('granted')
    await session.setPermissionRequestHandler((_wc, _p, callback) => callback(false))
    expect(await run(fresh, 'main frame', outcome(`Notification.requestPermission()`))).toBe('denied')
    await session.setPermissionRequestHandler(null)
    expect(await run(fresh, 'main frame', outcome(`Notification.requestPermission()`))).toBe('granted')
    const later = await openTop(session, server)
    expect(await run(later, 'same-site iframe', outcome(`getScreenDetails()`))).toBe('granted')
  })

  test('sessions are isolated: same origin, one session grants, the other denies', async ({ browser, session, server }) => {
    serve(server)
    const other = browser.session.fromPartition(`perm-other-${process.pid}-${Date.now()}`)
    try {
      await session.setPermissionRequestHandler((_wc, _p, callback) => callback(true))
      await other.setPermissionRequestHandler((_wc, _p, callback) => callback(false))
      const [mine, theirs] = await Promise.all([openTop(session, server), openTop(other, server)])
      const code = outcome(`navigator.mediaDevices.getUserMedia({ video: true }).then((s) => { s.getTracks().forEach((t) => t.stop()); return 'granted' })`)
      const answers = await Promise.all([run(mine, 'main frame', code), run(theirs, 'main frame', code), run(mine, 'cross-site iframe', code), run(theirs, 'cross-site iframe', code)])
      expect(answers.map((a) => String(a).split(' ')[0])).toEqual(['granted', 'denied', 'granted', 'denied'])
    } finally {
      await other.close()
    }
  })

  test('the shim does not show: wrapped functions look native, window gains no enumerable property', async ({ browser, session, server }) => {
    serve(server)
    const plain = browser.session.fromPartition(`perm-plain-${process.pid}-${Date.now()}`)
    try {
      await session.setPermissionRequestHandler((_wc, _p, callback) => callback(true))
      const probe = `JSON.stringify({
        keys: Object.keys(window).sort(),
        fns: [navigator.geolocation.getCurrentPosition, Notification.requestPermission, navigator.mediaDevices.getUserMedia, Permissions.prototype.query, Function.prototype.toString]
          .map((f) => [f.name, f.length, Function.prototype.toString.call(f), String(f), 'prototype' in f]),
        notification: Object.getOwnPropertyDescriptor(Notification, 'permission').get.toString(),
      })`
      const [shimmed, unshimmed] = await Promise.all([openTop(session, server), openTop(plain, server)])
      expect(JSON.parse((await shimmed.executeJavaScript(probe)) as string)).toEqual(JSON.parse((await unshimmed.executeJavaScript(probe)) as string))
    } finally {
      await plain.close()
    }
  })

  test.for([{ value: 'grant' }, { value: 42 }, { value: {} }])('a non-function handler ($value) → ValidationError naming the argument', ({ value }, { session }) => {
    expect(() => session.setPermissionRequestHandler(value as never)).toThrow(ValidationError)
    expect(() => session.setPermissionRequestHandler(value as never)).toThrow(/setPermissionRequestHandler: argument 'handler' .*expected a function or null/)
    expect(() => session.setPermissionCheckHandler(value as never)).toThrow(/setPermissionCheckHandler: argument 'handler'/)
  })
})

// permissions.query names → the Electron permission the check handler receives.
const QUERIES: Array<{ name: string; permission: PermissionName; mediaType?: string; worker: boolean }> = [
  { name: 'geolocation', permission: 'geolocation', worker: true },
  { name: 'notifications', permission: 'notifications', worker: true },
  { name: 'camera', permission: 'media', mediaType: 'video', worker: true },
  { name: 'microphone', permission: 'media', mediaType: 'audio', worker: true },
  { name: 'midi', permission: 'midi', worker: true },
  { name: 'clipboard-read', permission: 'clipboard-read', worker: false },
  { name: 'clipboard-write', permission: 'clipboard-sanitized-write', worker: false },
  { name: 'window-management', permission: 'window-management', worker: false },
  { name: 'idle-detection', permission: 'idle-detection', worker: false },
  { name: 'storage-access', permission: 'storage-access', worker: false },
]

describe('ses.setPermissionCheckHandler', () => {
  const table = QUERIES.flatMap((q) => [...FRAMES, ...(q.worker ? (['worker'] as const) : [])].map((frame) => ({ ...q, frame })))
  test.for(table)('permissions.query($name) in the $frame asks the handler, live', async ({ name, permission, mediaType, frame }, { session, server }) => {
    serve(server)
    const seen: Array<{ permission: string; origin: string; details: Record<string, unknown>; webContents: unknown }> = []
    let answer = false
    const url = frame === 'worker' ? server.url('/perm/worker.js') : frameUrl(server, frame)
    await session.setPermissionCheckHandler((webContents, p, origin, details) => {
      if (p === permission && details.requestingUrl === url) seen.push({ permission: p, origin, details: { ...details }, webContents })
      return answer
    })
    const wc = await openTop(session, server)
    const query = `navigator.permissions.query({ name: ${JSON.stringify(name)} }).then((s) => s.state)`
    expect(await run(wc, frame, query)).toBe('denied')
    answer = true
    expect(await run(wc, frame, query)).toBe('granted')
    // A new handler decides the next query of the same document.
    await session.setPermissionCheckHandler(() => false)
    expect(await run(wc, frame, query)).toBe('denied')
    const origin = frame === 'cross-site iframe' ? server.crossOrigin : server.origin
    // (Each document's Notification.permission is decided by the same handler: 'notifications' sees more calls.)
    if (permission === 'notifications') expect(seen.length).toBeGreaterThanOrEqual(2)
    else expect(seen).toHaveLength(2)
    expect(seen[0]).toMatchObject({
      origin,
      webContents: wc,
      details: { securityOrigin: origin, isMainFrame: frame === 'main frame', ...(frame === 'worker' ? {} : { embeddingOrigin: server.origin }), ...(mediaType ? { mediaType } : {}) },
    })
  })

  test.for(['main frame', 'cross-site iframe', 'worker'] as const)('Notification.permission in the %s follows the handler, live', async (frame, { session, server }) => {
    serve(server)
    await session.setPermissionCheckHandler((_wc, p) => p !== 'notifications')
    const wc = await openTop(session, server)
    const read = 'Notification.permission'
    expect(await run(wc, frame, read)).toBe('denied')
    await session.setPermissionCheckHandler(() => true)
    expect(await run(wc, frame, read)).toBe('granted')
    await session.setPermissionCheckHandler(null)
    expect(await run(wc, frame, read)).toBe('granted')
  })

  test('a worker that already runs asks a handler set after it started', async ({ session, server }) => {
    serve(server)
    const wc = await openTop(session, server)
    const command = (name: string): Promise<unknown> => wc.executeJavaScript(`inWorker(undefined, ${JSON.stringify(name)})`)
    expect(await command('geolocation')).toBe('granted')
    await session.setPermissionCheckHandler(() => false)
    expect(await command('geolocation')).toBe('denied')
    expect(await command('notification')).toBe('denied')
  })

  test('a service worker asks the handler too, with no webContents', async ({ session, server }) => {
    server.setContent(
      '/perm/sw.js',
      `self.addEventListener('install', (e) => e.waitUntil(self.skipWaiting()))
self.addEventListener('message', (e) => {
  e.waitUntil(navigator.permissions.query({ name: 'notifications' }).then((s) => e.source.postMessage({ state: s.state, permission: Notification.permission })))
})`,
      'text/javascript',
    )
    server.setContent('/perm/sw.html', '<!doctype html><p>service worker</p>')
    const seen: Array<{ webContents: unknown; requestingUrl: string }> = []
    await session.setPermissionCheckHandler((webContents, permission, _origin, details) => {
      if (permission === 'notifications' && details.requestingUrl.endsWith('/perm/sw.js')) seen.push({ webContents, requestingUrl: details.requestingUrl })
      return false
    })
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/perm/sw.html'))
    const report = await wc.executeJavaScript(`(async () => {
      const registration = await navigator.serviceWorker.register('/perm/sw.js', { scope: '/perm/' })
      const worker = registration.installing || registration.waiting || registration.active
      return new Promise((resolve) => {
        navigator.serviceWorker.addEventListener('message', (e) => resolve(e.data), { once: true })
        worker.postMessage('report')
      })
    })()`)
    expect(report).toEqual({ state: 'denied', permission: 'denied' })
    expect(seen.length).toBeGreaterThanOrEqual(1)
    expect(seen[0]).toEqual({ webContents: null, requestingUrl: server.url('/perm/sw.js') })
  })

  test('with no check handler every check is granted', async ({ session, server }) => {
    serve(server)
    await session.setPermissionRequestHandler((_wc, _p, callback) => callback(false))
    const wc = await openTop(session, server)
    expect(await run(wc, 'main frame', `navigator.permissions.query({ name: 'geolocation' }).then((s) => s.state)`)).toBe('granted')
  })

  test('sessions are isolated: same origin, different answers', async ({ browser, session, server }) => {
    serve(server)
    const other = browser.session.fromPartition(`perm-check-other-${process.pid}-${Date.now()}`)
    try {
      await session.setPermissionCheckHandler(() => true)
      await other.setPermissionCheckHandler(() => false)
      const [mine, theirs] = await Promise.all([openTop(session, server), openTop(other, server)])
      const query = `navigator.permissions.query({ name: 'camera' }).then((s) => s.state)`
      expect(await Promise.all([run(mine, 'worker', query), run(theirs, 'worker', query), run(mine, 'main frame', 'Notification.permission'), run(theirs, 'main frame', 'Notification.permission')])).toEqual([
        'granted',
        'denied',
        'granted',
        'denied',
      ])
    } finally {
      await other.close()
    }
  })
})
