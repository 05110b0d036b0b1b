// ses.setCertificateVerifyProc: the proc decides every TLS connection of its session (valid
// certificates included) through the session gateway; certificates made at test time.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import { connect, NavigationError, NotSupportedError, ValidationError, type Browser, type CertificateVerifyProcRequest, type Session, type WebContents } from 'cdp-session'
import { CERT_KINDS, startCertWorld, type CertKind, type CertWorld } from './fixtures/cert-kinds.js'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'

let world: CertWorld
let browser: Browser
let counter = 0


beforeAll(async () => {
  world = await startCertWorld()
  // The good leaf is the one certificate this browser (and so Chromium's own verdict) accepts.
  browser = await launchTestBrowser({ args: [`--ignore-certificate-errors-spki-list=${world.trustedSpki}`] })
})
afterAll(async () => {
  await browser?.close()
  await world?.close()
})

async function withSession<T>(run: (session: Session) => Promise<T>): Promise<T> {
  const session = browser.session.fromPartition(`certs-${process.pid}-${++counter}`)
  try {
    return await run(session)
  } finally {
    await session.close()
  }
}

/** What a page load of `url` shows: 'loaded' (with the page's text) or the net error number. */
async function load(page: WebContents, url: string): Promise<{ loaded: true; text: string } | { loaded: false; errorCode: number }> {
  try {
    await page.loadURL(url)
    return { loaded: true, text: String(await page.executeJavaScript(`document.getElementById('kind')?.textContent ?? ''`)) }
  } catch (error: unknown) {
    if (error instanceof NavigationError) return { loaded: false, errorCode: error.errorCode }
    throw error
  }
}

type Outcome = { loaded: true; text: string } | { loaded: false; errorCode: number }

const EXPECTED_BY_CHROMIUM: Record<CertKind, Outcome> = {
  good: { loaded: true, text: 'good' },
  // The test CA is not trusted (only the good leaf's key is): Chromium reports an unknown
  // authority first, also for the expired leaf and the one for another host.
  ownCa: { loaded: false, errorCode: -202 },
  selfSigned: { loaded: false, errorCode: -202 },
  expired: { loaded: false, errorCode: -202 },
  wrongHost: { loaded: false, errorCode: -202 },
}

function certificateWarnings(): { list: string[]; stop(): void } {
  const list: string[] = []
  const listener = (warning: Error & { code?: string }): void => {
    if (warning.code === 'CDP_SESSION_CERTIFICATE_VERIFY_PROC') list.push(warning.message)
  }
  process.on('warning', listener)
  return { list, stop: () => process.off('warning', listener) }
}

function fingerprintOf(raw: Buffer): string {
  return `sha256/${createHash('sha256').update(raw).digest('base64')}`
}

describe('what the page sees', () => {
  test('each certificate kind × verdict: 0 loads every page, -2 fails with ERR_FAILED, -3 and no proc give Chromium’s own verdict', async () => {
    const verdicts = [undefined, 0, -2, -3] as const
    const observed: Record<string, Record<string, Outcome>> = {}
    const expected: Record<string, Record<string, Outcome>> = {}
    for (const verdict of verdicts) {
      await withSession(async (session) => {
        const asked: string[] = []
        if (verdict !== undefined) {
          await session.setCertificateVerifyProc((request, callback) => {
            asked.push(request.hostname)
            callback(verdict)
          })
        }
        const page = await session.createWebContents()
        const row: Record<string, Outcome> = {}
        const want: Record<string, Outcome> = {}
        for (const kind of CERT_KINDS) {
          row[kind] = await load(page, world.servers[kind].url('/'))
          want[kind] = verdict === 0 ? { loaded: true, text: kind } : verdict === -2 ? { loaded: false, errorCode: -2 } : EXPECTED_BY_CHROMIUM[kind]
        }
        observed[String(verdict)] = row
        expected[String(verdict)] = want
        // The proc was asked about every host, the valid one included.
        if (verdict !== undefined) expect(new Set(asked)).toEqual(new Set(CERT_KINDS.map((kind) => world.servers[kind].hostname)))
      })
    }
    expect(observed).toEqual(expected)
  })

  test('a rejected page reaches no server; an accepted bad certificate’s page does', async () => {
    await withSession(async (session) => {
      await session.setCertificateVerifyProc((request, callback) => callback(request.hostname === 'self.test' ? 0 : -2))
      const page = await session.createWebContents()
      const ownCaHits = world.servers.ownCa.hits.length
      expect(await load(page, world.servers.ownCa.url('/rejected'))).toEqual({ loaded: false, errorCode: -2 })
      expect(world.servers.ownCa.hits.length).toBe(ownCaHits)
      expect(await load(page, world.servers.selfSigned.url('/accepted'))).toEqual({ loaded: true, text: 'selfSigned' })
      expect(world.servers.selfSigned.hits).toContain('/accepted')
    })
  })
})

describe('the request', () => {
  test('the valid certificate: hostname, verdict and Electron’s Certificate fields match the generated certificate', async () => {
    await withSession(async (session) => {
      const seen: CertificateVerifyProcRequest[] = []
      await session.setCertificateVerifyProc((request, callback) => {
        seen.push(request)
        callback(-3)
      })
      const page = await session.createWebContents()
      expect(await load(page, world.servers.good.url('/'))).toEqual({ loaded: true, text: 'good' })
      const request = seen.find((r) => r.hostname === 'good.test')
      if (!request) throw new Error('the proc was not asked about good.test')
      const leaf = world.servers.good.leaf
      const ca = world.ca
      expect(request.verificationResult).toBe('net::OK')
      expect(request.errorCode).toBe(0)
      expect(request.isIssuedByKnownRoot).toBe(false)
      const { certificate } = request
      expect(certificate.data).toBe(leaf.toString())
      expect(certificate.fingerprint).toBe(fingerprintOf(leaf.raw))
      expect(certificate.serialNumber).toBe(leaf.serialNumber.toUpperCase())
      expect(certificate.validStart).toBe(Math.floor(Date.parse(leaf.validFrom) / 1000))
      expect(certificate.validExpiry).toBe(Math.floor(Date.parse(leaf.validTo) / 1000))
      expect(certificate.subjectName).toBe('good.test')
      expect(certificate.subject).toEqual({ commonName: 'good.test', organizations: ['cdp-session tests good'], organizationUnits: [], locality: '', state: '', country: '' })
      expect(certificate.issuerName).toBe('cdp-session test CA')
      expect(certificate.issuer).toEqual({ commonName: 'cdp-session test CA', organizations: ['cdp-session tests'], organizationUnits: ['certificates'], locality: 'Testville', state: 'Teststate', country: 'DE' })
      expect(certificate.issuerCert?.data).toBe(ca.toString())
      expect(certificate.issuerCert?.fingerprint).toBe(fingerprintOf(ca.raw))
      expect(certificate.issuerCert?.subject).toEqual(certificate.issuer)
      expect(certificate.issuerCert?.issuerCert).toBeUndefined()
      expect(request.validatedCertificate).toEqual(certificate)
    })
  })

  test('bad certificates: the verdict Chromium gives under -3 is the one the proc was told; a self-signed one has no issuerCert, an expired one expired', async () => {
    await withSession(async (session) => {
      const seen = new Map<string, CertificateVerifyProcRequest>()
      await session.setCertificateVerifyProc((request, callback) => {
        seen.set(request.hostname, request)
        callback(-3)
      })
      const page = await session.createWebContents()
      for (const kind of ['selfSigned', 'expired', 'wrongHost', 'ownCa'] as const) {
        const outcome = await load(page, world.servers[kind].url('/'))
        const request = seen.get(world.servers[kind].hostname)
        expect(outcome.loaded).toBe(false)
        expect(request?.errorCode).toBe(outcome.loaded ? 0 : outcome.errorCode)
        expect(request?.verificationResult).toBe('net::ERR_CERT_AUTHORITY_INVALID')
        expect(request?.certificate.fingerprint).toBe(fingerprintOf(world.servers[kind].leaf.raw))
      }
      expect(seen.get('self.test')?.certificate.issuerCert).toBeUndefined()
      expect(seen.get('self.test')?.certificate.issuerName).toBe('self.test')
      expect((seen.get('expired.test')?.certificate.validExpiry ?? Infinity) * 1000).toBeLessThan(Date.now())
      expect(seen.get('ownca.test')?.certificate.issuerCert?.fingerprint).toBe(fingerprintOf(world.ca.raw))
    })
  })
})

describe('scope', () => {
  test('setCertificateVerifyProc(null) restores Chromium’s verdict and the proc is not asked again', async () => {
    await withSession(async (session) => {
      let calls = 0
      await session.setCertificateVerifyProc((_request, callback) => {
        calls++
        callback(0)
      })
      const page = await session.createWebContents()
      expect(await load(page, world.servers.selfSigned.url('/'))).toEqual({ loaded: true, text: 'selfSigned' })
      await session.setCertificateVerifyProc(null)
      const before = calls
      expect(await load(page, world.servers.selfSigned.url('/again'))).toEqual({ loaded: false, errorCode: -202 })
      expect(await load(page, world.servers.good.url('/'))).toEqual({ loaded: true, text: 'good' })
      expect(calls).toBe(before)
    })
  })

  test('two sessions at once on the same host: the one with a proc accepts, the other keeps Chromium’s verdict', async () => {
    await withSession(async (withProc) => {
      await withSession(async (without) => {
        const asked: string[] = []
        await withProc.setCertificateVerifyProc((request, callback) => {
          asked.push(request.hostname)
          callback(0)
        })
        const [a, b] = await Promise.all([withProc.createWebContents(), without.createWebContents()])
        const url = world.servers.selfSigned.url('/')
        const [seenA, seenB] = await Promise.all([load(a, url), load(b, url)])
        expect(seenA).toEqual({ loaded: true, text: 'selfSigned' })
        expect(seenB).toEqual({ loaded: false, errorCode: -202 })
        expect(await load(b, world.servers.good.url('/'))).toEqual({ loaded: true, text: 'good' })
        expect(asked.every((host) => host === 'self.test')).toBe(true)
      })
    })
  })

  test('a page created before the proc was set and one created after both ask it', async () => {
    await withSession(async (session) => {
      const before = await session.createWebContents()
      expect(await load(before, world.servers.good.url('/'))).toEqual({ loaded: true, text: 'good' })
      const asked: string[] = []
      await session.setCertificateVerifyProc((request, callback) => {
        asked.push(request.hostname)
        callback(request.hostname === 'good.test' ? -2 : 0)
      })
      const after = await session.createWebContents()
      expect(await load(before, world.servers.selfSigned.url('/'))).toEqual({ loaded: true, text: 'selfSigned' })
      expect(await load(after, world.servers.selfSigned.url('/'))).toEqual({ loaded: true, text: 'selfSigned' })
      // The connection to good.test that was open before the proc was set is not reused.
      expect(await load(before, world.servers.good.url('/'))).toEqual({ loaded: false, errorCode: -2 })
      expect(asked).toContain('good.test')
    })
  })

  test('subresources, fetch() and iframes are decided too', async () => {
    await withSession(async (session) => {
      await session.setCertificateVerifyProc((request, callback) => callback(request.hostname === 'ownca.test' ? -2 : request.hostname === 'self.test' ? 0 : -3))
      const page = await session.createWebContents()
      expect(await load(page, world.servers.good.url('/'))).toEqual({ loaded: true, text: 'good' })
      const self = world.servers.selfSigned.origin
      const ownCa = world.servers.ownCa.origin
      const expired = world.servers.expired.origin
      const result = await page.executeJavaScript(`(async () => {
        const fetched = async (url) => { try { return await (await fetch(url)).text() } catch (error) { return 'failed: ' + error.name } }
        const script = (url) => new Promise((resolve) => { const s = document.createElement('script'); s.src = url; s.onload = () => resolve('loaded ' + window.subLoaded); s.onerror = () => resolve('error'); document.head.append(s) })
        const frame = (url) => new Promise((resolve) => {
          const onMessage = (event) => { if (event.data === 'frame:' + url.kind) { removeEventListener('message', onMessage); resolve('message') } }
          addEventListener('message', onMessage)
          const f = document.createElement('iframe'); f.src = url.href; document.body.append(f)
          setTimeout(() => resolve('no message'), 3000)
        })
        return {
          fetchSelf: await fetched(${JSON.stringify(`${self}/data`)}),
          fetchOwnCa: await fetched(${JSON.stringify(`${ownCa}/data`)}),
          fetchExpired: await fetched(${JSON.stringify(`${expired}/data`)}),
          scriptSelf: await script(${JSON.stringify(`${self}/sub.js`)}),
          scriptOwnCa: await script(${JSON.stringify(`${ownCa}/sub.js`)}),
          frameSelf: await frame({ href: ${JSON.stringify(`${self}/frame`)}, kind: 'selfSigned' }),
          frameOwnCa: await frame({ href: ${JSON.stringify(`${ownCa}/frame`)}, kind: 'ownCa' }),
        }
      })()`)
      expect(result).toEqual({
        fetchSelf: 'data from selfSigned',
        fetchOwnCa: 'failed: TypeError',
        fetchExpired: 'failed: TypeError',
        scriptSelf: 'loaded selfSigned',
        scriptOwnCa: 'error',
        frameSelf: 'message',
        frameOwnCa: 'no message',
      })
      expect(world.servers.ownCa.hits.filter((path) => path === '/frame' || path === '/sub.js')).toEqual([])
    })
  })
})

describe('misbehaving procs and bad input', () => {
  test('bad input: a typed ValidationError with Electron’s message; null and functions are accepted', async () => {
    await withSession(async (session) => {
      for (const value of ['0', 1, {}, undefined, true]) {
        let caught: unknown
        try {
          void session.setCertificateVerifyProc(value as never)
        } catch (error) {
          caught = error
        }
        expect(caught).toBeInstanceOf(ValidationError)
        expect((caught as ValidationError).message).toBe('Must pass null or function')
        expect((caught as ValidationError).argument).toBe('proc')
      }
      await session.setCertificateVerifyProc(null)
      await session.setCertificateVerifyProc(() => undefined)
    })
    const direct = browser.session.fromPartition(`certs-direct-${process.pid}`, { gateway: false })
    try {
      await expect(direct.setCertificateVerifyProc(() => undefined)).rejects.toBeInstanceOf(NotSupportedError)
    } finally {
      await direct.close()
    }
  })

  test('a connect()ed browser was not launched with the gateway’s key: NotSupportedError naming why', async () => {
    const owner = await launchTestBrowser({ remoteDebuggingPort: 0, gateway: false })
    try {
      const connected = await connect({ browserWSEndpoint: owner.wsEndpoint ?? '' })
      try {
        const session = connected.session.fromPartition('certs-connected')
        const refused = await session.setCertificateVerifyProc(() => undefined).catch((error: unknown) => error)
        expect(refused).toBeInstanceOf(NotSupportedError)
        expect((refused as Error).message).toContain('was not launched by this process')
      } finally {
        await connected.close()
      }
    } finally {
      await owner.close()
    }
  })

  test('a proc that throws rejects the connection (ERR_FAILED) and warns; the next good answer works', async () => {
    const warnings = certificateWarnings()
    try {
      await withSession(async (session) => {
        let fail = true
        await session.setCertificateVerifyProc((_request, callback) => {
          if (fail) throw new Error('proc broke')
          callback(0)
        })
        const page = await session.createWebContents()
        expect(await load(page, world.servers.good.url('/'))).toEqual({ loaded: false, errorCode: -2 })
        fail = false
        expect(await load(page, world.servers.selfSigned.url('/'))).toEqual({ loaded: true, text: 'selfSigned' })
      })
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.list.some((text) => text.includes('the proc threw') && text.includes('proc broke'))).toBe(true)
    } finally {
      warnings.stop()
    }
  })

  test('callback called twice: the first answer counts, the second is ignored with a warning; a non-number throws and the answer is still awaited', async () => {
    const warnings = certificateWarnings()
    try {
      await withSession(async (session) => {
        const thrown: unknown[] = []
        await session.setCertificateVerifyProc((_request, callback) => {
          try {
            callback('yes' as never)
          } catch (error) {
            thrown.push(error)
          }
          callback(0)
          callback(-2)
        })
        const page = await session.createWebContents()
        expect(await load(page, world.servers.selfSigned.url('/'))).toEqual({ loaded: true, text: 'selfSigned' })
        expect(thrown.length).toBeGreaterThan(0)
        expect(thrown[0]).toBeInstanceOf(ValidationError)
        expect((thrown[0] as Error).message).toBe('Error processing argument at index 0, conversion failure from yes')
      })
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.list.some((text) => text.includes('called again'))).toBe(true)
    } finally {
      warnings.stop()
    }
  })

  // Issue #19: one bounded policy at scale. Every fetch() that finds no open connection makes
  // a new tunnel, so a rejecting proc is asked for each.
  const FAULT_REQUESTS = Number(process.env.CDP_SESSION_FAULT_REQUESTS ?? 1_000)
  test.for([
    { fault: 'throws', proc: () => { throw new Error('proc bug') }, settled: 'rejected TypeError', warning: 'the proc threw' },
    { fault: 'answers twice (0, then -2)', proc: (_r: unknown, cb: (n: number) => void) => { cb(0); cb(-2) }, settled: 'opaque', warning: 'called again' },
    { fault: 'answers a non-number, then 0', proc: (_r: unknown, cb: (n: unknown) => void) => { try { cb('zero') } catch { /* gin's conversion error */ } cb(0) }, settled: 'opaque', warning: undefined },
  ])(`a proc that $fault: ${FAULT_REQUESTS} fetch() of ${FAULT_REQUESTS} settle by the policy`, { timeout: 120_000 }, async ({ proc, settled, warning }) => {
    const warnings = certificateWarnings()
    try {
      await withSession(async (session) => {
        let asked = 0
        await session.setCertificateVerifyProc((request, callback) => {
          asked++
          ;(proc as (r: unknown, cb: unknown) => void)(request, callback)
        })
        // The network's own account of each request (webRequest observers follow Chromium's Network events).
        const failed = new Set<string>()
        session.webRequest.onErrorOccurred((details) => failed.add(details.url))
        const page = await session.createWebContents()
        await page.loadURL('about:blank')
        const url = world.servers.selfSigned.url('/')
        const hitsBefore = world.servers.selfSigned.hits.length
        const results = (await page.executeJavaScript(
          `Promise.all(Array.from({ length: ${FAULT_REQUESTS} }, (_, i) => fetch(${JSON.stringify(url)} + '?' + i, { mode: 'no-cors', cache: 'no-store' }).then((r) => r.type, (e) => 'rejected ' + e.name)))`,
        )) as string[]
        const outcomes = new Map<string, number>()
        for (const result of results) outcomes.set(result, (outcomes.get(result) ?? 0) + 1)
        // Every fetch settled (none hangs) and, for a rejecting proc, nothing reached the server.
        expect(results).toHaveLength(FAULT_REQUESTS)
        if (settled === 'opaque') {
          expect(outcomes).toEqual(new Map([[settled, FAULT_REQUESTS]]))
        } else {
          expect(world.servers.selfSigned.hits.length).toBe(hitsBefore)
          // Every request failed in the network (its tunnel refused)...
          await expect.poll(() => failed.size).toBe(FAULT_REQUESTS)
          // ...yet Chromium's renderer resolves a few of the first no-cors fetches (0 to 6 of
          // 1,000 seen) as opaque rather than rejecting them: not a tunnel that got through (the
          // server saw none, and each has its ERR_TUNNEL_CONNECTION_FAILED above).
          expect(outcomes.get(settled) ?? 0).toBeGreaterThanOrEqual(FAULT_REQUESTS - 10)
          expect([...outcomes.keys()].filter((key) => key !== settled && key !== 'opaque')).toEqual([])
        }
        expect(asked).toBeGreaterThan(0)
        if (settled !== 'opaque') expect(asked).toBeGreaterThanOrEqual(FAULT_REQUESTS - 10)
      })
      await new Promise((resolve) => setImmediate(resolve))
      if (warning !== undefined) expect(warnings.list.some((text) => text.includes(warning))).toBe(true)
    } finally {
      warnings.stop()
    }
  })

  test(`a proc that never calls back: the connection is rejected after 10 s (the documented bound) (ERR_FAILED), with a warning`, async () => {
    const warnings = certificateWarnings()
    try {
      await withSession(async (session) => {
        await session.setCertificateVerifyProc(() => undefined)
        const page = await session.createWebContents()
        expect(await load(page, world.servers.good.url('/'))).toEqual({ loaded: false, errorCode: -2 })
      })
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.list.some((text) => text.includes('did not call back'))).toBe(true)
    } finally {
      warnings.stop()
    }
  }, 40_000)
})
