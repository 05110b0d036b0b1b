// ses.setCertificateVerifyProc: the proc decides every TLS connection of its session (valid
// certificates included) through the session gateway; certificates made at test time.
import { afterAll, beforeAll } from 'vitest'
import { NavigationError, type Browser, type CertificateVerifyProcRequest, type Session, type WebContents } from 'cdp-session'
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

describe('smoke', () => {
  test('no proc: Chromium verdicts', async () => {
    await withSession(async (session) => {
      const page = await session.createWebContents()
      expect(await load(page, world.servers.good.url('/'))).toEqual({ loaded: true, text: 'good' })
      expect(await load(page, world.servers.selfSigned.url('/'))).toEqual({ loaded: false, errorCode: -202 })
    })
  })

  test('proc 0 / -2 / -3', async () => {
    await withSession(async (session) => {
      const seen: CertificateVerifyProcRequest[] = []
      let answer = 0
      await session.setCertificateVerifyProc((request, callback) => {
        seen.push(request)
        callback(answer)
      })
      const page = await session.createWebContents()
      expect(await load(page, world.servers.selfSigned.url('/'))).toEqual({ loaded: true, text: 'selfSigned' })
      answer = -3
      await session.closeAllConnections()
      expect(await load(page, world.servers.expired.url('/'))).toEqual({ loaded: false, errorCode: -202 })
      answer = -2
      expect(await load(page, world.servers.good.url('/'))).toEqual({ loaded: false, errorCode: -2 })
      console.log(JSON.stringify(seen.map((r) => [r.hostname, r.verificationResult, r.errorCode, r.certificate.subjectName, r.certificate.issuerCert?.subjectName])))
    })
  })
})
void CERT_KINDS
export type { CertKind }
