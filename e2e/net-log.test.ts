// ses.netLog: a page load's requests, this session's only, in Chromium's NetLog JSON format or as
// HAR 1.2; cookies and credentials stripped unless captureMode asks for them.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { CdpSessionError, ValidationError, type Session } from 'cdp-session'
import { closedPort, describe, expect, test } from './fixtures/test.js'
import type { TestServer } from './fixtures/server.js'

let dir = ''
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cdp-session-netlog-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

interface NetLogFile {
  constants: { logEventTypes: Record<string, number>; logEventPhase: Record<string, number>; logSourceType: Record<string, number>; logFormatVersion: number }
  events: Array<{ time: string; type: number; phase: number; source: { id: number; type: number }; params?: Record<string, unknown> }>
}

function serve(server: TestServer): void {
  server.setContent('/log/page.html', `<img src="/log/pic.png"><script src="/log/app.js"></script>`, 'text/html', { 'set-cookie': 'sid=secret-value; Path=/' })
  server.setContent('/log/pic.png', Buffer.from('89504e470d0a1a0a', 'hex'), 'image/png')
  server.setContent('/log/app.js', `fetch('/log/api', { headers: { Authorization: 'Bearer token-123' } }).then((r) => r.text())`, 'text/javascript')
  server.setContent('/log/api', '{}', 'application/json')
  server.setContent('/log/other.html', 'other', 'text/html')
}

/** Loads the page and waits until its fetch reached the server. */
async function loadLogged(session: Session, server: TestServer): Promise<void> {
  const api = server.waitForRequest('/log/api')
  const wc = await session.createWebContents()
  await wc.loadURL(server.url('/log/page.html'))
  await api
  // The answer to the fetch: a moment for its Network events to arrive.
  await wc.executeJavaScript(`fetch('/log/api').then((r) => r.text())`)
}

function urlsOf(log: NetLogFile): string[] {
  const start = log.constants.logEventTypes.URL_REQUEST_START_JOB
  return log.events.filter((e) => e.type === start && e.phase === log.constants.logEventPhase.PHASE_BEGIN).map((e) => new URL(String(e.params?.url)).pathname)
}

describe('ses.netLog', () => {
  test("NetLog JSON: this session's requests with headers; another session's are absent; sensitive values stripped by default", async ({ session, browser, server }) => {
    serve(server)
    const other = browser.session.fromPartition(`netlog-other-${process.pid}`)
    const path = join(dir, 'default.json')
    expect(session.netLog.currentlyLogging).toBe(false)
    await session.netLog.startLogging(path)
    expect(session.netLog.currentlyLogging).toBe(true)
    expect(session.netLog.currentlyLoggingPath).toBe(path)
    await loadLogged(session, server)
    const otherPage = await other.createWebContents()
    await otherPage.loadURL(server.url('/log/other.html'))
    expect(await session.netLog.stopLogging()).toBe(path)
    expect(session.netLog.currentlyLogging).toBe(false)
    await other.close()
    const log = JSON.parse(await readFile(path, 'utf8')) as NetLogFile
    expect(log.constants.logFormatVersion).toBe(1)
    expect(Object.keys(log.constants.logEventTypes)).toEqual(expect.arrayContaining(['REQUEST_ALIVE', 'URL_REQUEST_START_JOB', 'HTTP_TRANSACTION_READ_RESPONSE_HEADERS']))
    expect(urlsOf(log)).toEqual(expect.arrayContaining(['/log/page.html', '/log/pic.png', '/log/app.js', '/log/api']))
    expect(urlsOf(log)).not.toContain('/log/other.html')
    // Every request's REQUEST_ALIVE is opened and closed on one source.
    const alive = log.events.filter((e) => e.type === log.constants.logEventTypes.REQUEST_ALIVE)
    const opened = new Set(alive.filter((e) => e.phase === 1).map((e) => e.source.id))
    const closed = new Set(alive.filter((e) => e.phase === 2).map((e) => e.source.id))
    expect([...opened].filter((id) => !closed.has(id))).toEqual([])
    const text = JSON.stringify(log.events)
    expect(text).toContain('HTTP/1.1 200 OK')
    expect(text).not.toContain('secret-value')
    expect(text).not.toContain('token-123')
    expect(text).toMatch(/set-cookie: \[\d+ bytes were stripped\]/i)
  })

  test('a redirect is logged as URL_REQUEST_REDIRECTED, and a refused connection as FAILED with its net error', async ({ session, server }) => {
    server.setRedirect('/log/old', '/log/new.txt')
    server.setContent('/log/new.txt', 'moved', 'text/plain')
    const path = join(dir, 'redirect.json')
    await session.netLog.startLogging(path)
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/log/old'))
    const port = await closedPort()
    await wc.executeJavaScript(`fetch('http://127.0.0.1:${port}/gone').catch(() => 'refused')`)
    await session.netLog.stopLogging()
    const log = JSON.parse(await readFile(path, 'utf8')) as NetLogFile
    const types = log.constants.logEventTypes
    const redirected = log.events.filter((e) => e.type === types.URL_REQUEST_REDIRECTED)
    expect(redirected.map((e) => new URL(String(e.params?.location)).pathname)).toEqual(['/log/new.txt'])
    expect(urlsOf(log)).toEqual(expect.arrayContaining(['/log/old', '/log/new.txt', '/gone']))
    const failed = log.events.filter((e) => e.type === types.FAILED).map((e) => e.params?.net_error)
    // Behind the session gateway a refused connection reaches Chromium as the proxy closing
    // without an answer (-324 ERR_EMPTY_RESPONSE); the log carries the cause the gateway saw,
    // -102 ERR_CONNECTION_REFUSED, as Electron's would.
    expect(failed).toEqual([-102])
  })

  test("captureMode 'includeSensitive' keeps cookies and credentials", async ({ session, server }) => {
    serve(server)
    const path = join(dir, 'sensitive.json')
    await session.netLog.startLogging(path, { captureMode: 'includeSensitive' })
    await loadLogged(session, server)
    await session.netLog.stopLogging()
    const text = await readFile(path, 'utf8')
    expect(text).toContain('sid=secret-value')
    expect(text).toContain('Bearer token-123')
  })

  test('a .har path gives a HAR 1.2 archive that lists each request with its response', async ({ session, server }) => {
    serve(server)
    const path = join(dir, 'load.har')
    await session.netLog.startLogging(path)
    await loadLogged(session, server)
    await session.netLog.stopLogging()
    const har = JSON.parse(await readFile(path, 'utf8')) as { log: { version: string; creator: { name: string }; entries: Array<{ request: { url: string; method: string; headers: Array<{ name: string; value: string }> }; response: { status: number; content: { mimeType: string } }; startedDateTime: string }> } }
    expect(har.log.version).toBe('1.2')
    const byPath = new Map(har.log.entries.map((e) => [new URL(e.request.url).pathname, e]))
    expect(byPath.get('/log/page.html')?.response.status).toBe(200)
    expect(byPath.get('/log/pic.png')?.response.content.mimeType).toBe('image/png')
    expect(byPath.get('/log/api')?.request.method).toBe('GET')
    expect(Number.isNaN(Date.parse(byPath.get('/log/page.html')!.startedDateTime))).toBe(false)
    // The credentialed fetch is in the archive, its Authorization value stripped.
    const credentialed = har.log.entries.filter((e) => e.request.headers.some((h) => h.name.toLowerCase() === 'authorization'))
    expect(credentialed.map((e) => new URL(e.request.url).pathname)).toEqual(['/log/api'])
    expect(JSON.stringify(har)).not.toContain('token-123')
  })

  test('maxFileSize bounds the file and it stays valid JSON; Electron\'s errors for a second start and a stop without start', async ({ session, server }) => {
    serve(server)
    const path = join(dir, 'small.json')
    await session.netLog.startLogging(path, { maxFileSize: 20_000 })
    await expect(session.netLog.startLogging(join(dir, 'again.json'))).rejects.toThrow('There is already a net log running')
    await loadLogged(session, server)
    await session.netLog.stopLogging()
    const text = await readFile(path, 'utf8')
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(20_000)
    expect(() => JSON.parse(text) as unknown).not.toThrow()
    await expect(session.netLog.stopLogging()).rejects.toBeInstanceOf(CdpSessionError)
    await expect(session.netLog.stopLogging()).rejects.toThrow('No net log in progress')
    await expect(session.netLog.startLogging('relative.json')).rejects.toBeInstanceOf(ValidationError)
    await expect(session.netLog.startLogging(path, { captureMode: 'all' as never })).rejects.toBeInstanceOf(ValidationError)
  })
})
