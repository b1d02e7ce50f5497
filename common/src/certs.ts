import 'reflect-metadata'
import { createHash, webcrypto, X509Certificate as NodeX509 } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { CertificateError } from './errors.js'

// Certificates use ECDSA P-256: small, fast and understood by Node's TLS, kubectl and libp2p tooling.
type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair
const crypto = webcrypto
x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])
const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }

export interface CertificateAuthority { certPem: string, keyPem: string }
export interface KeyAndCert { certPem: string, keyPem: string }

export type CertUsage = 'server' | 'client' | 'both'

export interface CertSubject {
  commonName: string
  /** Mapped to O= (Kubernetes groups, e.g. system:nodes). */
  organizations?: string[]
  dnsNames?: string[]
  ipAddresses?: string[]
  /** URI SANs, e.g. `libp2p:peer:<peerId>` binding a node to its libp2p key. */
  uris?: string[]
}

export interface CertInfo {
  commonName: string
  organizations: string[]
  dnsNames: string[]
  ipAddresses: string[]
  uris: string[]
  serialNumber: string
  notBefore: Date
  notAfter: Date
  /** Hex SHA-256 of the DER encoding. */
  fingerprint256: string
  issuer: string
}

async function generateKeys (): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair
}

async function exportKeyPem (key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key)
  return x509.PemConverter.encode(der, 'PRIVATE KEY')
}

async function importPrivateKey (pem: string): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), ALG, true, ['sign'])
  } catch (err) {
    throw new CertificateError('CERT_INVALID', 'cannot import private key (expected a PKCS#8 P-256 key)', { cause: err })
  }
}

function randomSerial (): string {
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[0] = (b[0] ?? 0) & 0x7f // keep it positive
  return Buffer.from(b).toString('hex')
}

function subjectName (s: CertSubject): string {
  const esc = (v: string): string => v.replace(/([,+"\\<>;=])/g, '\\$1')
  const parts = [`CN=${esc(s.commonName)}`]
  for (const o of s.organizations ?? []) parts.push(`O=${esc(o)}`)
  return parts.join(', ')
}

function sanExtension (s: CertSubject): x509.SubjectAlternativeNameExtension | undefined {
  const names: x509.JsonGeneralName[] = [
    ...(s.dnsNames ?? []).map(v => ({ type: 'dns' as const, value: v })),
    ...(s.ipAddresses ?? []).map(v => ({ type: 'ip' as const, value: v })),
    ...(s.uris ?? []).map(v => ({ type: 'url' as const, value: v }))
  ]
  return names.length > 0 ? new x509.SubjectAlternativeNameExtension(names) : undefined
}

function days (n: number, from = new Date()): Date {
  return new Date(from.getTime() + n * 86_400_000)
}

/** Creates a self-signed CA (10 years by default). */
export async function createCA (opts: { commonName?: string, days?: number } = {}): Promise<CertificateAuthority> {
  const keys = await generateKeys()
  const name = `CN=${opts.commonName ?? 'edgemesh-ca'}`
  const notBefore = new Date(Date.now() - 60_000)
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore,
    notAfter: days(opts.days ?? 3650, notBefore),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)
    ]
  })
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) }
}

/** Creates a key pair and a PKCS#10 CSR for it (what a joining node sends to bootstrap). */
export async function createCsr (subject: CertSubject): Promise<{ csrPem: string, keyPem: string }> {
  const keys = await generateKeys()
  const san = sanExtension(subject)
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subjectName(subject),
    keys,
    signingAlgorithm: ALG,
    extensions: san !== undefined ? [san] : []
  })
  return { csrPem: csr.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) }
}

export interface SignOptions {
  usage?: CertUsage
  /** @default 365 */
  days?: number
  /** When given, replaces the subject/SANs the CSR asked for (the signer decides what it vouches for). */
  subject?: CertSubject
}

/** Signs a CSR with the CA. The CSR's own signature is checked first. */
export async function signCsr (ca: CertificateAuthority, csrPem: string, opts: SignOptions = {}): Promise<string> {
  let csr: x509.Pkcs10CertificateRequest
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem)
  } catch (err) {
    throw new CertificateError('CERT_INVALID', 'cannot parse certificate signing request', { cause: err })
  }
  if (!await csr.verify()) throw new CertificateError('CERT_INVALID', 'CSR signature does not verify')
  const requested: CertSubject = opts.subject ?? subjectFromCsr(csr)
  return await issue(ca, requested, await csr.publicKey.export(ALG as any, ['verify'], crypto as any) as CryptoKey, opts)
}

/** Issues a key pair and certificate in one step (keadm, tests, the API server's own serving cert). */
export async function issueCert (ca: CertificateAuthority, subject: CertSubject, opts: Omit<SignOptions, 'subject'> = {}): Promise<KeyAndCert> {
  const keys = await generateKeys()
  const certPem = await issue(ca, subject, keys.publicKey, opts)
  return { certPem, keyPem: await exportKeyPem(keys.privateKey) }
}

async function issue (ca: CertificateAuthority, subject: CertSubject, publicKey: CryptoKey, opts: SignOptions): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem)
  const caKey = await importPrivateKey(ca.keyPem)
  const usage = opts.usage ?? 'both'
  const eku: string[] = []
  if (usage !== 'client') eku.push(x509.ExtendedKeyUsage.serverAuth)
  if (usage !== 'server') eku.push(x509.ExtendedKeyUsage.clientAuth)
  const notBefore = new Date(Date.now() - 60_000)
  const san = sanExtension(subject)
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: subjectName(subject),
    issuer: caCert.subject,
    notBefore,
    notAfter: days(opts.days ?? 365, notBefore),
    signingAlgorithm: ALG,
    publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(eku, false),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      ...(san !== undefined ? [san] : [])
    ]
  })
  return cert.toString('pem')
}

function subjectFromCsr (csr: x509.Pkcs10CertificateRequest): CertSubject {
  const ext = csr.extensions.find((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension)
  return readSubject(csr.subjectName, ext)
}

/** CN, O= and the DNS/IP/URI SANs of a CSR or certificate, every list present. */
function readSubject (name: x509.Name, san: x509.SubjectAlternativeNameExtension | null | undefined): Required<CertSubject> {
  const s: Required<CertSubject> = { commonName: '', organizations: [], dnsNames: [], ipAddresses: [], uris: [] }
  for (const rdn of name.toJSON()) {
    for (const [k, v] of Object.entries(rdn)) {
      if (k === 'CN') s.commonName = v[0] ?? ''
      if (k === 'O') s.organizations.push(...v)
    }
  }
  for (const n of san?.names.toJSON() ?? []) {
    if (n.type === 'dns') s.dnsNames.push(n.value)
    else if (n.type === 'ip') s.ipAddresses.push(n.value)
    else if (n.type === 'url') s.uris.push(n.value)
  }
  return s
}

/** Reads the fields that identity checks need. Throws CERT_INVALID on garbage. */
export function certInfo (certPem: string): CertInfo {
  let cert: x509.X509Certificate
  try {
    cert = new x509.X509Certificate(certPem)
  } catch (err) {
    throw new CertificateError('CERT_INVALID', 'cannot parse certificate', { cause: err })
  }
  return {
    ...readSubject(cert.subjectName, cert.getExtension(x509.SubjectAlternativeNameExtension)),
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    fingerprint256: createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex'),
    issuer: cert.issuer
  }
}

export interface VerifyOptions {
  /** @default now */
  at?: Date
  /** Serial numbers (hex, case-insensitive) that are revoked. */
  revokedSerials?: Iterable<string>
}

/**
 * Verifies that `certPem` was signed by `caPem` and is valid at `at`. Throws CertificateError with
 * CERT_INVALID, CERT_UNTRUSTED, CERT_EXPIRED or CERT_REVOKED. Returns the parsed fields.
 */
export function verifyCert (certPem: string, caPem: string, opts: VerifyOptions = {}): CertInfo {
  const info = certInfo(certPem)
  let leaf: NodeX509, ca: NodeX509
  try {
    leaf = new NodeX509(certPem)
    ca = new NodeX509(caPem)
  } catch (err) {
    throw new CertificateError('CERT_INVALID', 'cannot parse certificate', { cause: err })
  }
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) {
    throw new CertificateError('CERT_UNTRUSTED', `certificate "${info.commonName}" is not signed by the cluster CA`)
  }
  const at = opts.at ?? new Date()
  if (at < info.notBefore || at > info.notAfter) {
    throw new CertificateError('CERT_EXPIRED', `certificate "${info.commonName}" is not valid at ${at.toISOString()} (valid ${info.notBefore.toISOString()} .. ${info.notAfter.toISOString()})`)
  }
  if (opts.revokedSerials !== undefined) {
    const serial = info.serialNumber.toLowerCase()
    for (const r of opts.revokedSerials) {
      if (r.toLowerCase() === serial) throw new CertificateError('CERT_REVOKED', `certificate "${info.commonName}" (serial ${serial}) is revoked`)
    }
  }
  return info
}

/** Hex SHA-256 of the CA certificate's DER: the pin a joining node checks (first half of a join token). */
export function caHash (caPem: string): string {
  return createHash('sha256').update(Buffer.from(x509.PemConverter.decodeFirst(caPem))).digest('hex').toString()
}
