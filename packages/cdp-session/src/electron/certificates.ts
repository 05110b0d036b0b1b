// Electron's `ses.setCertificateVerifyProc(proc)`: the proc decides every TLS connection of the
// session, valid certificates included. The session gateway does the work (net/tls-intercept.ts);
// this module checks the input, builds Electron's request object and holds the user's proc to a
// bounded policy (docs/decisions.md, "Certificate verify proc"):
// - the first callback(number) counts; later calls are ignored, with a warning;
// - callback(non-integer) throws a TypeError (Electron's conversion error) and the answer is
//   still awaited;
// - a proc that throws rejects that connection at once (ERR_FAILED), with a warning;
// - no answer within VERIFY_TIMEOUT_MS rejects the connection (ERR_FAILED), with a warning.
// A session without a proc pays nothing: its gateway has no hook.
import { NotSupportedError } from '../common/errors.js'
import { electronValidationError, ginConversionError } from '../common/input-policy.js'
import { debug } from '../common/util.js'
import { toElectronCertificate, type Certificate } from '../net/certificates.js'
import type { SessionProxy } from '../net/session-proxy.js'
import type { VerifyQuestion } from '../net/tls-intercept.js'
import type { SessionContext } from './context.js'

export type { Certificate, CertificatePrincipal } from '../net/certificates.js'

/** Electron's request argument of a certificate verify proc. */
export interface CertificateVerifyProcRequest {
  hostname: string
  /** The certificate as the server sent it (its issuerCert: the rest of the chain it sent). */
  certificate: Certificate
  /** The chain as verified (up to the trusted root when there is one). */
  validatedCertificate: Certificate
  /** Whether the chain leads to a root of the bundled public root store. */
  isIssuedByKnownRoot: boolean
  /** Chromium's verdict: `'net::OK'`, `'net::ERR_CERT_AUTHORITY_INVALID'` ... */
  verificationResult: string
  /** The same verdict as a number: 0, -202 ... */
  errorCode: number
}

/**
 * `callback(0)` accepts the certificate, `callback(-2)` rejects it, `callback(-3)` leaves the
 * verdict to Chromium; another net error number rejects with that error.
 */
export type CertificateVerifyProc = (request: CertificateVerifyProcRequest, callback: (verificationResult: number) => void) => void

/** How long a connection waits for the proc's callback before it is rejected. */
export const VERIFY_TIMEOUT_MS = 10_000

const API = 'ses.setCertificateVerifyProc'
const WARNING = 'CDP_SESSION_CERTIFICATE_VERIFY_PROC'

export class CertificateVerification {
  readonly #core: SessionContext
  #proc: CertificateVerifyProc | null = null
  #generation = 0
  readonly #warned = new Set<string>()

  constructor(core: SessionContext) {
    this.#core = core
  }

  /** Validates at once (throws); resolves when connections opened from then on ask `proc`. */
  set(proc: unknown): Promise<void> {
    if (proc !== null && typeof proc !== 'function') throw electronValidationError(API, 'proc', proc, 'Must pass null or function')
    this.#core.assertOpen(API)
    const generation = ++this.#generation
    return this.#install(proc as CertificateVerifyProc | null, generation)
  }

  async #install(proc: CertificateVerifyProc | null, generation: number): Promise<void> {
    const gateway = await this.#gateway()
    if (generation !== this.#generation) return // a later call won meanwhile
    this.#proc = proc
    gateway.setCertificateVerifier(proc === null ? null : (question) => this.#ask(question))
    // Connections Chromium keeps open were decided under the old proc (or none): drop them so
    // the next request of every page is decided by the new one.
    gateway.closeAllConnections()
  }

  async #gateway(): Promise<SessionProxy> {
    const binding = await this.#core.bindingFor(API)
    if (typeof binding.proxy === 'string') {
      throw new NotSupportedError(`${API}: this session has no gateway (${binding.proxy}), and Chromium verifies certificates itself: CDP cannot ask a proc per connection.`)
    }
    const gap = binding.proxy.certificateVerifyGap
    if (gap !== undefined) throw new NotSupportedError(`${API}: ${gap}.`)
    return binding.proxy
  }

  #ask(question: VerifyQuestion): Promise<number> {
    const proc = this.#proc
    if (proc === null) return Promise.resolve(-3)
    const { verdict, hostname } = question
    const request: CertificateVerifyProcRequest = {
      hostname,
      certificate: toElectronCertificate(verdict.presented),
      validatedCertificate: toElectronCertificate(verdict.validated),
      isIssuedByKnownRoot: verdict.isIssuedByKnownRoot,
      verificationResult: verdict.verificationResult,
      errorCode: verdict.errorCode,
    }
    return new Promise<number>((resolve) => {
      let settled = false
      const settle = (result: number): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(result)
      }
      const timer = setTimeout(() => {
        this.#warn('timeout', `${API}: the proc did not call back within ${VERIFY_TIMEOUT_MS} ms for '${hostname}'; the connection was rejected (net::ERR_FAILED).`)
        settle(-2)
      }, VERIFY_TIMEOUT_MS)
      timer.unref()
      const callback = (...args: unknown[]): void => {
        const [result] = args
        if (typeof result !== 'number' || !Number.isInteger(result)) throw ginConversionError('callback', 0, 'verificationResult', result, args.slice(1))
        if (settled) {
          this.#warn('twice', `${API}: the proc's callback was called again for '${hostname}' (with ${result}); only the first answer counts.`)
          return
        }
        settle(result)
      }
      try {
        proc(request, callback)
      } catch (error: unknown) {
        this.#warn('threw', `${API}: the proc threw for '${hostname}' (${error instanceof Error ? error.message : String(error)}); the connection was rejected (net::ERR_FAILED).`)
        settle(-2)
      }
    })
  }

  /** One process warning per kind of misbehaviour and session (each one is also logged). */
  #warn(kind: string, text: string): void {
    debug('%s', text)
    if (this.#warned.has(kind)) return
    this.#warned.add(kind)
    process.emitWarning(text, { code: WARNING })
  }
}
