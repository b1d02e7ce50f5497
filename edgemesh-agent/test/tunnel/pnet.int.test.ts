import { generateKey } from '@libp2p/pnet'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CertificateAuthority } from '@edgemesh/common'
import { newCA, startPeer, type TestPeer } from './helpers.js'

describe('optional pre-shared key (pnet)', () => {
  let ca: CertificateAuthority
  const psk = new Uint8Array(95)
  const otherPsk = new Uint8Array(95)
  const peers: TestPeer[] = []

  beforeAll(async () => {
    ca = await newCA()
    generateKey(psk)
    generateKey(otherPsk)
  })
  afterAll(async () => { for (const p of peers) await p.node.stop() })

  it('lets peers with the same key connect and authenticate', async () => {
    const b = await startPeer(ca, 'node-b', { extra: { psk } })
    const a = await startPeer(ca, 'node-a', { extra: { psk } })
    peers.push(a, b)
    await a.node.dial(multiaddr(b.addr), { signal: AbortSignal.timeout(5000) })
    expect(await a.node.services.auth.waitForAuth(b.peerId, AbortSignal.timeout(5000))).toBe('node-b')
  })

  it('stops a peer with a different key before any certificate is exchanged', async () => {
    const b = await startPeer(ca, 'node-c', { extra: { psk } })
    const a = await startPeer(ca, 'node-d', { extra: { psk: otherPsk } })
    peers.push(a, b)
    await expect(a.node.dial(multiaddr(b.addr), { signal: AbortSignal.timeout(2000) })).rejects.toThrow()
    expect(b.node.services.auth.nodeNameOf(a.peerId)).toBeUndefined()
  })
})
