// Service workers of a session: one that Chromium stops and starts again (it stops an idle worker
// after 30 s and starts it on the next fetch or message) keeps working with every session setting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session, WebContents } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'
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
  const wc = await session.createWebContents()
  await wc.loadURL(server.url('/sw/page.html'))
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
