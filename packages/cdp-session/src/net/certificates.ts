// What a certificate verify proc is told about a server's certificate: Electron's Certificate
// object, made from the chain a TLS handshake received (Node's crypto.X509Certificate reads
// the DER; nothing is parsed here by hand), and the verdict Chromium would reach for it.
//
// The verdict follows Chromium's: a chain that does not lead to a trusted root is
// ERR_CERT_AUTHORITY_INVALID, one that does not name the host ERR_CERT_COMMON_NAME_INVALID
// (subjectAltName only; the common name is ignored, as Chromium does), one outside its
// validity ERR_CERT_DATE_INVALID, in that order of precedence (MapCertStatusToNetError). A
// chain holding a key of the browser's `--ignore-certificate-errors-spki-list` is OK, as
// Chromium's IgnoreErrorsCertVerifier makes it. Trusted roots: Node's bundled Mozilla store
// (Chrome's own root store is close to it, not equal), plus what Node's own handshake trusted.
import { createHash, X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import { rootCertificates } from 'node:tls'
import { netErrorName } from '../common/net-errors.js'

/** Electron's CertificatePrincipal. */
export interface CertificatePrincipal {
  commonName: string
  organizations: string[]
  organizationUnits: string[]
  locality: string
  state: string
  country: string
}

/** Electron's Certificate. */
export interface Certificate {
  /** PEM encoded data. */
  data: string
  issuer: CertificatePrincipal
  /** The issuer's common name. */
  issuerName: string
  /** The issuer's certificate, when the chain holds it (the chain, recursively). */
  issuerCert?: Certificate
  subject: CertificatePrincipal
  /** The subject's common name. */
  subjectName: string
  /** Upper-case hex, as Electron gives it (base::HexEncode). */
  serialNumber: string
  /** Seconds since the epoch. */
  validStart: number
  /** Seconds since the epoch. */
  validExpiry: number
  /** `sha256/<base64 of the SHA-256 of the DER>`, as Electron gives it. */
  fingerprint: string
}

export interface CertificateVerdict {
  /** 0 or a Chromium certificate error number (-200, -201, -202 ...). */
  errorCode: number
  /** `net::OK`, `net::ERR_CERT_AUTHORITY_INVALID` ... */
  verificationResult: string
  isIssuedByKnownRoot: boolean
  /** The chain as the server sent it, leaf first. */
  presented: X509Certificate[]
  /** The chain as verified: up to the trusted root when there is one, else as presented. */
  validated: X509Certificate[]
}

/** `net::OK`, `net::ERR_CERT_AUTHORITY_INVALID` ...: how Chromium (and Electron) spell a verdict. */
export function verdictName(errorCode: number): string {
  return errorCode === 0 ? 'net::OK' : `net::${netErrorName(errorCode) ?? 'ERR_FAILED'}`
}

let roots: X509Certificate[] | undefined

function trustedRoots(): X509Certificate[] {
  roots ??= rootCertificates.flatMap((pem) => {
    try {
      return [new X509Certificate(pem)]
    } catch {
      return []
    }
  })
  return roots
}

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo (the spki-list form). */
export function spkiHashOf(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.publicKey.export({ type: 'spki', format: 'der' })).digest('base64')
}

function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
  try {
    return subject.checkIssued(issuer) && subject.verify(issuer.publicKey)
  } catch {
    return false
  }
}

/** The path from the leaf to a trusted root (root last), or null when there is none. */
function pathToRoot(presented: readonly X509Certificate[], anchors: readonly X509Certificate[]): X509Certificate[] | null {
  const leaf = presented[0]
  if (!leaf) return null
  const path = [leaf]
  for (let depth = 0; depth < 10; depth++) {
    const current = path[path.length - 1] as X509Certificate
    const anchor = anchors.find((root) => root.raw.equals(current.raw) || issued(root, current))
    if (anchor) {
      if (!anchor.raw.equals(current.raw)) path.push(anchor)
      return path
    }
    const next = presented.find((candidate) => !path.includes(candidate) && issued(candidate, current))
    if (!next) return null
    path.push(next)
  }
  return null
}

function namesHost(certificate: X509Certificate, hostname: string): boolean {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  if (isIP(host) !== 0) return certificate.checkIP(host) !== undefined
  return certificate.checkHost(host, { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false }) !== undefined
}

function withinValidity(certificate: X509Certificate, now: number): boolean {
  return Date.parse(certificate.validFrom) <= now && now <= Date.parse(certificate.validTo)
}

export interface VerifyOptions {
  /** SPKI hashes (base64) whose chains are accepted as they are (the browser's spki list). */
  ignoreErrorsSpki?: ReadonlySet<string>
  /** Roots to trust instead of Node's bundled store (tests). */
  roots?: readonly X509Certificate[]
  /** Node's own handshake found the chain trusted (its store may hold NODE_EXTRA_CA_CERTS). */
  nodeTrusted?: boolean
  now?: number
}

/** Chromium's verdict for `presented` (leaf first) shown by `hostname`. */
export function verifyChain(presented: readonly X509Certificate[], hostname: string, options: VerifyOptions = {}): CertificateVerdict {
  const leaf = presented[0]
  const chain = [...presented]
  if (!leaf) return { errorCode: -207, verificationResult: 'net::ERR_CERT_INVALID', isIssuedByKnownRoot: false, presented: chain, validated: chain }
  const spki = options.ignoreErrorsSpki
  if (spki && spki.size > 0 && presented.some((certificate) => spki.has(spkiHashOf(certificate)))) {
    return { errorCode: 0, verificationResult: 'net::OK', isIssuedByKnownRoot: false, presented: chain, validated: chain }
  }
  const path = pathToRoot(presented, options.roots ?? trustedRoots())
  const trusted = path !== null || options.nodeTrusted === true
  const now = options.now ?? Date.now()
  // The trust anchor's own dates do not count (Chromium's path builder ignores them).
  const checked = path ? path.slice(0, -1) : chain
  let errorCode = 0
  if (!trusted) errorCode = -202
  else if (!namesHost(leaf, hostname)) errorCode = -200
  else if (!checked.every((certificate) => withinValidity(certificate, now))) errorCode = -201
  return {
    errorCode,
    verificationResult: verdictName(errorCode),
    isIssuedByKnownRoot: path !== null && options.roots === undefined,
    presented: chain,
    validated: path ?? chain,
  }
}

function field(text: string, key: string): string[] {
  // Node gives a distinguished name as `KEY=value` lines, escaped values quoted.
  const values: string[] = []
  for (const line of text.split('\n')) {
    const at = line.indexOf('=')
    if (at <= 0 || line.slice(0, at) !== key) continue
    let value = line.slice(at + 1)
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = JSON.parse(value) as string
    values.push(value)
  }
  return values
}

function principalOf(text: string): CertificatePrincipal {
  return {
    commonName: field(text, 'CN')[0] ?? '',
    organizations: field(text, 'O'),
    organizationUnits: field(text, 'OU'),
    locality: field(text, 'L')[0] ?? '',
    state: field(text, 'ST')[0] ?? '',
    country: field(text, 'C')[0] ?? '',
  }
}

/** Electron's Certificate for `chain[0]`, its issuerCert being the rest of the chain. */
export function toElectronCertificate(chain: readonly X509Certificate[]): Certificate {
  const [first, ...rest] = chain
  if (!first) throw new TypeError('an empty certificate chain')
  const issuer = principalOf(first.issuer)
  const subject = principalOf(first.subject)
  const certificate: Certificate = {
    data: first.toString(),
    issuer,
    issuerName: issuer.commonName,
    subject,
    subjectName: subject.commonName,
    serialNumber: first.serialNumber.toUpperCase(),
    validStart: Math.floor(Date.parse(first.validFrom) / 1000),
    validExpiry: Math.floor(Date.parse(first.validTo) / 1000),
    fingerprint: `sha256/${createHash('sha256').update(first.raw).digest('base64')}`,
  }
  if (rest.length > 0 && !first.raw.equals(rest[0]?.raw ?? Buffer.alloc(0))) certificate.issuerCert = toElectronCertificate(rest)
  return certificate
}

/** The chain a TLS client socket received, leaf first, as X509Certificates (no repeats). */
export function peerChain(peer: { raw?: Buffer; issuerCertificate?: unknown } | null | undefined): X509Certificate[] {
  const chain: X509Certificate[] = []
  let current = peer
  while (current?.raw && chain.length < 16) {
    const raw = current.raw
    if (chain.some((certificate) => certificate.raw.equals(raw))) break
    chain.push(new X509Certificate(raw))
    current = current.issuerCertificate as typeof peer
  }
  return chain
}
