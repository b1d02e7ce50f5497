// edged: how fast a pod becomes Ready and what a node pays for running pods. A real cloudcore (in this
// process) and a real edgecore process (as root: bridge networking, a netns per pod). Per round, N pods
// of the built-in echo image are created at once through the API and timed from create to Ready as the
// API shows it (status reported up the link, readiness probe passing); the baseline in the same round
// is the same N echo servers spawned directly by this process and timed until each answers HTTP. Rounds
// interleave edged and baseline. Also edgecore's RSS idle and with N pods running.
// BENCH_EDGED_PODS (default 50), BENCH_EDGED_ROUNDS (default 3). Needs root (skips with a reason).
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { eventually, silentLogger } from '@edgemesh/common'
import { createCloudCore, resolveCloudCoreConfig } from '../../cloud-core/src/index.js'
import { joinCluster, saveNodeCredentials } from '../../edge-core/src/index.js'
import { firstLine } from '../../test/helpers/daemons.js'
import { netnsUnavailable } from '../../test/netns/topology.js'
import { rssMiB } from '../api-server/cloudcore-process.js'
import { quantile } from '../api-server/stats.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const N = Number(process.env.BENCH_EDGED_PODS ?? 50)
const ROUNDS = Number(process.env.BENCH_EDGED_ROUNDS ?? 3)
const sh = promisify(execFile)
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' }
const ms = (n: number): number => Math.round(n)

interface Round { edgedP50: number, edgedP99: number, baseP50: number, baseP99: number }

/** The baseline: N echo servers spawned directly, each timed until it answers HTTP on its port. */
async function directSpawn (n: number): Promise<number[]> {
  const echo = join(ROOT, 'edge-core/dist/src/bin/echo-server.js')
  const kids: ChildProcess[] = []
  try {
    return await Promise.all(Array.from({ length: n }, async (_, i) => {
      const port = 21000 + i
      const t0 = performance.now()
      kids.push(spawn(process.execPath, [echo], { env: { PORT: String(port), HOSTNAME: `b${i}` }, stdio: 'ignore' }))
      await eventually(async () => await fetch(`http://127.0.0.1:${port}/`).then(r => r.ok ? true : undefined, () => undefined), 30_000, 'baseline echo up', 20)
      return performance.now() - t0
    }))
  } finally {
    for (const k of kids) k.kill('SIGKILL')
  }
}

async function main (): Promise<void> {
  const why = await netnsUnavailable()
  if (why !== undefined) { console.log(JSON.stringify({ skipped: why })); return }
  const run = randomBytes(3).toString('hex')
  const node = `bench-${run}`
  const bridge = `emb${run}`
  const prefix = `emb${run}-`
  const dir = await mkdtemp(join(tmpdir(), 'edged-bench-'))
  const cc = createCloudCore(resolveCloudCoreConfig({ dataDir: join(dir, 'cloud'), apiServer: { bindAddress: '127.0.0.1', port: 0 }, cloudHub: { bindAddress: '127.0.0.1', port: 0 }, bootstrap: { bindAddress: '127.0.0.1', port: 0 } }), { logger: silentLogger() })
  await cc.start()
  let edge: ChildProcess | undefined
  try {
    await saveNodeCredentials(join(dir, 'edge'), await joinCluster({ server: `https://127.0.0.1:${cc.bootstrapPort}`, token: await cc.issueJoinToken(), nodeName: node }))
    const config = join(dir, 'edgecore.yaml')
    await writeFile(config, [
      `nodeName: ${node}`, `dataDir: ${join(dir, 'edge')}`, `edgeHub: { urls: ["wss://127.0.0.1:${cc.hubPort}"] }`, 'metaServer: { port: 0 }',
      `edged: { hostIP: 127.0.0.1, network: { mode: bridge, bridge: ${bridge}, podCIDR: "10.${200 + (parseInt(run.slice(0, 2), 16) % 50)}.${parseInt(run.slice(2, 4), 16)}.0/24", netnsPrefix: ${prefix}, ipForward: false } }`,
      'log: { level: warn }'
    ].join('\n') + '\n')
    edge = spawn(process.execPath, [join(ROOT, 'edge-core/dist/src/bin/edgecore.js'), '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] })
    await firstLine(edge, l => l.includes('edgecore started') || l.includes('meta-server on'), 60_000).catch(() => {})
    const client = cc.core.client
    await eventually(async () => await client.get({ group: '', version: 'v1', resource: 'nodes' }, node).catch(() => undefined), 30_000, 'node registered')
    await new Promise(resolve => setTimeout(resolve, 2000))
    const rssIdle = await rssMiB(edge.pid!)
    const load0 = loadavg()[0]!
    const rounds: Round[] = []
    let rssLoaded = 0
    for (let r = 0; r < ROUNDS; r++) {
      const base = (await directSpawn(N)).sort((a, b) => a - b)
      const created = new Map<string, number>()
      const ready = new Map<string, number>()
      await Promise.all(Array.from({ length: N }, async (_, i) => {
        const name = `p${r}-${i}`
        created.set(name, performance.now())
        await client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { round: String(r) } }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'echo', image: 'edgemesh/echo-server', readinessProbe: { httpGet: { port: 8080 }, periodSeconds: 1 } }] } })
      }))
      await eventually(async () => {
        const list = await client.list(PODS, { labelSelector: `round=${r}` })
        const now = performance.now()
        for (const p of list.items as Array<{ metadata: { name?: string }, status?: { conditions?: Array<{ type: string, status: string }> } }>) {
          if (!ready.has(p.metadata.name!) && p.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True') === true) ready.set(p.metadata.name!, now)
        }
        return ready.size === N ? true : undefined
      }, 120_000, `round ${r}: ${N} pods Ready`, 25)
      const lat = [...ready].map(([name, t]) => t - created.get(name)!).sort((a, b) => a - b)
      rssLoaded = Math.max(rssLoaded, await rssMiB(edge.pid!))
      rounds.push({ edgedP50: ms(quantile(lat, 0.5)), edgedP99: ms(quantile(lat, 0.99)), baseP50: ms(quantile(base, 0.5)), baseP99: ms(quantile(base, 0.99)) })
      for (const name of created.keys()) await client.delete(PODS, name).catch(() => {})
      await eventually(async () => (await sh('ip', ['netns', 'list'])).stdout.includes(prefix) ? undefined : true, 60_000, 'pods gone', 200)
    }
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const range = (xs: number[]): string => `${Math.min(...xs)}-${Math.max(...xs)}`
    const ratios = rounds.map(r => Math.round(r.edgedP50 / Math.max(1, r.baseP50) * 100) / 100)
    const results = {
      pods: N,
      rounds,
      readyP50Ms: med(rounds.map(r => r.edgedP50)),
      readyP99Ms: med(rounds.map(r => r.edgedP99)),
      baselineP50Ms: med(rounds.map(r => r.baseP50)),
      baselineP99Ms: med(rounds.map(r => r.baseP99)),
      p50VsBaseline: med(ratios),
      p50VsBaselineRange: range(ratios),
      edgecoreRssIdleMiB: rssIdle,
      edgecoreRssWithPodsMiB: rssLoaded,
      loadAvgAtStart: Math.round(load0 * 100) / 100
    }
    console.log(JSON.stringify(results, null, 2))
    const out = join(ROOT, 'bench/results')
    mkdirSync(out, { recursive: true })
    writeFileSync(join(out, 'edged.json'), JSON.stringify({ generated: new Date().toISOString(), node: process.version, results }, null, 2) + '\n')
    writeFileSync(join(out, 'edged.md'), [
      `## edged (${N} echo pods created at once on one edge node, process runtime, netns per pod; ${ROUNDS} interleaved rounds)`,
      '',
      '| measure | edged | baseline (same rounds) |',
      '|---|---|---|',
      `| pod create → Ready in the API, p50 / p99 | ${results.readyP50Ms} / ${results.readyP99Ms} ms | same echo server spawned directly → answers HTTP: ${results.baselineP50Ms} / ${results.baselineP99Ms} ms (×${results.p50VsBaseline} at p50, rounds ${results.p50VsBaselineRange}); KubeEdge scale test p99 4.1 s |`,
      `| edgecore RSS idle / with ${N} pods | ${rssIdle} / ${rssLoaded} MiB | — |`,
      '',
      `Ready includes the readiness probe (period 1 s, so up to 1 s of waiting), the status report up the link and the API write. Load average at start: ${results.loadAvgAtStart}.`
    ].join('\n') + '\n')
  } finally {
    if (edge !== undefined && edge.exitCode === null) { edge.kill('SIGTERM'); await new Promise(resolve => { edge!.once('exit', resolve); setTimeout(resolve, 20_000) }) ; if (edge.exitCode === null) edge.kill('SIGKILL') }
    await cc.stop()
    for (const ns of (await sh('ip', ['netns', 'list'])).stdout.split('\n').map(l => l.split(' ')[0] ?? '').filter(n => n.startsWith(prefix))) await sh('ip', ['netns', 'del', ns]).catch(() => {})
    await sh('ip', ['link', 'del', bridge]).catch(() => {})
    await sh('sh', ['-c', `rm -rf /etc/netns/${prefix}*`]).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
