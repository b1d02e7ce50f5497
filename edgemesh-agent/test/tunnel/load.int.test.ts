import { createHash, randomBytes } from 'node:crypto'
import { Readable, type Duplex } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isRelayed } from '../../src/tunnel/node-dialer.js'
import { collect, echoServer, startRelayedMesh, type RelayedMesh, type TestPeer } from './helpers.js'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Streams `mib` MiB of random 64 KiB chunks through an echoing Duplex; returns both digests and the rate. */
async function echoThrough (d: Duplex, mib: number, opts: { readAfterMs?: number } = {}): Promise<{ sent: string, got: string, received: number, mibPerSec: number }> {
  const total = mib * 1024 * 1024
  const chunk = randomBytes(64 * 1024)
  const sent = createHash('sha256')
  let produced = 0
  const src = new Readable({
    read () {
      if (produced >= total) { this.push(null); return }
      produced += chunk.byteLength
      sent.update(chunk)
      this.push(chunk)
    }
  })
  const got = createHash('sha256')
  let received = 0
  const t0 = Date.now()
  src.pipe(d)
  if (opts.readAfterMs !== undefined) await new Promise(resolve => setTimeout(resolve, opts.readAfterMs))
  for await (const c of d) { received += (c as Buffer).byteLength; got.update(c as Buffer) }
  return { sent: sent.digest('hex'), got: got.digest('hex'), received, mibPerSec: mib / ((Date.now() - t0) / 1000) }
}

describe('tunnel under load on loopback', () => {
  let mesh: RelayedMesh
  let a: TestPeer
  let b: TestPeer
  let c: TestPeer
  let echo: Awaited<ReturnType<typeof echoServer>>

  beforeAll(async () => {
    echo = await echoServer()
    // Generous budgets: the box is shared, and 1,000 simultaneous connects queue in the kernel.
    mesh = await startRelayedMesh(echo.port, { bTunnel: { dialTimeoutMs: 30_000 }, aTunnel: { responseTimeoutMs: 45_000 } })
    ;({ a, b, c } = mesh)
  })

  afterAll(async () => {
    await mesh?.stop()
    await echo?.close()
  })

  it('carries 1,000 concurrent TCP streams, each echoing its own payload intact', async () => {
    const before = echo.accepted()
    const flows = Array.from({ length: 1000 }, async (_, i) => {
      const payload = Buffer.concat([Buffer.from(`flow-${i}:`), randomBytes(1024 + (i % 7) * 300)])
      const d = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(50_000))
      d.end(payload)
      const back = await collect(d)
      return sha(back) === sha(payload)
    })
    const ok = await Promise.all(flows)
    expect(ok.filter(Boolean).length).toBe(1000)
    expect(echo.accepted() - before).toBe(1000)
  }, 60_000)

  it('moves 256 MiB through a direct connection with a matching sha256', async () => {
    const d = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(10_000))
    const r = await echoThrough(d, 256)
    console.log(`256 MiB echoed through a direct tunnel at ${r.mibPerSec.toFixed(1)} MiB/s each way`)
    expect(r.received).toBe(256 * 1024 * 1024)
    expect(r.got).toBe(r.sent)
  }, 120_000)

  it('moves 64 MiB through a relayed connection with a matching sha256', async () => {
    const d = await c.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(20_000))
    expect(c.node.getConnections(b.peerId).every(isRelayed)).toBe(true)
    const r = await echoThrough(d, 64)
    console.log(`64 MiB echoed through a relayed tunnel at ${r.mibPerSec.toFixed(1)} MiB/s each way`)
    expect(r.received).toBe(64 * 1024 * 1024)
    expect(r.got).toBe(r.sent)
  }, 90_000)

  it('keeps a flow whose reader stalls for a second while 16 MiB are pushed at it, instead of resetting it', async () => {
    // Regression: yamux grants window on receipt, so a window larger than the read-buffer cap minus the
    // Duplex's buffer let a stalled reader's stream overflow and be reset.
    const d = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(10_000))
    const r = await echoThrough(d, 16, { readAfterMs: 1000 })
    expect(r.received).toBe(16 * 1024 * 1024)
    expect(r.got).toBe(r.sent)
  }, 60_000)
})
