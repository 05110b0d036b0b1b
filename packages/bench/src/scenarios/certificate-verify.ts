/**
 * certificate-verify: what a pass-through certificate verify proc (`callback(-3)`) costs an
 * HTTPS page load with 200 subresources. With a proc, the session gateway opens its own TLS
 * connection to the server for each tunnel, works out the verdict, asks the proc, and then
 * tunnels a fresh connection so Chromium verifies natively; without one, tunnels are plain.
 * Each iteration first closes the session's connections, so every iteration pays for its
 * tunnels (about six: Chromium's per-host limit over HTTP/1.1).
 */
import { createHash, webcrypto, X509Certificate } from 'node:crypto'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import * as x509 from '@peculiar/x509'
import { CHROMIUM_PATH, describeError, quietly } from '../lib/browsers.js'
import type { Contender, Scenario } from '../lib/types.js'

const SUBRESOURCES = 200
const HOST = 'bench-tls.test'
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

interface Page {
  loadURL(url: string): Promise<unknown>
}
interface VerifySession {
  createWebContents(): Promise<Page>
  closeAllConnections(): Promise<void>
  setCertificateVerifyProc(proc: ((request: unknown, callback: (result: number) => void) => void) | null): Promise<void>
}
interface VerifyBrowser {
  session: { fromPartition(partition: string): VerifySession }
  close(): Promise<unknown>
}

async function certificate(): Promise<{ key: string; cert: string; spki: string }> {
  const crypto = webcrypto as unknown as Crypto
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair
  const made = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: '01', name: `CN=${HOST}`, notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 7 * 86_400_000), signingAlgorithm: algorithm, keys, extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: HOST }])] },
    crypto,
  )
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey))
  const cert = made.toString('pem')
  const spkiDer = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' })
  return { key: `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`, cert, spki: createHash('sha256').update(spkiDer).digest('base64') }
}

function page(n: number): string {
  const images = Array.from({ length: SUBRESOURCES }, (_, i) => `<img src="/assets/${i}.gif?n=${n}" width="1" height="1">`).join('')
  return `<!doctype html><html><head><meta charset="utf-8"><title>tls bench</title></head><body>${images}</body></html>`
}

function sharedBrowser(spki: string): { get(): Promise<VerifyBrowser>; release(): Promise<void> } {
  let browser: Promise<VerifyBrowser> | undefined
  let users = 0
  return {
    get() {
      users++
      browser ??= (async () => {
        const specifier: string = 'cdp-session'
        try {
          const mod = (await import(specifier)) as { launch(options: { executablePath: string; args: string[] }): Promise<VerifyBrowser> }
          // Chromium's own verdict for the bench certificate is OK (its key is allowed), so -3 loads the page.
          return await mod.launch({ executablePath: CHROMIUM_PATH, args: [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`, `--ignore-certificate-errors-spki-list=${spki}`] })
        } catch (error) {
          throw new Error(`cannot launch cdp-session: ${describeError(error)}`)
        }
      })()
      return browser
    },
    async release() {
      if (--users > 0 || !browser) return
      const closing = browser
      browser = undefined
      await quietly(async () => (await closing).close())
    },
  }
}

function contender(id: 'cdp-session' | 'cdp-session-baseline', origin: string, withProc: boolean, shared: ReturnType<typeof sharedBrowser>): Contender {
  return {
    id,
    label: withProc ? 'cdp-session (verify proc: callback(-3))' : 'cdp-session (no verify proc)',
    async start() {
      const browser = await shared.get()
      const ses = browser.session.fromPartition(`bench-cert-${id}`)
      let calls = 0
      if (withProc) {
        await ses.setCertificateVerifyProc((_request, callback) => {
          calls++
          callback(-3)
        })
      }
      const wc = await ses.createWebContents()
      await wc.loadURL(`${origin}/page?n=-1000`)
      if (withProc && calls === 0) throw new Error('the verify proc was never asked')
      return {
        async iteration(n) {
          await ses.closeAllConnections()
          await wc.loadURL(`${origin}/page?n=${n}`)
        },
        close: async () => {
          if (withProc) console.log(`  the verify proc was asked ${calls} times`)
          await shared.release()
        },
      }
    },
  }
}

export const certificateVerify: Scenario = {
  id: 'certificate-verify',
  title: 'Certificate verify proc: an HTTPS page with 200 subresources, pass-through proc vs none',
  description:
    `Per iteration: \`closeAllConnections()\`, then \`loadURL()\` of an HTTPS page (a host mapped to 127.0.0.1, HTTP/1.1) with ${SUBRESOURCES} ` +
    'small images, until its `load` event. "verify proc": `setCertificateVerifyProc((request, callback) => callback(-3))` ' +
    "on the session, so the gateway checks each new tunnel's certificate and asks the proc before tunnelling afresh; " +
    '"no verify proc": another session of the same browser. Goal: at most 1.2×. Contenders alternate every iteration.',
  goals: { vsBaseline: 1.2 },
  rounds: Number.MAX_SAFE_INTEGER,
  async prepare() {
    const { key, cert, spki } = await certificate()
    const server = createServer({ key, cert }, (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/'
      if (path === '/page') {
        const n = Number(new URL(req.url ?? '/', 'https://x.invalid').searchParams.get('n') ?? 0)
        res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(page(n))
      } else if (path.startsWith('/assets/')) res.writeHead(200, { 'content-type': 'image/gif', 'content-length': GIF.length, 'cache-control': 'no-store' }).end(GIF)
      else res.writeHead(404, { 'content-length': 0 }).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const origin = `https://${HOST}:${(server.address() as AddressInfo).port}`
    const shared = sharedBrowser(spki)
    return {
      contenders: [contender('cdp-session', origin, true, shared), contender('cdp-session-baseline', origin, false, shared)],
      dispose: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    }
  },
}
