import { CertificateError, issueCert, verifyCert, type CertificateAuthority, type KeyAndCert } from '@edgemesh/common'
import type { PeerId } from '@libp2p/interface'

/** URI SAN scheme binding a certificate to a libp2p peer id: `edgemesh:peer:<base58btc peer id>`. */
export const PEER_URI_PREFIX = 'edgemesh:peer:'
/** Common-name prefix shared with Kubernetes node identities: `system:node:<nodeName>`. */
export const NODE_CN_PREFIX = 'system:node:'
/** Organisation (group) every node certificate carries. */
export const NODE_ORGANIZATION = 'system:nodes'

// DNS-1123 subdomain, like Kubernetes node names.
const NODE_NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export function isValidNodeName (name: string): boolean {
  return name.length > 0 && name.length <= 253 && NODE_NAME_RE.test(name)
}

export function peerUri (peerId: PeerId | string): string {
  return `${PEER_URI_PREFIX}${peerId.toString()}`
}

export interface IssueNodeCertOptions {
  /** @default 365 */
  days?: number
}

/**
 * Issues a node certificate from the cluster CA: CN `system:node:<nodeName>`, O `system:nodes`,
 * URI SAN `edgemesh:peer:<peerId>`. For keadm and tests; in production the same subject is requested
 * through a CSR at bootstrap and signed by the cloud.
 */
export async function issueNodeCert (ca: CertificateAuthority, nodeName: string, peerId: PeerId | string, opts: IssueNodeCertOptions = {}): Promise<KeyAndCert> {
  if (!isValidNodeName(nodeName)) throw new CertificateError('CERT_INVALID', `invalid node name "${nodeName}"`)
  return await issueCert(ca, {
    commonName: `${NODE_CN_PREFIX}${nodeName}`,
    organizations: [NODE_ORGANIZATION],
    uris: [peerUri(peerId)]
  }, { usage: 'both', days: opts.days })
}

export interface VerifyNodeCertOptions {
  /** Serial numbers (hex) that are revoked. */
  revokedSerials?: Iterable<string>
  /** @default now */
  at?: Date
}

export interface NodeCertInfo {
  nodeName: string
  serialNumber: string
  notAfter: Date
}

/**
 * Checks a peer's node certificate and returns the node name it proves. Throws CertificateError:
 * CERT_INVALID (garbage, not a node cert), CERT_UNTRUSTED (not signed by the CA), CERT_EXPIRED,
 * CERT_REVOKED, CERT_MISMATCH (the peer-id SAN is missing, repeated or not `expectedPeerId`).
 */
export function verifyNodeCertDetailed (certPem: string, caPem: string, expectedPeerId: PeerId | string, opts: VerifyNodeCertOptions = {}): NodeCertInfo {
  const info = verifyCert(certPem, caPem, { at: opts.at, revokedSerials: opts.revokedSerials })
  if (!info.commonName.startsWith(NODE_CN_PREFIX) || !info.organizations.includes(NODE_ORGANIZATION)) {
    throw new CertificateError('CERT_INVALID', `certificate "${info.commonName}" is not a node certificate (want CN ${NODE_CN_PREFIX}<node>, O ${NODE_ORGANIZATION})`)
  }
  const nodeName = info.commonName.slice(NODE_CN_PREFIX.length)
  if (!isValidNodeName(nodeName)) throw new CertificateError('CERT_INVALID', `certificate names an invalid node "${nodeName}"`)
  const peers = info.uris.filter(u => u.startsWith(PEER_URI_PREFIX))
  // Exactly one binding: a cert naming several peer ids would let one node lend its identity.
  if (peers.length !== 1) throw new CertificateError('CERT_MISMATCH', `certificate for node "${nodeName}" carries ${peers.length} peer id SANs, want exactly 1`)
  const expected = peerUri(expectedPeerId)
  if (peers[0] !== expected) {
    throw new CertificateError('CERT_MISMATCH', `certificate for node "${nodeName}" binds ${peers[0] ?? ''}, but the connection is from ${expected}`)
  }
  return { nodeName, serialNumber: info.serialNumber, notAfter: info.notAfter }
}

/** Like verifyNodeCertDetailed, returning only the node name. */
export function verifyNodeCert (certPem: string, caPem: string, expectedPeerId: PeerId | string, opts: VerifyNodeCertOptions = {}): string {
  return verifyNodeCertDetailed(certPem, caPem, expectedPeerId, opts).nodeName
}
