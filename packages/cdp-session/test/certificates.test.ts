// The verdict the gateway works out for a chain (net/certificates.ts), on certificates made
// here with @peculiar/x509: Chromium's precedence (authority, then name, then dates), the
// browser's SPKI allow-list, and Electron's Certificate object.
import { createHash, webcrypto, X509Certificate } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { beforeAll, describe, expect, it } from 'vitest'
import { spkiHashOf, toElectronCertificate, verifyChain } from '../src/net/certificates.js'

const crypto = webcrypto as unknown as Crypto
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const DAY = 24 * 3600_000
const now = Date.now()

let ca: X509Certificate
let otherCa: X509Certificate
const leaves: Record<string, X509Certificate> = {}

async function authority(name: string): Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair }> {
  const keys = (await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify'])) as CryptoKeyPair
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: '01', name, notBefore: new Date(now - DAY), notAfter: new Date(now + 9 * DAY), signingAlgorithm: ALGORITHM, keys, extensions: [new x509.BasicConstraintsExtension(true, 0, true)] },
    crypto,
  )
  return { cert, keys }
}

async function leaf(issuer: { cert: x509.X509Certificate; keys: CryptoKeyPair }, names: string[], from: number, to: number, serial: string): Promise<X509Certificate> {
  const keys = (await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify'])) as CryptoKeyPair
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial,
      subject: `CN=${names[0] ?? 'none'}, O=Unit, O=Second Org, OU=Team, L=Town, ST=State, C=FR`,
      issuer: issuer.cert.subject,
      notBefore: new Date(from),
      notAfter: new Date(to),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: issuer.keys.privateKey,
      extensions: names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names.map((value) => (/^[\d.]+$/.test(value) ? { type: 'ip' as const, value } : { type: 'dns' as const, value })))] : [],
    },
    crypto,
  )
  return new X509Certificate(cert.toString('pem'))
}

beforeAll(async () => {
  const root = await authority('CN=Unit Root, O=Unit')
  const other = await authority('CN=Other Root')
  ca = new X509Certificate(root.cert.toString('pem'))
  otherCa = new X509Certificate(other.cert.toString('pem'))
  leaves.good = await leaf(root, ['a.example', '*.wild.example', '10.0.0.1'], now - DAY, now + DAY, '0badc0de')
  leaves.expired = await leaf(root, ['a.example'], now - 3 * DAY, now - DAY, '02')
  leaves.future = await leaf(root, ['a.example'], now + DAY, now + 2 * DAY, '03')
  leaves.noSan = await leaf(root, [], now - DAY, now + DAY, '04')
  leaves.expiredWrongHost = await leaf(root, ['b.example'], now - 3 * DAY, now - DAY, '05')
  leaves.foreign = await leaf(other, ['a.example'], now - 3 * DAY, now - DAY, '06')
})

describe('verifyChain', () => {
  it('a chain to a trusted root naming the host is net::OK; its validated chain ends at the root', () => {
    const verdict = verifyChain([leaves.good as X509Certificate, ca], 'a.example', { roots: [ca] })
    expect([verdict.errorCode, verdict.verificationResult]).toEqual([0, 'net::OK'])
    expect(verdict.validated.map((c) => c.fingerprint256)).toEqual([leaves.good?.fingerprint256, ca.fingerprint256])
    // The root found in the store when the server leaves it out.
    expect(verifyChain([leaves.good as X509Certificate], 'a.example', { roots: [ca] }).validated).toHaveLength(2)
  })

  it('names: wildcards cover one label, IP addresses need an IP entry, the common name is ignored', () => {
    const chain = [leaves.good as X509Certificate, ca]
    expect(verifyChain(chain, 'x.wild.example', { roots: [ca] }).errorCode).toBe(0)
    expect(verifyChain(chain, 'y.x.wild.example', { roots: [ca] }).errorCode).toBe(-200)
    expect(verifyChain(chain, '10.0.0.1', { roots: [ca] }).errorCode).toBe(0)
    expect(verifyChain(chain, 'b.example', { roots: [ca] }).verificationResult).toBe('net::ERR_CERT_COMMON_NAME_INVALID')
    expect(verifyChain([leaves.noSan as X509Certificate, ca], 'none', { roots: [ca] }).errorCode).toBe(-200)
  })

  it('dates: expired and not yet valid are ERR_CERT_DATE_INVALID', () => {
    expect(verifyChain([leaves.expired as X509Certificate, ca], 'a.example', { roots: [ca] }).verificationResult).toBe('net::ERR_CERT_DATE_INVALID')
    expect(verifyChain([leaves.future as X509Certificate, ca], 'a.example', { roots: [ca] }).errorCode).toBe(-201)
  })

  it("precedence as Chromium's: authority before name before date", () => {
    expect(verifyChain([leaves.expiredWrongHost as X509Certificate, ca], 'a.example', { roots: [ca] }).errorCode).toBe(-200)
    expect(verifyChain([leaves.foreign as X509Certificate, otherCa], 'a.example', { roots: [ca] }).errorCode).toBe(-202)
    // An untrusted root is not made trusted by being sent along.
    expect(verifyChain([leaves.good as X509Certificate, ca], 'a.example', { roots: [otherCa] }).errorCode).toBe(-202)
    // Nothing of the bundled store signed a test certificate.
    const bundled = verifyChain([leaves.good as X509Certificate, ca], 'a.example')
    expect([bundled.errorCode, bundled.isIssuedByKnownRoot]).toEqual([-202, false])
  })

  it("a chain holding a key of the browser's --ignore-certificate-errors-spki-list is OK whatever else is wrong", () => {
    const list = new Set([spkiHashOf(ca)])
    expect(verifyChain([leaves.expiredWrongHost as X509Certificate, ca], 'a.example', { ignoreErrorsSpki: list }).errorCode).toBe(0)
    expect(verifyChain([leaves.foreign as X509Certificate, otherCa], 'a.example', { ignoreErrorsSpki: list }).errorCode).toBe(-202)
  })
})

describe('toElectronCertificate', () => {
  it("gives Electron's fields: PEM, principals, hex serial, seconds, sha256/base64 fingerprint, issuerCert chain", () => {
    const good = leaves.good as X509Certificate
    const certificate = toElectronCertificate([good, ca])
    expect(certificate).toEqual({
      data: good.toString(),
      subject: { commonName: 'a.example', organizations: ['Unit', 'Second Org'], organizationUnits: ['Team'], locality: 'Town', state: 'State', country: 'FR' },
      subjectName: 'a.example',
      issuer: { commonName: 'Unit Root', organizations: ['Unit'], organizationUnits: [], locality: '', state: '', country: '' },
      issuerName: 'Unit Root',
      serialNumber: '0BADC0DE',
      validStart: Math.floor(Date.parse(good.validFrom) / 1000),
      validExpiry: Math.floor(Date.parse(good.validTo) / 1000),
      fingerprint: `sha256/${createHash('sha256').update(good.raw).digest('base64')}`,
      issuerCert: toElectronCertificate([ca]),
    })
    expect(certificate.issuerCert?.issuerCert).toBeUndefined()
  })
})
