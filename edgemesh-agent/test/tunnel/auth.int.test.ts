import { noise } from '@chainsafe/libp2p-noise'
import { eventually, createCA, type CertificateAuthority } from '@edgemesh/common'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueNodeCert, verifyNodeCertDetailed } from '@edgemesh/mesh'
import type { PeerAuthFailedDetail } from '@edgemesh/mesh'
import { TUNNEL_PROTOCOL, decodeResponseBody, encodeRequest, readFrame } from '../../src/tunnel/header.js'
import { echoServer, newCA, startPeer, type TestPeer } from './helpers.js'

const until = async (cond: () => boolean, ms = 5000): Promise<void> => { await eventually(cond, ms, 'condition', 25) }

describe('mesh authentication keeps impostors out of the tunnel', () => {
  let ca: CertificateAuthority
  let b: TestPeer
  let echo: Awaited<ReturnType<typeof echoServer>>
  let revokedKey: PrivateKey
  let revokedCert: string
  const failures: PeerAuthFailedDetail[] = []
  const attackers: TestPeer[] = []

  beforeAll(async () => {
    ca = await newCA()
    echo = await echoServer()
    revokedKey = await generateKeyPair('Ed25519')
    revokedCert = (await issueNodeCert(ca, 'node-r', peerIdFromPrivateKey(revokedKey))).certPem
    const serial = verifyNodeCertDetailed(revokedCert, ca.certPem, peerIdFromPrivateKey(revokedKey)).serialNumber
    b = await startPeer(ca, 'node-b', {
      policy: { allow: (_p, t) => t.port === echo.port },
      revokedSerials: [serial],
      authTimeoutMs: 1500
    })
    b.node.services.auth.addEventListener('peer:auth-failed', (e) => { failures.push(e.detail) })
  })

  afterAll(async () => {
    for (const x of attackers) await x.node.stop()
    await b?.node.stop()
    await echo?.close()
  })

  async function attack (name: string, certFor: (key: PrivateKey) => Promise<string>, key?: PrivateKey): Promise<{ err: unknown, attacker: TestPeer }> {
    const k = key ?? await generateKeyPair('Ed25519')
    const attacker = await startPeer(ca, name, { certPem: await certFor(k), key: k })
    attackers.push(attacker)
    attacker.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId.toString(), addrs: [b.addr] })
    const err = await attacker.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(8000)).then(() => undefined, (e: unknown) => e)
    return { err, attacker }
  }

  async function expectShutOut (attacker: TestPeer, code: string): Promise<void> {
    expect(failures.some(f => f.peerId.equals(attacker.peerId) && f.code === code)).toBe(true)
    expect(b.node.services.auth.nodeNameOf(attacker.peerId)).toBeUndefined()
    expect(b.node.services.auth.isAuthorized(attacker.peerId)).toBe(false)
    await until(() => b.node.getConnections(attacker.peerId).length === 0)
    expect(echo.accepted()).toBe(0)
  }

  it('rejects a valid CA cert of another node presented with a different key (CERT_MISMATCH)', async () => {
    const victim = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const stolen = (await issueNodeCert(ca, 'node-v', victim)).certPem
    const { err, attacker } = await attack('node-v', async () => stolen)
    expect(err).toMatchObject({ code: 'AUTH_FAILED', reason: 'CERT_MISMATCH' })
    await expectShutOut(attacker, 'CERT_MISMATCH')
  })

  it('rejects a cert from a self-made CA (CERT_UNTRUSTED)', async () => {
    const rogue = await createCA({ commonName: 'rogue' })
    const { err, attacker } = await attack('node-s', async (k) => (await issueNodeCert(rogue, 'node-s', peerIdFromPrivateKey(k))).certPem)
    expect(err).toMatchObject({ code: 'AUTH_FAILED', reason: 'CERT_UNTRUSTED' })
    await expectShutOut(attacker, 'CERT_UNTRUSTED')
  })

  it('rejects an expired cert (CERT_EXPIRED)', async () => {
    const { err, attacker } = await attack('node-e', async (k) => (await issueNodeCert(ca, 'node-e', peerIdFromPrivateKey(k), { days: 0 })).certPem)
    expect(err).toMatchObject({ code: 'AUTH_FAILED', reason: 'CERT_EXPIRED' })
    await expectShutOut(attacker, 'CERT_EXPIRED')
  })

  it('rejects a revoked cert (CERT_REVOKED)', async () => {
    const { err, attacker } = await attack('node-r', async () => revokedCert, revokedKey)
    expect(err).toMatchObject({ code: 'AUTH_FAILED', reason: 'CERT_REVOKED' })
    await expectShutOut(attacker, 'CERT_REVOKED')
  })

  it('refuses a new connection from a peer that just failed', async () => {
    const victim = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const stolen = (await issueNodeCert(ca, 'node-w', victim)).certPem
    const { attacker } = await attack('node-w', async () => stolen)
    await until(() => attacker.node.getConnections(b.peerId).length === 0)
    await expect(attacker.node.dial(multiaddr(b.addr), { signal: AbortSignal.timeout(3000) }).then(async (c) => {
      // The gater may let the TCP+Noise handshake finish on our side; the connection must not survive.
      await until(() => c.status !== 'open', 3000)
      throw new Error('closed')
    })).rejects.toThrow()
  })

  it('answers a tunnel stream from a peer without any certificate with AUTH_REQUIRED and drops the connection', async () => {
    const raw = await createLibp2p({
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()]
    })
    try {
      const conn = await raw.dial(multiaddr(b.addr))
      const s = await conn.newStream(TUNNEL_PROTOCOL, { signal: AbortSignal.timeout(3000) })
      s.send(encodeRequest({ protocol: 'tcp', nodeName: 'node-b', ip: '127.0.0.1', port: echo.port }))
      const res = decodeResponseBody(await readFrame(s, AbortSignal.timeout(3000)))
      expect(res).toMatchObject({ ok: false, code: 'AUTH_REQUIRED' })
      await until(() => conn.status !== 'open')
      expect(echo.accepted()).toBe(0)
    } finally {
      await raw.stop()
    }
  })

  it('disconnects a peer that connects but never authenticates', async () => {
    const raw = await createLibp2p({ addresses: { listen: [] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    try {
      const conn = await raw.dial(multiaddr(b.addr))
      expect(conn.status).toBe('open')
      await until(() => conn.status !== 'open', 5000)
      expect(failures.some(f => f.peerId.equals(raw.peerId) && f.code === 'AUTH_TIMEOUT')).toBe(true)
    } finally {
      await raw.stop()
    }
  })

  it('lets the dialer reject a listener whose cert binds another peer id', async () => {
    const victim = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const k = await generateKeyPair('Ed25519')
    const fake = await startPeer(ca, 'node-f', { key: k, certPem: (await issueNodeCert(ca, 'node-f', victim)).certPem, policy: { allow: () => true } })
    attackers.push(fake)
    const honest = await startPeer(ca, 'node-h')
    attackers.push(honest)
    honest.node.services.tunnel.setStaticPeer('node-f', { peerId: fake.peerId.toString(), addrs: [fake.addr] })
    await expect(honest.node.services.tunnel.openTcp('node-f', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(8000)))
      .rejects.toMatchObject({ code: 'AUTH_FAILED', reason: 'CERT_MISMATCH' })
    expect(echo.accepted()).toBe(0)
  })
})
