// cloud-hub at scale: cloudcore as its own process (built binary, SQLite), N simulated edge nodes
// (real TLS + WebSocket clients, test/helpers/simulated-nodes.ts) in this process. Measures: time for
// all N to connect at once, pod delivery latency from the API write to the node (against the
// baseline of the same write reaching a plain API watch, in the same run), a reconnect storm of all
// nodes, idle bytes per node per minute, and cloudcore's RSS per 1,000 nodes.
// BENCH_HUB_NODES (default 2000) picks N. The simulated nodes share the 2 cores with cloudcore, so
// the numbers are a floor for what cloudcore alone would do.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually } from '@edgemesh/common'
import { simulatedNodes } from '../../test/helpers/simulated-nodes.js'
import { ApiClient, credentialsFromKubeconfig, type WatchEventLine } from '../api-server/api-client.js'
import { rssMiB, startCloudCore } from '../api-server/cloudcore-process.js'
import { quantile, runPool } from '../api-server/stats.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const N = Number(process.env.BENCH_HUB_NODES ?? 2000)
const IDLE_S = Number(process.env.BENCH_HUB_IDLE_S ?? 30)

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => { resolve(port) }) })
  })
}

async function metric (api: ApiClient, name: string): Promise<number> {
  const text = await api.callText('GET', '/metrics')
  let sum = 0
  for (const line of text.split('\n')) if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  return sum
}

const ms = (n: number): number => Math.round(n * 10) / 10

/**
 * TCP payload bytes (TLS records, WebSocket frames, everything) sent plus received on the hub's
 * established connections, from the kernel's tcp_info (`ss -ti`): what a weak link actually carries.
 */
function wireBytes (port: number): number {
  const out = execFileSync('ss', ['-tinH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  let sum = 0
  for (const m of out.matchAll(/bytes_(?:sent|received):(\d+)/g)) sum += Number(m[1])
  return sum
}

async function main (): Promise<void> {
  const load0 = loadavg()[0] ?? 0
  const hubPort = await freePort()
  const cc = await startCloudCore(ROOT, { type: 'sqlite', compactIntervalMs: 0 }, { hubPort })
  const api = new ApiClient(credentialsFromKubeconfig(cc.kubeconfig), 32)
  const ac = new AbortController()
  try {
    const ca = { certPem: readFileSync(join(cc.dataDir, 'pki/ca.crt'), 'utf8'), keyPem: readFileSync(join(cc.dataDir, 'pki/ca.key'), 'utf8') }
    const rssIdle = await rssMiB(cc.pid)
    const nodes = await simulatedNodes({ ca, count: N, urls: [`wss://127.0.0.1:${hubPort}`], prefix: 'bench', heartbeat: true })

    // 1. Everyone connects at once (above the hub's handshake bound: some are turned away and retry).
    let t = performance.now()
    await Promise.all(nodes.map(async n => { await n.hub.start(); await n.reporter?.start() }))
    await eventually(() => nodes.every(n => n.hub.isConnected()), 300_000, 'all connected', 100)
    const connectS = (performance.now() - t) / 1000
    await eventually(async () => await metric(api, 'edgemesh_cloudhub_queue_depth') === 0, 300_000, 'initial sync', 200)
    const rssConnected = await rssMiB(cc.pid)

    // 2. Pod delivery: API write -> the node has it, against API write -> a plain watch has it.
    const watched = new Map<string, number>()
    await api.watch('/api/v1/namespaces/default/pods?watch=true', (ev: WatchEventLine) => { const n = ev.object.metadata?.name; if (n !== undefined && !watched.has(n)) watched.set(n, performance.now()) }, ac.signal)
    const written = new Map<string, number>()
    t = performance.now()
    const creates = await runPool(N, 16, async i => {
      const name = `pod-${nodes[i]!.name}`
      written.set(name, performance.now())
      await api.call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: nodes[i]!.name, containers: [{ name: 'c', image: 'x' }] } })
    })
    await eventually(() => nodes.every(n => n.firstSeen.has(`default/pod/pod-${n.name}`)), 300_000, 'all pods delivered', 100)
    const edge: number[] = []
    const watch: number[] = []
    for (const n of nodes) {
      const name = `pod-${n.name}`
      const w = written.get(name)!
      edge.push(n.firstSeen.get(`default/pod/${name}`)! - w)
      if (watched.has(name)) watch.push(watched.get(name)! - w)
    }
    edge.sort((a, b) => a - b)
    watch.sort((a, b) => a - b)

    // 3. Idle: bytes on the wire per node per minute with nothing changing but the heartbeat (a Lease
    // renewal every 10 s, acked) and the link's pings.
    const wire0 = wireBytes(hubPort)
    await new Promise(resolve => setTimeout(resolve, IDLE_S * 1000))
    const idleBytes = (wireBytes(hubPort) - wire0) / N / (IDLE_S / 60)
    const rssLoaded = await rssMiB(cc.pid)

    // 4. Reconnect storm: every node drops and comes back at once; until all are back and resynced.
    await Promise.all(nodes.map(async n => { await n.hub.stop() }))
    const receivedBefore = nodes.reduce((s, n) => s + n.received, 0)
    t = performance.now()
    await Promise.all(nodes.map(async n => { await n.hub.start() }))
    await eventually(() => nodes.every(n => n.hub.isConnected()), 300_000, 'storm: all connected', 100)
    await eventually(async () => await metric(api, 'edgemesh_cloudhub_queue_depth') === 0, 300_000, 'storm: resynced', 200)
    const stormS = (performance.now() - t) / 1000
    const resentInStorm = nodes.reduce((s, n) => s + n.received, 0) - receivedBefore

    await Promise.all(nodes.map(async n => { await n.reporter?.stop(); await n.hub.stop() }))
    const results = {
      nodes: N,
      connectAllSeconds: Math.round(connectS * 10) / 10,
      podCreatesPerSec: creates.perSec,
      deliveryP50Ms: ms(quantile(edge, 0.5)),
      deliveryP99Ms: ms(quantile(edge, 0.99)),
      baselineWatchP50Ms: ms(quantile(watch, 0.5)),
      baselineWatchP99Ms: ms(quantile(watch, 0.99)),
      deliveryVsWatchP50: Math.round(quantile(edge, 0.5) / Math.max(0.01, quantile(watch, 0.5)) * 100) / 100,
      stormResyncSeconds: Math.round(stormS * 10) / 10,
      messagesResentInStorm: resentInStorm,
      idleBytesPerNodePerMinute: Math.round(idleBytes),
      rssIdleMiB: rssIdle,
      rssConnectedMiB: rssConnected,
      rssLoadedMiB: rssLoaded,
      rssPer1000NodesMiB: Math.round((rssLoaded - rssIdle) / N * 1000 * 10) / 10,
      loadAvgAtStart: Math.round(load0 * 100) / 100
    }
    console.log(JSON.stringify(results, null, 2))
    const out = join(ROOT, 'bench/results')
    mkdirSync(out, { recursive: true })
    writeFileSync(join(out, 'cloud-hub.json'), JSON.stringify({ generated: new Date().toISOString(), node: process.version, results }, null, 2) + '\n')
    writeFileSync(join(out, 'cloud-hub.md'), [
      `## cloud-hub (${N} simulated nodes, one cloudcore on SQLite; the simulated nodes share the 2 cores)`,
      '',
      '| measure | value | baseline (same run) |',
      '|---|---|---|',
      `| all ${N} nodes connect at once | ${results.connectAllSeconds} s | — |`,
      `| pod delivery, API write → node, p50 / p99 | ${results.deliveryP50Ms} / ${results.deliveryP99Ms} ms | API write → plain watch: ${results.baselineWatchP50Ms} / ${results.baselineWatchP99Ms} ms (×${results.deliveryVsWatchP50} at p50) |`,
      `| reconnect storm, all nodes back and resynced | ${results.stormResyncSeconds} s (${results.messagesResentInStorm} messages resent) | — |`,
      `| idle node (Lease renewal every 10 s + link pings), TCP payload both ways (ss) | ${results.idleBytesPerNodePerMinute} B/min (${Math.round(results.idleBytesPerNodePerMinute * 8 / 60)} bit/s) | KubeEdge ≈ 250 bit/s |`,
      `| cloudcore RSS per 1,000 nodes | ${results.rssPer1000NodesMiB} MiB (idle ${rssIdle}, loaded ${rssLoaded} MiB) | — |`,
      '',
      `Load average at start: ${results.loadAvgAtStart}.`
    ].join('\n') + '\n')
  } finally {
    ac.abort()
    await cc.stop()
  }
}

await main()
