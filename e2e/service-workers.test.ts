// Service workers of a session: one that is stopped and starts again on the next fetch or message
// (same target, fresh global) keeps working with every session setting;
// and newer Electron's ses.serviceWorkers (running versions, their events, startWorkerForScope).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session, WebContents } from 'cdp-session'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'
import type { TestServer } from './fixtures/server.js'
import { liveTargetsOf } from './fixtures/internals.js'

const CELL = { timeout: 30_000 }

/**
 * The worker answers /sw/report itself: which run of its script answers (a random id set as it
 * starts), how often the session's service-worker preload ran in this global, what it sees of
 * the session (user agent, Notification.permission) and the body of a fetch it makes itself.
 */
const SERVICE_WORKER = String.raw`
const run = Math.random().toString(36).slice(2)
addEventListener('install', (event) => event.waitUntil(skipWaiting()))
addEventListener('activate', (event) => event.waitUntil(clients.claim()))
addEventListener('fetch', (event) => {
  const url = new URL(event.request.url)
  if (url.pathname === '/sw/report') {
    event.respondWith((async () => {
      const inner = await fetch('/sw/inner?run=' + run, { cache: 'no-store' }).then((r) => r.text(), () => 'failed')
      if (url.searchParams.has('cookie')) await cookieStore.set(url.searchParams.get('cookie'), run)
      return new Response(JSON.stringify({ run, preloaded: self.__preloaded ?? 0, ua: navigator.userAgent, notification: Notification.permission, inner }))
    })())
  }
})
`

interface Report {
  run: string
  preloaded: number
  ua: string
  notification: string
  inner: string
}

function serve(server: TestServer): void {
  server.setContent('/sw/page.html', '<!doctype html><title>sw page</title>')
  server.setContent('/sw/worker.js', SERVICE_WORKER, 'text/javascript')
  server.setContent('/sw/inner', 'inner body', 'text/plain', { 'Cache-Control': 'no-store' })
}

/** Opens the page, registers the worker and waits until it controls the page. */
async function controlledPage(session: Session, server: TestServer): Promise<WebContents> {
  const wc = await openSwPage(session, server)
  await wc.executeJavaScript(`navigator.serviceWorker.register('/sw/worker.js', { scope: '/sw/' }).then(() => navigator.serviceWorker.ready).then(() => navigator.serviceWorker.controller ? 1 : new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', () => r(1), { once: true })))`)
  return wc
}

/** The report of the worker that controls the page, or 'timeout' after 8 s (a worker left paused answers nothing). */
function report(wc: WebContents, query = ''): Promise<Report | 'timeout'> {
  return Promise.race([
    wc.executeJavaScript(`fetch('/sw/report${query}').then((r) => r.json())`) as Promise<Report>,
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 8000)),
  ])
}

/** Stops every service worker of the session as Chromium does an idle one, and waits until it has stopped. */
async function stopWorkers(session: Session): Promise<void> {
  const targets = await liveTargetsOf(session)
  const worker = targets.find((t) => t.kind === 'service_worker')
  const page = targets.find((t) => t.kind === 'page')
  if (!worker || !page) throw new Error('no service worker or page target to stop it from')
  const stopped = new Promise<void>((resolve) => worker.client.on('Inspector.targetCrashed', () => resolve()))
  await page.client.send('ServiceWorker.enable')
  await page.client.send('ServiceWorker.stopAllWorkers')
  await stopped
}

describe('a service worker stopped and started again', () => {
  test('it answers the page again, in a fresh global that got the session’s preload, user agent and permission shim; webRequest sees its fetch', CELL, async ({ session, server }) => {
    serve(server)
    const dir = mkdtempSync(join(tmpdir(), 'sw-restart-'))
    try {
      const preload = join(dir, 'count.js')
      writeFileSync(preload, 'self.__preloaded = (self.__preloaded ?? 0) + 1')
      session.registerPreloadScript({ type: 'service-worker', filePath: preload })
      session.setUserAgent('RestartAgent/1.0')
      await session.setPermissionCheckHandler((_wc, permission) => permission !== 'notifications')
      const seen: string[] = []
      session.webRequest.onBeforeRequest({ urls: ['*://*/sw/inner*'] }, (details, callback) => {
        seen.push(details.url)
        callback({})
      })
      const wc = await controlledPage(session, server)
      const first = await report(wc)
      expect(first).toMatchObject({ preloaded: 1, ua: 'RestartAgent/1.0', notification: 'denied', inner: 'inner body' })

      await stopWorkers(session)
      const second = await report(wc)
      expect(second).not.toBe('timeout')
      if (second === 'timeout') return
      expect(second.run).not.toBe((first as Report).run)
      expect(second).toMatchObject({ preloaded: 1, ua: 'RestartAgent/1.0', notification: 'denied', inner: 'inner body' })
      expect(seen.map((url) => new URL(url).searchParams.get('run'))).toEqual([(first as Report).run, second.run])
      // The worker's own request carries the session's user agent in both runs.
      const inner = server.requests.filter((r) => r.path === '/sw/inner')
      expect(inner.map((r) => r.headers['user-agent'])).toEqual(['RestartAgent/1.0', 'RestartAgent/1.0'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a cookie the restarted worker writes is reported by cookies.on(changed)', CELL, async ({ session, server }) => {
    serve(server)
    const changed: string[] = []
    session.cookies.on('changed', (_event, cookie, _cause, removed) => {
      if (!removed) changed.push(`${cookie.name}=${cookie.value}`)
    })
    const wc = await controlledPage(session, server)
    await stopWorkers(session)
    const answer = await report(wc, '?cookie=late')
    expect(answer).not.toBe('timeout')
    if (answer === 'timeout') return
    await expect.poll(() => changed, { timeout: 5000 }).toContain(`late=${answer.run}`)
  })
})

/** A worker that logs as it starts and on each message, and throws on 'throw'. */
const LOGGING_WORKER = String.raw`addEventListener('install', (event) => event.waitUntil(skipWaiting()))
addEventListener('activate', (event) => event.waitUntil(clients.claim()))
console.log('started', 42)
addEventListener('message', (event) => {
  if (event.data === 'throw') setTimeout(() => { throw new Error('boom') })
  else console.warn('got', event.data)
})
`

function serveLogging(server: TestServer): void {
  server.setContent('/sw/page.html', '<!doctype html><title>sw page</title>')
  server.setContent('/sw/logging.js', LOGGING_WORKER, 'text/javascript')
}

/** A page of `session` at /sw/page.html (where the workers' scope /sw/ is). */
async function openSwPage(session: Session, server: TestServer): Promise<WebContents> {
  const wc = await session.createWebContents()
  await wc.loadURL(server.url('/sw/page.html'))
  return wc
}

async function register(wc: WebContents, script: string): Promise<void> {
  await wc.executeJavaScript(`navigator.serviceWorker.register(${JSON.stringify(script)}, { scope: '/sw/' }).then(() => navigator.serviceWorker.ready).then(() => 1)`)
}

describe('ses.serviceWorkers', () => {
  test('getAllRunning, getInfoFromVersionID and the events of a worker that registers, runs and stops', CELL, async ({ session, server }) => {
    serveLogging(server)
    const sw = session.serviceWorkers
    const completed: string[] = []
    const statuses: string[] = []
    sw.on('registration-completed', (_event, details) => completed.push(details.scope))
    sw.on('running-status-changed', (details) => statuses.push(`${details.versionId}:${details.runningStatus}`))
    expect(sw.getAllRunning()).toEqual({})
    const wc = await openSwPage(session, server)
    await register(wc, '/sw/logging.js')
    const scope = server.url('/sw/')
    await expect.poll(() => Object.keys(sw.getAllRunning()).length).toBe(1)
    const [id, info] = Object.entries(sw.getAllRunning())[0]!
    const versionId = Number(id)
    expect(info).toEqual({ scriptUrl: server.url('/sw/logging.js'), scope, renderProcessId: -1, versionId })
    expect(sw.getInfoFromVersionID(versionId)).toEqual(info)
    expect(completed).toEqual([scope])
    expect(statuses.slice(0, 2)).toEqual([`${versionId}:starting`, `${versionId}:running`])
    const main = sw.getWorkerFromVersionID(versionId)
    expect(main).toMatchObject({ versionId, scope, scriptURL: server.url('/sw/logging.js') })
    expect(main?.isDestroyed()).toBe(false)

    await stopWorkers(session)
    await expect.poll(() => statuses.at(-1)).toBe(`${versionId}:stopped`)
    expect(statuses).toEqual([`${versionId}:starting`, `${versionId}:running`, `${versionId}:stopping`, `${versionId}:stopped`])
    expect(sw.getAllRunning()).toEqual({})
    expect(() => sw.getInfoFromVersionID(versionId)).toThrow(/^Could not find service worker with that version_id$/)
    expect(sw.getWorkerFromVersionID(versionId)).toBeUndefined()
  })

  test('console-message: console calls and uncaught errors of the worker, with its version id, level, source and line', CELL, async ({ session, server }) => {
    serveLogging(server)
    const messages: Array<{ message: string; level: number; source: string; sourceUrl: string; lineNumber: number; versionId: number }> = []
    session.serviceWorkers.on('console-message', (event, details) => {
      expect(event.sender).toBe(session.serviceWorkers)
      messages.push(details)
    })
    const wc = await openSwPage(session, server)
    await register(wc, '/sw/logging.js')
    await wc.executeJavaScript(`navigator.serviceWorker.ready.then((r) => { r.active.postMessage('hello'); r.active.postMessage('throw'); return 1 })`)
    await expect.poll(() => messages.length).toBe(3)
    const versionId = Number(Object.keys(session.serviceWorkers.getAllRunning())[0])
    const url = server.url('/sw/logging.js')
    expect(messages).toEqual([
      { message: 'started 42', level: 1, source: 'console-api', sourceUrl: url, lineNumber: 3, versionId },
      { message: 'got hello', level: 2, source: 'console-api', sourceUrl: url, lineNumber: 6, versionId },
      { message: 'Uncaught Error: boom', level: 3, source: 'javascript', sourceUrl: url, lineNumber: 5, versionId },
    ])
  })

  test('startWorkerForScope starts a stopped worker and resolves with it; an unknown scope rejects with Electron’s message', CELL, async ({ session, server }) => {
    serveLogging(server)
    const wc = await openSwPage(session, server)
    await register(wc, '/sw/logging.js')
    await expect.poll(() => Object.keys(session.serviceWorkers.getAllRunning()).length).toBe(1)
    const versionId = Number(Object.keys(session.serviceWorkers.getAllRunning())[0])
    await stopWorkers(session)
    await expect.poll(() => session.serviceWorkers.getAllRunning()).toEqual({})
    const started = await session.serviceWorkers.startWorkerForScope(server.url('/sw/'))
    expect(started).toMatchObject({ versionId, scope: server.url('/sw/'), scriptURL: server.url('/sw/logging.js') })
    expect(Object.keys(session.serviceWorkers.getAllRunning())).toEqual([String(versionId)])
    // It runs (resumed after its restart): it answers a message with a console line.
    const lines: string[] = []
    session.serviceWorkers.on('console-message', (_e, d) => lines.push(d.message))
    await wc.executeJavaScript(`navigator.serviceWorker.ready.then((r) => { r.active.postMessage('again'); return 1 })`)
    await expect.poll(() => lines).toContain('got again')
    await expect(session.serviceWorkers.startWorkerForScope(server.url('/nothing-here/'))).rejects.toThrow(/^Failed to start service worker\.$/)
    await expect(session.serviceWorkers.startWorkerForScope('not a url')).rejects.toThrow(/^Failed to start service worker\.$/)
  })

  test('sessions are apart; when the watching page closes another page of the session takes over', CELL, async ({ browser, session, server }) => {
    serveLogging(server)
    const other = browser.session.fromPartition(`sw-other-${Date.now()}`)
    try {
      await openSwPage(other, server) // the other session has a page on the same origin
      const first = await openSwPage(session, server)
      const second = await openSwPage(session, server)
      await register(first, '/sw/logging.js')
      await expect.poll(() => Object.keys(session.serviceWorkers.getAllRunning()).length).toBe(1)
      expect(other.serviceWorkers.getAllRunning()).toEqual({})
      await first.close()
      // A second registration, made after the first page (the watcher) closed, is still reported.
      server.setContent('/sw2/logging.js', LOGGING_WORKER, 'text/javascript')
      const completed: string[] = []
      session.serviceWorkers.on('registration-completed', (_e, d) => completed.push(d.scope))
      await second.executeJavaScript(`navigator.serviceWorker.register('/sw2/logging.js', { scope: '/sw2/' }).then(() => 1)`)
      await expect.poll(() => completed).toEqual([server.url('/sw2/')])
      await expect.poll(() => Object.values(session.serviceWorkers.getAllRunning()).map((i) => i.scope).sort()).toEqual([server.url('/sw/'), server.url('/sw2/')])
      expect(other.serviceWorkers.getAllRunning()).toEqual({})
    } finally {
      await other.close()
    }
  })

  test('the watching page navigates to another site (another renderer): registrations of the session are still reported', CELL, async ({ session, server }) => {
    serveLogging(server)
    server.setContent('/sw2/logging.js', LOGGING_WORKER, 'text/javascript')
    const watcher = await openSwPage(session, server)
    const other = await openSwPage(session, server)
    await register(watcher, '/sw/logging.js')
    await expect.poll(() => Object.keys(session.serviceWorkers.getAllRunning()).length).toBe(1)
    await watcher.loadURL(`http://b.test:${server.port}/sw/page.html`)
    const completed: string[] = []
    session.serviceWorkers.on('registration-completed', (_e, d) => completed.push(d.scope))
    await other.executeJavaScript(`navigator.serviceWorker.register('/sw2/logging.js', { scope: '/sw2/' }).then(() => 1)`)
    await expect.poll(() => completed).toEqual([server.url('/sw2/')])
    await expect.poll(() => Object.keys(session.serviceWorkers.getAllRunning()).length).toBe(2)
  })

  test('a persistent partition: a worker registered before a relaunch starts when its page messages it, logs with its version id, and is not reported as a new registration', { timeout: 60_000 }, async ({ server }) => {
    serveLogging(server)
    const userDataDir = mkdtempSync(join(tmpdir(), 'sw-persist-'))
    try {
      let browser = await launchTestBrowser({ userDataDir })
      try {
        const ses = browser.session.fromPartition('persist:workers')
        const wc = await openSwPage(ses, server)
        await register(wc, '/sw/logging.js')
        await expect.poll(() => Object.keys(ses.serviceWorkers.getAllRunning()).length).toBe(1)
      } finally {
        await browser.close()
      }
      browser = await launchTestBrowser({ userDataDir })
      try {
        const ses = browser.session.fromPartition('persist:workers')
        const completed: string[] = []
        const statuses: string[] = []
        ses.serviceWorkers.on('registration-completed', (_e, d) => completed.push(d.scope))
        ses.serviceWorkers.on('running-status-changed', (d) => statuses.push(d.runningStatus))
        const lines: Array<{ message: string; versionId: number }> = []
        ses.serviceWorkers.on('console-message', (_e, d) => lines.push({ message: d.message, versionId: d.versionId }))
        const wc = await openSwPage(ses, server)
        // The stored registration is active; a message to its worker (which has no fetch handler, so the
        // page's load did not need it) starts it.
        expect(await wc.executeJavaScript(`navigator.serviceWorker.ready.then((r) => { r.active.postMessage('wake'); return r.active.scriptURL })`)).toBe(server.url('/sw/logging.js'))
        await expect.poll(() => Object.values(ses.serviceWorkers.getAllRunning()).map((i) => i.scope)).toEqual([server.url('/sw/')])
        expect(statuses).toContain('running')
        const versionId = Number(Object.keys(ses.serviceWorkers.getAllRunning())[0])
        await expect.poll(() => lines).toContainEqual({ message: 'got wake', versionId })
        expect(completed).toEqual([])
      } finally {
        await browser.close()
      }
    } finally {
      rmSync(userDataDir, { recursive: true, force: true })
    }
  })

  test('clearStorageData({ storages: [serviceworkers] }) unregisters the worker: it stops and leaves getAllRunning', CELL, async ({ session, server }) => {
    serveLogging(server)
    const wc = await openSwPage(session, server)
    await register(wc, '/sw/logging.js')
    await expect.poll(() => Object.keys(session.serviceWorkers.getAllRunning()).length).toBe(1)
    const versionId = Number(Object.keys(session.serviceWorkers.getAllRunning())[0])
    const statuses: string[] = []
    session.serviceWorkers.on('running-status-changed', (d) => statuses.push(`${d.versionId}:${d.runningStatus}`))
    await session.clearStorageData({ storages: ['serviceworkers'] })
    expect(await wc.executeJavaScript('navigator.serviceWorker.getRegistrations().then((r) => r.length)')).toBe(0)
    await expect.poll(() => session.serviceWorkers.getAllRunning()).toEqual({})
    expect(statuses).toEqual([`${versionId}:stopping`, `${versionId}:stopped`])
    expect(session.serviceWorkers.getWorkerFromVersionID(versionId)).toBeUndefined()
  })

  test('bad input: gin’s conversion errors; getFromVersionID warns that it is deprecated', CELL, async ({ session }) => {
    const sw = session.serviceWorkers
    expect(() => sw.getInfoFromVersionID('1' as unknown as number)).toThrow(/^Error processing argument at index 0, conversion failure from 1$/)
    expect(() => sw.getWorkerFromVersionID(undefined as unknown as number)).toThrow(/^Insufficient number of arguments\.$/)
    await expect(sw.startWorkerForScope(7 as unknown as string)).rejects.toThrow(/^Error processing argument at index 0, conversion failure from $/)
    const warnings: string[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(`${warning.name}: ${warning.message}`)
    }
    process.on('warning', onWarning)
    try {
      expect(() => sw.getFromVersionID(12345)).toThrow(/^Could not find service worker with that version_id$/)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings).toContain('ServiceWorkersDeprecateGetFromVersionID: The session.serviceWorkers.getFromVersionID API is deprecated, use session.serviceWorkers.getInfoFromVersionID instead.')
    } finally {
      process.off('warning', onWarning)
    }
  })
})
