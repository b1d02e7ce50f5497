import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isRelayed } from '../../src/tunnel/node-dialer.js'
import { collect, digestServer, sizedSource, startRelayedMesh, type RelayedMesh, type TestPeer } from './helpers.js'

// The acceptance: a 1 GiB transfer with checksum through the direct and the relayed path.
// One way (client → target), so the target hashes what arrives and answers with the digest after
// the client's FIN: that also proves half-close crosses the tunnel. Long-running, so it lives in the
// e2e project (files run one at a time) with generous limits; speed is measured in bench/tunnel.
const GIB = 1024 * 1024 * 1024

describe('1 GiB through the tunnel', () => {
  let mesh: RelayedMesh
  let a: TestPeer
  let b: TestPeer
  let c: TestPeer
  let target: Awaited<ReturnType<typeof digestServer>>

  beforeAll(async () => {
    target = await digestServer()
    mesh = await startRelayedMesh(target.port)
    ;({ a, b, c } = mesh)
  })

  afterAll(async () => {
    await mesh?.stop()
    await target?.close()
  })

  it('delivers 1 GiB over a direct connection with a matching sha256', async () => {
    const d = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: target.port }, AbortSignal.timeout(20_000))
    expect(a.node.getConnections(b.peerId).some(conn => !isRelayed(conn))).toBe(true)
    const src = sizedSource(GIB)
    src.stream.pipe(d)
    const [n, digest] = (await collect(d)).toString().split(' ')
    expect(Number(n)).toBe(GIB)
    expect(digest).toBe(src.digest())
  }, 300_000)

  it('delivers 1 GiB over a relayed connection with a matching sha256', async () => {
    const d = await c.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: target.port }, AbortSignal.timeout(20_000))
    expect(c.node.getConnections(b.peerId).every(isRelayed)).toBe(true)
    const src = sizedSource(GIB)
    src.stream.pipe(d)
    const [n, digest] = (await collect(d)).toString().split(' ')
    expect(Number(n)).toBe(GIB)
    expect(digest).toBe(src.digest())
  }, 300_000)
})
