// The certificates a session gateway shows the browser when it terminates a tunnel's TLS
// itself (tls-intercept.ts, a certificate verify proc that accepted a connection). One key
// pair, made once per Node process, serves every leaf; the browsers this process launches
// trust exactly that key through `--ignore-certificate-errors-spki-list` (its SPKI hash), so
// no certificate store is touched and nothing else is trusted. Leaves are signed by a CA made
// at run time too; @peculiar/x509 writes the certificates (docs/decisions.md).
import { createHash, generateKeyPairSync, randomBytes, webcrypto, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'
import { createSecureContext, type SecureContext } from 'node:tls'

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
/** How long a minted leaf is valid; it is made again well before (see LEAF_REUSE_MS). */
const LEAF_VALID_MS = 7 * 24 * 3600_000
const LEAF_REUSE_MS = 24 * 3600_000
const MAX_LEAVES = 512

interface LeafKey {
  privateKey: KeyObject
  spkiDer: Buffer
  /** base64 SHA-256 of the SPKI: the value `--ignore-certificate-errors-spki-list` takes. */
  spkiHash: string
}

let leafKey: LeafKey | undefined

function theLeafKey(): LeafKey {
  if (leafKey) return leafKey
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const spkiDer = publicKey.export({ type: 'spki', format: 'der' })
  leafKey = { privateKey, spkiDer, spkiHash: createHash('sha256').update(spkiDer).digest('base64') }
  return leafKey
}

/**
 * The SPKI hash of the key every interception leaf of this process carries, for
 * `--ignore-certificate-errors-spki-list` (made synchronously, without the X.509 library).
 */
export function interceptionSpkiHash(): string {
  return theLeafKey().spkiHash
}

interface Authority {
  x509: typeof import('@peculiar/x509')
  caPem: string
  ca: import('@peculiar/x509').X509Certificate
  caKey: CryptoKey
  leafPublicKey: CryptoKey
  leafKeyPem: string
}

let authority: Promise<Authority> | undefined

async function makeAuthority(): Promise<Authority> {
  // Loaded only when a session first intercepts a connection.
  const x509 = await import('@peculiar/x509')
  const crypto = webcrypto as unknown as Crypto
  const caKeys = (await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify'])) as CryptoKeyPair
  const now = Date.now()
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: `CN=cdp-session gateway ${process.pid} ${now.toString(36)}, O=cdp-session`,
      notBefore: new Date(now - 24 * 3600_000),
      notAfter: new Date(now + 10 * 365 * 24 * 3600_000),
      signingAlgorithm: ALGORITHM,
      keys: caKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  )
  const key = theLeafKey()
  const leafPublicKey = await crypto.subtle.importKey('spki', new Uint8Array(key.spkiDer), ALGORITHM, true, ['verify'])
  const leafKeyPem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  return { x509, caPem: ca.toString('pem'), ca, caKey: caKeys.privateKey, leafPublicKey, leafKeyPem }
}

function randomSerial(): string {
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0] ?? 0) & 0x7f // positive
  return bytes.toString('hex')
}

const leaves = new Map<string, { context: Promise<SecureContext>; made: number }>()

/** A TLS server context whose certificate names `hostname` (a DNS name or an IP address). */
export function leafContextFor(hostname: string): Promise<SecureContext> {
  const now = Date.now()
  const cached = leaves.get(hostname)
  if (cached && now - cached.made < LEAF_REUSE_MS) return cached.context
  const context = mintLeaf(hostname, now)
  leaves.delete(hostname)
  leaves.set(hostname, { context, made: now })
  while (leaves.size > MAX_LEAVES) {
    const oldest = leaves.keys().next().value
    if (oldest === undefined) break
    leaves.delete(oldest)
  }
  // A failure is not kept: the next connection tries again.
  context.catch(() => leaves.delete(hostname))
  return context
}

async function mintLeaf(hostname: string, now: number): Promise<SecureContext> {
  authority ??= makeAuthority()
  const { x509, ca, caKey, caPem, leafPublicKey, leafKeyPem } = await authority
  const crypto = webcrypto as unknown as Crypto
  const ip = isIP(hostname) !== 0
  const leaf = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: ip ? 'CN=cdp-session' : `CN=${hostname.replace(/[,+="\\<>;#]/g, '')}`.slice(0, 64),
      issuer: ca.subject,
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + LEAF_VALID_MS),
      signingAlgorithm: ALGORITHM,
      publicKey: leafPublicKey,
      signingKey: caKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: ip ? 'ip' : 'dns', value: hostname }]),
        await x509.AuthorityKeyIdentifierExtension.create(ca, false, crypto),
      ],
    },
    crypto,
  )
  return createSecureContext({ key: leafKeyPem, cert: `${leaf.toString('pem')}\n${caPem}` })
}
