// Benchmark driver (run by bench/netns/run.ts, as root): raw TCP through a router port forward vs the
// mesh tunnel over a punched direct connection (cone NATs) vs the relay (symmetric NAT, punching fails).
// Prints one JSON object on stdout.
import { loadavg } from 'node:os'
import { ECHO_PORT, eventually, startMesh } from './harness.js'
import { ADDR, Topology, netnsUnavailable } from './topology.js'
import type { Mesh } from './harness.js'

const BYTES = Number(process.env.BENCH_BYTES ?? 32 * 1024 * 1024)
const PINGS = Number(process.env.BENCH_PINGS ?? 300)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)

async function runs (mesh: Mesh, cmd: Record<string, unknown>): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = []
  for (let i = 0; i < RUNS; i++) {
    const r = await mesh.a1.request({ cmd: 'bench', bytes: BYTES, pings: PINGS, ...cmd }, 120_000)
    if (r.ok !== true) throw new Error(`bench failed: ${JSON.stringify(r)}`)
    out.push(r)
  }
  return out
}

async function withMesh<T> (symmetric: boolean, fn: (t: Topology, m: Mesh) => Promise<T>): Promise<T> {
  const t = await Topology.create({ symmetric })
  let mesh: Mesh | undefined
  try {
    mesh = await startMesh(t)
    await eventually(async () => (await mesh!.a1.request({ cmd: 'resolve', nodeName: 'node-b1' })).peerId, 20_000, 'registration')
    return await fn(t, mesh)
  } finally {
    await t.destroy()
    await mesh?.cleanup()
  }
}

async function main (): Promise<void> {
  const why = await netnsUnavailable()
  if (why !== undefined) { console.log(JSON.stringify({ skipped: why })); return }
  const tunnel = { nodeName: 'node-b1', ip: ADDR.nodeB1, port: ECHO_PORT }
  const cone = await withMesh(false, async (t, mesh) => {
    await t.portForward(t.names.routerB, ECHO_PORT, ADDR.nodeB1)
    const first = await mesh.a1.request({ cmd: 'echo', ...tunnel, bytes: 1 })
    const punched = await eventually(async () => {
      const m = await mesh.a1.request({ cmd: 'metrics' })
      const p = (m.peers as Array<{ nodeName: string, path: string }>).find(x => x.nodeName === 'node-b1')
      return p?.path === 'punched' ? m : undefined
    }, 30_000, 'punch')
    return {
      firstFlowMs: first.ms,
      firstFlowPath: first.path,
      punch: punched.nat,
      raw: await runs(mesh, { mode: 'raw', ip: ADDR.routerBWan, port: ECHO_PORT }),
      direct: await runs(mesh, { mode: 'tunnel', ...tunnel })
    }
  })
  const sym = await withMesh(true, async (_t, mesh) => {
    const first = await mesh.a1.request({ cmd: 'echo', ...tunnel, bytes: 1 })
    return { firstFlowMs: first.ms, firstFlowPath: first.path, relay: await runs(mesh, { mode: 'tunnel', ...tunnel }) }
  })
  console.log(JSON.stringify({ bytes: BYTES, pings: PINGS, runs: RUNS, loadavg: loadavg(), cone, symmetric: sym }))
}

main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
