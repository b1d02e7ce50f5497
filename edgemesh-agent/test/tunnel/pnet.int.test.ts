import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKey, preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { ConnectionProtector } from '@libp2p/interface'
import { pskProtector } from '../../src/tunnel/psk.js'
import { streamToDuplex } from '../../src/tunnel/stream-duplex.js'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CertificateAuthority } from '@edgemesh/common'
import { collect, newCA, startPeer, type TestPeer } from './helpers.js'

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

describe('pre-shared key wire format', () => {
  // Two bare libp2p nodes, one protected by @libp2p/pnet and one by ours: if the nonce exchange or
  // the keystream differed in any byte, Noise could not complete and nothing would echo back.
  const nodes: Libp2p[] = []
  afterAll(async () => { for (const n of nodes) await n.stop() })

  const start = async (protector: () => ConnectionProtector): Promise<Libp2p> => {
    const n = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionProtector: protector
    })
    nodes.push(n)
    return n
  }

  it('interoperates with @libp2p/pnet peers in both directions', async () => {
    const psk = new Uint8Array(95)
    generateKey(psk)
    // A fresh pair per direction: which side listens decides which side's nonce goes first.
    for (const [serverProtector, clientProtector] of [[preSharedKey({ psk }), pskProtector({ psk })], [pskProtector({ psk }), preSharedKey({ psk })]]) {
      const server = await start(serverProtector!)
      const client = await start(clientProtector!)
      await server.handle('/test/echo/1.0.0', (stream) => { const d = streamToDuplex(stream); d.pipe(d) })
      const stream = await client.dialProtocol(server.getMultiaddrs()[0]!, '/test/echo/1.0.0', { signal: AbortSignal.timeout(5000) })
      const d = streamToDuplex(stream)
      const payload = randomBytes(300_000)
      d.end(payload)
      expect(Buffer.compare(await collect(d), payload)).toBe(0)
    }
  })
})
