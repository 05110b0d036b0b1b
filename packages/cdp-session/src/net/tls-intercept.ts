// A session's certificate verify proc, in its gateway. Chromium verifies certificates itself
// and CDP cannot ask it to consult anyone per host (Security.certificateError only fires for
// certificates Chromium already rejects), so for a session with a proc the gateway looks at
// each tunnel's certificate first: it connects to the server itself, reads the chain, works out
// Chromium's verdict (certificates.ts) and asks the proc. Then:
//   -3 (Chromium's verdict): the tunnel is a plain one, over a fresh connection, so Chromium
//      verifies the server's own certificate natively (its exact verdict, HTTP/2 kept);
//    0 (accept): the gateway ends the browser's TLS itself, with a leaf for the host that only
//      browsers of this process trust (interception-ca.ts), and relays the plaintext over its own
//      TLS connection to the server (HTTP/1.1 both ways);
//   anything else (reject): the tunnel is refused and reported failed with that net error.
// Sessions without a proc never get here (no hook on their gateway).
import type { Socket } from 'node:net'
import { connect as tlsConnect, TLSSocket } from 'node:tls'
import { isIP } from 'node:net'
import { debug } from '../common/util.js'
import { netErrorName } from '../common/net-errors.js'
import { peerChain, verifyChain, type CertificateVerdict } from './certificates.js'
import type { HeldTunnel, TunnelHook } from './gateway.js'
import { leafContextFor } from './interception-ca.js'
import { UpstreamError } from './upstream.js'

/** What the proc is asked about one connection. */
export interface VerifyQuestion {
  hostname: string
  port: number
  verdict: CertificateVerdict
}

/**
 * Decides one connection: 0 accept, -3 Chromium's verdict, any other number rejects with it.
 * Must settle (the caller bounds the user's proc).
 */
export type CertificateVerifier = (question: VerifyQuestion) => Promise<number>

export interface InterceptOptions {
  /** The browser's `--ignore-certificate-errors-spki-list` (its verdict for those chains is OK). */
  ignoreErrorsSpki: ReadonlySet<string>
  /** Limit for the gateway's own TLS handshake with the server. */
  handshakeTimeoutMs: number
}

/** The gateway's TLS client connection over `socket`; resolves once the handshake is done. */
function handshake(socket: Socket, hostname: string, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({
      socket,
      ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
      ALPNProtocols: ['http/1.1'],
      // The verdict is worked out from the chain; the connection must not fail on it.
      rejectUnauthorized: false,
    })
    const timer = setTimeout(() => secure.destroy(Object.assign(new Error(`TLS handshake with ${hostname} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs)
    secure.once('secureConnect', () => {
      clearTimeout(timer)
      secure.off('error', fail)
      resolve(secure)
    })
    const fail = (error: Error): void => {
      clearTimeout(timer)
      secure.destroy()
      reject(error)
    }
    secure.once('error', fail)
  })
}

/** The gateway's tunnel hook for a session whose certificates `verify` decides. */
export function certificateTunnelHook(verify: CertificateVerifier, options: InterceptOptions): TunnelHook {
  return async (tunnel: HeldTunnel): Promise<void> => {
    const { host: hostname, port } = tunnel.dest
    const upstream = await tunnel.open()
    if (!upstream) return
    let secure: TLSSocket
    try {
      secure = await handshake(upstream, hostname, options.handshakeTimeoutMs)
    } catch (error: unknown) {
      // No certificate to decide on (not TLS, or a handshake Node cannot do): Chromium meets
      // the server itself and reports what it finds.
      debug('certificate check: TLS with %s:%d failed (%s); tunnelling as it is', hostname, port, error instanceof Error ? error.message : String(error))
      upstream.destroy()
      await tunnel.pass()
      return
    }
    let decision: number
    try {
      const verdict = verifyChain(peerChain(secure.getPeerCertificate(true)), hostname, { ignoreErrorsSpki: options.ignoreErrorsSpki, nodeTrusted: secure.authorized })
      decision = await verify({ hostname, port, verdict })
    } catch (error: unknown) {
      secure.destroy()
      tunnel.refuse(error)
      return
    }
    if (tunnel.client.destroyed) {
      secure.destroy()
      return
    }
    if (decision === -3) {
      secure.destroy()
      await tunnel.pass()
      return
    }
    if (decision !== 0) {
      secure.destroy()
      const name = netErrorName(decision)
      tunnel.refuse(new UpstreamError(`the certificate verify proc rejected ${hostname} (${decision})`, false, name ?? 'ERR_FAILED'))
      return
    }
    if (tunnel.head.length > 0) {
      // A browser waits for the CONNECT answer before its ClientHello; a client that does not
      // cannot be terminated here.
      secure.destroy()
      tunnel.refuse(new UpstreamError('the client wrote before the tunnel was answered', false, 'ERR_FAILED'))
      return
    }
    let context
    try {
      context = await leafContextFor(hostname)
    } catch (error: unknown) {
      secure.destroy()
      tunnel.refuse(error)
      return
    }
    tunnel.answer()
    const browserSide = new TLSSocket(tunnel.client, { isServer: true, secureContext: context, ALPNProtocols: ['http/1.1'] })
    browserSide.on('error', (error: Error) => debug('certificate check: browser-side TLS with %s: %s', hostname, error.message))
    secure.on('error', (error: Error) => debug('certificate check: server-side TLS with %s: %s', hostname, error.message))
    tunnel.relay(browserSide, secure)
  }
}
