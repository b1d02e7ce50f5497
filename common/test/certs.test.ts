import { describe, expect, it } from 'vitest'
import { caHash, certInfo, createCA, createCsr, hasCode, issueCert, signCsr, verifyCert } from '../src/index.js'

describe('certs', () => {
  it('issues a node certificate from a CSR that verifies against the CA', async () => {
    const ca = await createCA({ commonName: 'test-ca' })
    const { csrPem } = await createCsr({ commonName: 'system:node:edge-1', organizations: ['system:nodes'], uris: ['libp2p:peer:12D3KooWabc'] })
    const cert = await signCsr(ca, csrPem, { usage: 'client', days: 30 })
    const info = verifyCert(cert, ca.certPem)
    expect(info.commonName).toBe('system:node:edge-1')
    expect(info.organizations).toEqual(['system:nodes'])
    expect(info.uris).toEqual(['libp2p:peer:12D3KooWabc'])
  })

  it('rejects a certificate from another CA as CERT_UNTRUSTED', async () => {
    const ca = await createCA()
    const other = await createCA()
    const { certPem } = await issueCert(other, { commonName: 'mallory' })
    expect(() => verifyCert(certPem, ca.certPem)).toThrow(expect.objectContaining({ code: 'CERT_UNTRUSTED' }))
  })

  it('rejects an expired certificate as CERT_EXPIRED and a revoked one as CERT_REVOKED', async () => {
    const ca = await createCA()
    const { certPem } = await issueCert(ca, { commonName: 'n', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }, { days: 1 })
    expect(() => verifyCert(certPem, ca.certPem, { at: new Date(Date.now() + 3 * 86_400_000) })).toThrow(expect.objectContaining({ code: 'CERT_EXPIRED' }))
    const serial = certInfo(certPem).serialNumber
    try { verifyCert(certPem, ca.certPem, { revokedSerials: [serial.toUpperCase()] }); expect.fail('not revoked') } catch (err) { expect(hasCode(err, 'CERT_REVOKED')).toBe(true) }
  })

  it('rejects garbage as CERT_INVALID', async () => {
    const ca = await createCA()
    expect(() => certInfo('not a cert')).toThrow(expect.objectContaining({ code: 'CERT_INVALID' }))
    await expect(signCsr(ca, '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----')).rejects.toMatchObject({ code: 'CERT_INVALID' })
  })

  it('computes a stable 64-hex CA hash', async () => {
    const ca = await createCA()
    expect(caHash(ca.certPem)).toMatch(/^[0-9a-f]{64}$/)
    expect(caHash(ca.certPem)).toBe(caHash(ca.certPem))
  })
})
