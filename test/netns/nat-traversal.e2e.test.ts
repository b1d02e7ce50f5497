import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ECHO_PORT, eventually, startMesh } from './harness.js'
import { ADDR, Topology, netnsUnavailable } from './topology.js'
import type { Mesh } from './harness.js'

const reason = await netnsUnavailable()
if (reason !== undefined) console.log(`skipping netns NAT traversal e2e: ${reason}`)

describe.skipIf(reason !== undefined)('NAT traversal through two cone NATs (netns)', () => {
  let topo: Topology
  let mesh: Mesh

  beforeAll(async () => {
    topo = await Topology.create()
    mesh = await startMesh(topo)
  })

  afterAll(async () => {
    await topo?.destroy()
    await mesh?.cleanup()
  })

  const echo = async (bytes = 4096): Promise<Record<string, unknown>> => await mesh.a1.request({ cmd: 'echo', nodeName: 'node-b1', ip: ADDR.nodeB1, port: ECHO_PORT, bytes })

  it('reaches an echo server behind the other NAT by node name, first through the relay', async () => {
    await eventually(async () => (await mesh.a1.request({ cmd: 'resolve', nodeName: 'node-b1' })).peerId, 20_000, 'node-b1 registered')
    const r = await echo()
    expect(r).toMatchObject({ ok: true, same: true, pathAtOpen: 'relay' })
  })

  it('switches new flows to a hole-punched direct connection', async () => {
    const m = await eventually(async () => {
      const r = await mesh.a1.request({ cmd: 'metrics' })
      const peer = (r.peers as Array<{ nodeName: string, path: string }>).find(p => p.nodeName === 'node-b1')
      return peer?.path === 'punched' ? r : undefined
    }, 30_000, 'punched path')
    expect((m.nat as { succeeded: number }).succeeded).toBeGreaterThan(0)
    const r = await echo()
    expect(r).toMatchObject({ ok: true, same: true, path: 'punched' })
  })

  it('keeps flows working over the punched path with the cloud (relay) blocked', async () => {
    await topo.blockCloud(topo.names.routerA)
    await topo.blockCloud(topo.names.routerB)
    try {
      const r = await echo(256 * 1024)
      expect(r).toMatchObject({ ok: true, same: true, path: 'punched' })
    } finally {
      await topo.unblockCloud(topo.names.routerA)
      await topo.unblockCloud(topo.names.routerB)
    }
  })

  it('gives no relay reservation to a peer without a cluster certificate', async () => {
    const stranger = await mesh.startStranger(topo.names.nodeA1)
    const ready = await stranger.waitFor(m => m.event === 'ready')
    expect((ready.addrs as string[]).some(a => a.includes('p2p-circuit'))).toBe(false)
    const text = await eventually(async () => {
      const t = await mesh.serverMetrics()
      // Label order is the exporter's business (Prometheus ignores it): match both labels in any order.
      return /^edgemesh_server_relay_refused_total\{(?=[^}]*code="RELAY_NO_RESERVATION")(?=[^}]*reason="unauthenticated")[^}]*\} [1-9]/m.test(t) ? t : undefined
    }, 20_000, 'refusal counted')
    expect(text).toMatch(/edgemesh_server_relay_reservations 2\b/)
  })
})
