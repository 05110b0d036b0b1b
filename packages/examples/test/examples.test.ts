// Every example program, run and checked on what it observed.
import { describe, expect, test } from 'vitest'
import { runConnectRunning } from '../src/connect-running.js'
import { runPersistCookies } from '../src/persist-cookies.js'
import { runPerSessionProxy } from '../src/per-session-proxy.js'
import { runWebRequest } from '../src/web-request.js'

const quiet = (): void => undefined

describe('examples', () => {
  test('per-session proxy: the open page of one session switches to the proxy live; the other session stays direct', async () => {
    const report = await runPerSessionProxy(quiet)
    expect(report.before).toBe('direct')
    expect(report.after).toBe('1.1 example-proxy')
    expect(report.otherSession).toBe('direct')
    expect(report.resolved).toMatch(/^PROXY 127\.0\.0\.1:\d+$/)
    expect(report.relayed).toEqual(['/after'])
  })

  test('webRequest: the ad is blocked, every request carries the added header, the API response gets the rewritten one', async () => {
    const report = await runWebRequest(quiet)
    expect(report.title).toBe('api:yes')
    expect(report.serverSaw.sort()).toEqual(['/ example', '/api example'])
    expect(report.completed).toEqual(['/', '/api'])
    expect(report.failed).toEqual(['/ads/banner.png net::ERR_BLOCKED_BY_CLIENT'])
  })

  test('persist cookies: a persist: session finds its cookie after a relaunch; an in-memory one does not', async () => {
    const report = await runPersistCookies(quiet)
    expect(report.persistent).toEqual(['sid=kept'])
    expect(report.memory).toEqual([])
    expect(report.storagePath).toMatch(/\/Partitions\/profile$/)
  })

  test('connect to a running Chrome: work in a session, disconnect, Chrome keeps running', async () => {
    const report = await runConnectRunning(quiet)
    expect(report.title).toBe('/hello')
    expect(report.userAgentSeen).toBe('ConnectedBot/1.0')
    expect(report.stillRunning).toBe(true)
  })
})
