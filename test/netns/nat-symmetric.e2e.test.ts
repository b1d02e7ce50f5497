import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ECHO_PORT, eventually, startMesh } from './harness.js'
import { ADDR, Topology, netnsUnavailable } from './topology.js'
import type { Mesh } from './harness.js'

const reason = await netnsUnavailable()
if (reason !== undefined) console.log(`skipping netns symmetric-NAT e2e: ${reason}`)

describe.skipIf(reason !== undefined)('symmetric NAT and relay restarts (netns)', () => {
  let topo: Topology
  let mesh: Mesh

  beforeAll(async () => {
    topo = await Topology.create({ symmetric: true })
    mesh = await startMesh(topo)
    await eventually(async () => (await mesh.a1.request({ cmd: 'resolve', nodeName: 'node-b1' })).peerId, 20_000, 'node-b1 registered')
  })

  afterAll(async () => {
    await topo?.destroy()
    await mesh?.cleanup()
  })

  const echo = async (bytes = 4096): Promise<Record<string, unknown>> => await mesh.a1.request({ cmd: 'echo', nodeName: 'node-b1', ip: ADDR.nodeB1, port: ECHO_PORT, bytes })

  it('fails to punch through a symmetric NAT and keeps traffic on the relay', async () => {
    expect(await echo()).toMatchObject({ ok: true, same: true, path: 'relay' })
    const m = await eventually(async () => {
      const r = await mesh.a1.request({ cmd: 'metrics' })
      return (r.nat as { failed: number }).failed > 0 ? r : undefined
    }, 40_000, 'a failed punch')
    expect((m.nat as { succeeded: number }).succeeded).toBe(0)
    const r = await echo(256 * 1024)
    expect(r).toMatchObject({ ok: true, same: true, path: 'relay' })
  })

  it('recovers flows after the relay server is killed and restarted, without operator action', async () => {
    const before = (await mesh.b1.request({ cmd: 'metrics' })).registrations as number
    await mesh.stopServer()
    expect(await echo()).toMatchObject({ ok: false })
    await mesh.startServer()
    await eventually(async () => ((await mesh.b1.request({ cmd: 'metrics' })).registrations as number) > before, 30_000, 'node-b1 re-registered')
    const r = await eventually(async () => { const e = await echo(); return e.ok === true ? e : undefined }, 45_000, 'flow through the restarted relay')
    expect(r).toMatchObject({ ok: true, same: true, path: 'relay' })
  })
})
