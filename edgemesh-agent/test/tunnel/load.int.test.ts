import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allowPorts, collect, echoServer, newCA, startPeer, type TestPeer } from './helpers.js'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

describe('tunnel under load on loopback', () => {
  let a: TestPeer
  let b: TestPeer
  let echo: Awaited<ReturnType<typeof echoServer>>

  beforeAll(async () => {
    const ca = await newCA()
    echo = await echoServer()
    // Generous budgets: the box is shared, and 1,000 simultaneous connects queue in the kernel.
    b = await startPeer(ca, 'node-b', { policy: allowPorts(echo.port), extra: { tunnel: { dialTimeoutMs: 30_000 } } })
    a = await startPeer(ca, 'node-a', { extra: { tunnel: { responseTimeoutMs: 45_000 } } })
    a.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId.toString(), addrs: [b.addr] })
  })

  afterAll(async () => {
    await a?.node.stop()
    await b?.node.stop()
    await echo?.close()
  })

  it('carries 1,000 concurrent TCP streams, each echoing its own payload intact', async () => {
    const flows = Array.from({ length: 1000 }, async (_, i) => {
      const payload = Buffer.concat([Buffer.from(`flow-${i}:`), randomBytes(1024 + (i % 7) * 300)])
      const d = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(50_000))
      d.end(payload)
      const back = await collect(d)
      return sha(back) === sha(payload)
    })
    const ok = await Promise.all(flows)
    expect(ok.filter(Boolean).length).toBe(1000)
    expect(echo.accepted()).toBe(1000)
  }, 60_000)

  it('moves 256 MiB through a direct connection with a matching sha256', async () => {
    const total = 256 * 1024 * 1024
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
    const d = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(10_000))
    const got = createHash('sha256')
    let received = 0
    const t0 = Date.now()
    const done = (async () => { for await (const c of d) { received += (c as Buffer).byteLength; got.update(c as Buffer) } })()
    src.pipe(d)
    await done
    const secs = (Date.now() - t0) / 1000
    console.log(`256 MiB echoed through the tunnel in ${secs.toFixed(1)} s (${(2 * total / 1048576 / secs).toFixed(0)} MiB/s both directions)`)
    expect(received).toBe(total)
    expect(got.digest('hex')).toBe(sent.digest('hex'))
  }, 120_000)
})
