import { webcrypto } from 'node:crypto'
import { isValidNodeName } from '@edgemesh/common/hub-protocol'
import * as x509 from '@peculiar/x509'
import { BootstrapError } from './errors.js'
import { sha256Hex } from './join-token.js'

export interface ParsedCsr {
  pem: string
  nodeName: string
  /** Hex SHA-256 of the SubjectPublicKeyInfo DER: identifies the node's key across CSRs and certs. */
  keyFingerprint: string
  /** Hex SHA-256 of the CSR DER: identifies this exact request (replay detection). */
  csrFingerprint: string
}

const NODE_PREFIX = 'system:node:'

/**
 * Parses a PEM CSR, checks its self-signature and reads the node name from its CN (`system:node:<name>`
 * or a bare `<name>`). Throws BootstrapError BOOTSTRAP_CSR_INVALID, BOOTSTRAP_CSR_SIGNATURE_INVALID or
 * BOOTSTRAP_NODE_NAME_INVALID.
 */
export async function parseNodeCsr (pem: string): Promise<ParsedCsr> {
  let csr: x509.Pkcs10CertificateRequest
  try {
    if (!pem.includes('-----BEGIN CERTIFICATE REQUEST-----')) throw new Error('no PEM CERTIFICATE REQUEST block')
    csr = new x509.Pkcs10CertificateRequest(pem)
  } catch (err) {
    throw new BootstrapError('BOOTSTRAP_CSR_INVALID', 'body is not a PEM certificate signing request', { cause: err })
  }
  let ok: boolean
  try { ok = await csr.verify(webcrypto as unknown as Parameters<typeof csr.verify>[0]) } catch { ok = false }
  if (!ok) throw new BootstrapError('BOOTSTRAP_CSR_SIGNATURE_INVALID', 'CSR signature does not verify with the public key it carries')
  let cn = ''
  for (const rdn of csr.subjectName.toJSON()) for (const [k, v] of Object.entries(rdn)) if (k === 'CN') cn = v[0] ?? ''
  const name = cn.startsWith(NODE_PREFIX) ? cn.slice(NODE_PREFIX.length) : cn
  if (!isValidNodeName(name)) throw new BootstrapError('BOOTSTRAP_NODE_NAME_INVALID', `CSR common name "${cn.slice(0, 300)}" is not system:node:<name> with a DNS-1123 name`)
  return {
    pem,
    nodeName: name,
    keyFingerprint: sha256Hex(new Uint8Array(csr.publicKey.rawData)),
    csrFingerprint: sha256Hex(new Uint8Array(csr.rawData))
  }
}

/** The node name in a node certificate's CN, or undefined when it is not a node certificate. */
export function nodeNameFromCn (cn: string): string | undefined {
  if (!cn.startsWith(NODE_PREFIX)) return undefined
  const n = cn.slice(NODE_PREFIX.length)
  return isValidNodeName(n) ? n : undefined
}
