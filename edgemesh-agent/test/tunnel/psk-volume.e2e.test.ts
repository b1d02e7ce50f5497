import { generateKey } from '@libp2p/pnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allowPorts, collect, digestServer, newCA, sizedSource, startPeer, type TestPeer } from './helpers.js'

// Regression for the broken PSK option (@libp2p/pnet's shared, capped WebAssembly cipher memory):
// a 32 MiB transfer completed but the next flow on that connection hung, and 64 MiB never finished;
// two PSK connections at once shared the same memory. Long-running, so it lives in the e2e project.
const MIB = 1024 * 1024

describe('PSK-protected tunnel at volume', () => {
  let target: Awaited<ReturnType<typeof digestServer>>
  const peers: TestPeer[] = []
  let a: TestPeer
  let c: TestPeer

  beforeAll(async () => {
    target = await digestServer()
    const psk = new Uint8Array(95)
    generateKey(psk)
    const ca = await newCA()
    const b = await startPeer(ca, 'node-b', { policy: allowPorts(target.port), extra: { psk } })
    a = await startPeer(ca, 'node-a', { extra: { psk } })
    c = await startPeer(ca, 'node-c', { extra: { psk } })
    peers.push(a, b, c)
    for (const p of [a, c]) p.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId.toString(), addrs: [b.addr] })
  })
  afterAll(async () => {
    for (const p of peers) await p.node.stop()
    await target?.close()
  })

  const send = async (from: TestPeer, bytes: number): Promise<void> => {
    const d = await from.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: target.port }, AbortSignal.timeout(20_000))
    const src = sizedSource(bytes)
    src.stream.pipe(d)
    const [n, digest] = (await collect(d)).toString().split(' ')
    expect(Number(n)).toBe(bytes)
    expect(digest).toBe(src.digest())
  }

  it('moves 1 GiB through a PSK connection and then opens new flows on it', async () => {
    await send(a, 1024 * MIB)
    const conns = a.node.getConnections(peers[1]!.peerId).length
    for (let i = 0; i < 3; i++) await send(a, 4 * MIB)
    expect(a.node.getConnections(peers[1]!.peerId).length).toBe(conns) // the same connection carried them
  }, 300_000)

  it('carries two PSK connections at once, 128 MiB each', async () => {
    await Promise.all([send(a, 128 * MIB), send(c, 128 * MIB)])
  }, 300_000)
})
