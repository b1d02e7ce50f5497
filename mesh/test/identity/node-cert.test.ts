import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { beforeAll, describe, expect, it } from 'vitest'
import { certInfo, createCA, issueCert, type CertificateAuthority } from '@edgemesh/common'
import { issueNodeCert, verifyNodeCert, verifyNodeCertDetailed } from '../../src/identity/node-cert.js'

const newPeer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

describe('node certificates', () => {
  let ca: CertificateAuthority
  let peer: PeerId
  beforeAll(async () => { ca = await createCA(); peer = await newPeer() })

  it('binds the node name and the peer id in the subject and URI SAN', async () => {
    const { certPem } = await issueNodeCert(ca, 'edge-1', peer)
    const info = certInfo(certPem)
    expect(info.commonName).toBe('system:node:edge-1')
    expect(info.organizations).toEqual(['system:nodes'])
    expect(info.uris).toEqual([`edgemesh:peer:${peer.toString()}`])
    expect(verifyNodeCert(certPem, ca.certPem, peer)).toBe('edge-1')
  })

  it('rejects a valid cert presented by a different peer id with CERT_MISMATCH', async () => {
    const { certPem } = await issueNodeCert(ca, 'edge-1', peer)
    const other = await newPeer()
    expect(() => verifyNodeCert(certPem, ca.certPem, other)).toThrow(expect.objectContaining({ code: 'CERT_MISMATCH' }))
  })

  it('rejects a cert from another CA with CERT_UNTRUSTED', async () => {
    const rogue = await createCA()
    const { certPem } = await issueNodeCert(rogue, 'edge-1', peer)
    expect(() => verifyNodeCert(certPem, ca.certPem, peer)).toThrow(expect.objectContaining({ code: 'CERT_UNTRUSTED' }))
  })

  it('rejects an expired cert with CERT_EXPIRED', async () => {
    const { certPem } = await issueNodeCert(ca, 'edge-1', peer, { days: 0 })
    expect(() => verifyNodeCert(certPem, ca.certPem, peer)).toThrow(expect.objectContaining({ code: 'CERT_EXPIRED' }))
  })

  it('rejects a revoked serial with CERT_REVOKED', async () => {
    const { certPem } = await issueNodeCert(ca, 'edge-1', peer)
    const serial = verifyNodeCertDetailed(certPem, ca.certPem, peer).serialNumber
    expect(() => verifyNodeCert(certPem, ca.certPem, peer, { revokedSerials: [serial.toUpperCase()] })).toThrow(expect.objectContaining({ code: 'CERT_REVOKED' }))
  })

  it('rejects a CA-signed cert that is not a node cert with CERT_INVALID', async () => {
    const { certPem } = await issueCert(ca, { commonName: 'admin', organizations: ['system:masters'], uris: [`edgemesh:peer:${peer.toString()}`] })
    expect(() => verifyNodeCert(certPem, ca.certPem, peer)).toThrow(expect.objectContaining({ code: 'CERT_INVALID' }))
  })

  it('rejects a node cert that carries two peer ids with CERT_MISMATCH', async () => {
    const other = await newPeer()
    const { certPem } = await issueCert(ca, { commonName: 'system:node:edge-1', organizations: ['system:nodes'], uris: [`edgemesh:peer:${peer.toString()}`, `edgemesh:peer:${other.toString()}`] })
    expect(() => verifyNodeCert(certPem, ca.certPem, peer)).toThrow(expect.objectContaining({ code: 'CERT_MISMATCH' }))
  })

  it('rejects garbage PEM with CERT_INVALID', () => {
    expect(() => verifyNodeCert('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', ca.certPem, peer)).toThrow(expect.objectContaining({ code: 'CERT_INVALID' }))
  })

  it('refuses to issue for an invalid node name', async () => {
    await expect(issueNodeCert(ca, 'Bad_Name', peer)).rejects.toMatchObject({ code: 'CERT_INVALID' })
  })
})
