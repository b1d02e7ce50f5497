// API server benchmark: ConfigMap creates/updates/deletes and watch fan-out through cloudcore's HTTPS
// API (cloudcore as a child process), against the same work done with direct Store calls on the same
// backend in the same run. Started by run.ts; options: --n=2000 --concurrency=16 --watchers=100 --events=200 --pace-ms=20
// --cpu-prof (writes cloudcore's V8 CPU profiles to $TMPDIR/edgemesh-api-bench-cpu-prof/).
import { setMaxListeners } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sqliteStore, type Store } from '../../kube/src/storage/index.js'
import { etcdStore } from '../../cloud-core/src/store/index.js'
import { etcdAvailable, startEtcd } from '../../cloud-core/test/store/etcd-server.js'
import { ApiClient, credentialsFromKubeconfig } from './api-client.js'
import { rssMiB, rssSampler, startCloudCore } from './cloudcore-process.js'
import { FanoutClock, runPool, type FanoutResult, type Timed } from './stats.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '..', '..')

const arg = (name: string, dflt: number): number => {
  const a = process.argv.find(x => x.startsWith(`--${name}=`))
  const v = a !== undefined ? Number(a.split('=')[1]) : dflt
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`)
  return v
}

interface Options { n: number, concurrency: number, watchers: number, events: number, paceMs: number, cpuProfileDir?: string }

interface Side {
  create: Timed
  update: Timed
  delete: Timed
  /** Writes back to back: throughput of delivery (its latency includes queueing behind the writer). */
  fanout: FanoutResult
  /** Writes at a fixed pace both sides sustain: delivery latency without writer queueing. */
  fanoutPaced: FanoutResult
}

/**
 * The fan-out phase, driven the same way for the API and the store: `events` writes back to back
 * (names `burst-i`), then `events` writes one every `paceMs` (names `paced-i`), one write in flight at
 * a time. Watchers report every arrival by name.
 */
class FanoutClocks {
  private readonly burst: FanoutClock
  private readonly paced: FanoutClock

  constructor (opts: Options) {
    this.burst = new FanoutClock(opts.watchers, opts.events)
    this.paced = new FanoutClock(opts.watchers, opts.events)
  }

  arrived (name: string): void {
    if (name.startsWith('burst-')) this.burst.arrived(name)
    else if (name.startsWith('paced-')) this.paced.arrived(name)
  }

  async drive (opts: Options, write: (name: string) => Promise<void>): Promise<void> {
    for (let i = 0; i < opts.events; i++) {
      this.burst.sent(`burst-${i}`)
      await write(`burst-${i}`)
    }
    await this.burst.allDelivered(60_000)
    let due = performance.now()
    for (let i = 0; i < opts.events; i++) {
      const wait = due - performance.now()
      if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
      due += opts.paceMs
      this.paced.sent(`paced-${i}`)
      await write(`paced-${i}`)
    }
    await this.paced.allDelivered(60_000)
  }

  results (): { fanout: FanoutResult, fanoutPaced: FanoutResult } {
    return { fanout: this.burst.result(), fanoutPaced: this.paced.result() }
  }
}

interface BackendResult {
  backend: 'sqlite' | 'etcd'
  runtime: 'dist' | 'tsx'
  api: Side
  store: Side
  /** API divided by store: below 1 for throughput means the API is slower; above 1 for latency. */
  ratios: Record<string, number>
  rssMiB: { idle: number, loadPeak: number, afterLoad: number }
}

const payload = 'x'.repeat(256)
const configMap = (ns: string, name: string, data: string): Record<string, any> => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { app: 'bench' } }, data: { value: data, payload }
})
/** What the API server stores for such an object, near enough in size and shape. */
const storedValue = (ns: string, name: string, data: string): string => {
  const o = configMap(ns, name, data)
  o.metadata.uid = '3f2b8c1e-7d4a-4e7b-9a55-0c6f1f0d2a11'
  o.metadata.creationTimestamp = new Date().toISOString()
  return JSON.stringify(o)
}

async function measureApi (client: ApiClient, opts: Options): Promise<Side> {
  const ns = 'bench'
  await client.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
  const path = `/api/v1/namespaces/${ns}/configmaps`
  const rvs: string[] = []
  const create = await runPool(opts.n, opts.concurrency, async i => {
    const o = await client.call('POST', path, configMap(ns, `cm-${i}`, String(i)))
    rvs[i] = String(o.metadata?.resourceVersion)
  })
  const update = await runPool(opts.n, opts.concurrency, async i => {
    const body = configMap(ns, `cm-${i}`, `u${i}`)
    body.metadata.resourceVersion = rvs[i]
    await client.call('PUT', `${path}/cm-${i}`, body)
  })
  const del = await runPool(opts.n, opts.concurrency, async i => {
    await client.call('DELETE', `${path}/cm-${i}`)
  })

  const fanNs = 'bench-fan'
  await client.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: fanNs } })
  const fanPath = `/api/v1/namespaces/${fanNs}/configmaps`
  const list = await client.call('GET', fanPath)
  const rv = String(list.metadata?.resourceVersion)
  const clocks = new FanoutClocks(opts)
  const ac = new AbortController()
  setMaxListeners(0, ac.signal) // one signal ends every watcher on purpose
  try {
    await Promise.all(Array.from({ length: opts.watchers }, async () => {
      await client.watch(`${fanPath}?watch=true&resourceVersion=${rv}`, ev => {
        if (ev.type === 'ADDED') clocks.arrived(ev.object.metadata?.name ?? '')
      }, ac.signal)
    }))
    await clocks.drive(opts, async name => { await client.call('POST', fanPath, configMap(fanNs, name, name)) })
  } finally {
    ac.abort()
  }
  return { create, update, delete: del, ...clocks.results() }
}

async function measureStore (store: Store, opts: Options): Promise<Side> {
  const prefix = '/registry/core/configmaps/bench/'
  const revs: number[] = []
  const create = await runPool(opts.n, opts.concurrency, async i => {
    revs[i] = (await store.create(`${prefix}cm-${i}`, storedValue('bench', `cm-${i}`, String(i)))).modRevision
  })
  const update = await runPool(opts.n, opts.concurrency, async i => {
    await store.update(`${prefix}cm-${i}`, storedValue('bench', `cm-${i}`, `u${i}`), revs[i])
  })
  const del = await runPool(opts.n, opts.concurrency, async i => {
    await store.delete(`${prefix}cm-${i}`)
  })

  const fanPrefix = '/registry/core/configmaps/bench-fan/'
  const clocks = new FanoutClocks(opts)
  const ac = new AbortController()
  setMaxListeners(0, ac.signal)
  const from = await store.revision()
  const consumers = Array.from({ length: opts.watchers }, async () => {
    for await (const ev of store.watch(fanPrefix, { afterRevision: from, signal: ac.signal })) {
      if (ev.type === 'create') clocks.arrived(ev.entry.key.slice(fanPrefix.length))
    }
  })
  try {
    await new Promise(resolve => setTimeout(resolve, 200)) // store watches attach lazily; let them
    await clocks.drive(opts, async name => { await store.create(`${fanPrefix}${name}`, storedValue('bench-fan', name, name)) })
  } finally {
    ac.abort()
    await Promise.all(consumers)
  }
  return { create, update, delete: del, ...clocks.results() }
}

/** Three significant digits: API/store spans 0.01 to 100 here. */
const ratio = (a: number, b: number): number => b === 0 ? 0 : Number((a / b).toPrecision(3))

function ratios (api: Side, store: Side): Record<string, number> {
  const out: Record<string, number> = {}
  for (const verb of ['create', 'update', 'delete'] as const) {
    out[`${verb}PerSec`] = ratio(api[verb].perSec, store[verb].perSec)
    out[`${verb}P50Ms`] = ratio(api[verb].p50Ms, store[verb].p50Ms)
    out[`${verb}P99Ms`] = ratio(api[verb].p99Ms, store[verb].p99Ms)
  }
  out.fanoutDeliveriesPerSec = ratio(api.fanout.deliveriesPerSec, store.fanout.deliveriesPerSec)
  out.fanoutPacedAllDeliveredP50Ms = ratio(api.fanoutPaced.allDeliveredP50Ms, store.fanoutPaced.allDeliveredP50Ms)
  out.fanoutPacedAllDeliveredP99Ms = ratio(api.fanoutPaced.allDeliveredP99Ms, store.fanoutPaced.allDeliveredP99Ms)
  return out
}

async function measureBackend (backend: 'sqlite' | 'etcd', baseline: Store, apiStoreConfig: Record<string, unknown>, opts: Options): Promise<BackendResult> {
  console.log(`[${backend}] store baseline`)
  await baseline.start()
  let store: Side
  try {
    store = await measureStore(baseline, opts)
  } finally {
    await baseline.stop()
  }
  console.log(`[${backend}] starting cloudcore`)
  const cc = await startCloudCore(root, apiStoreConfig, { cpuProfileDir: opts.cpuProfileDir })
  const client = new ApiClient(credentialsFromKubeconfig(cc.kubeconfig), opts.concurrency)
  try {
    await new Promise(resolve => setTimeout(resolve, 3_000)) // controllers' initial lists settle
    const idle = await rssMiB(cc.pid)
    console.log(`[${backend}] API (${cc.runtime}), cloudcore pid ${cc.pid}, idle RSS ${idle} MiB`)
    const sampler = rssSampler(cc.pid)
    let loadPeak = 0
    let api: Side
    try {
      api = await measureApi(client, opts)
    } finally {
      loadPeak = sampler.stop()
    }
    const afterLoad = await rssMiB(cc.pid)
    return { backend, runtime: cc.runtime, api, store, ratios: ratios(api, store), rssMiB: { idle, loadPeak, afterLoad } }
  } finally {
    client.close()
    await cc.stop()
  }
}

const f = (n: number): string => String(n)
const round1 = (n: number): number => Math.round(n * 10) / 10
const pair = (a: number, b: number): string => `${a} / ${b}`

function markdown (opts: Options, results: BackendResult[], load: { before: number, after: number }): string {
  const rows: string[] = []
  for (const r of results) {
    const b = r.backend
    for (const verb of ['create', 'update', 'delete'] as const) {
      const a = r.api[verb]
      const s = r.store[verb]
      rows.push(`| ${b} | ${verb}s/s | ${f(a.perSec)} | ${f(s.perSec)} | ${r.ratios[`${verb}PerSec`]} |`)
      rows.push(`| ${b} | ${verb} p50 / p99 ms | ${pair(a.p50Ms, a.p99Ms)} | ${pair(s.p50Ms, s.p99Ms)} | ${pair(r.ratios[`${verb}P50Ms`]!, r.ratios[`${verb}P99Ms`]!)} |`)
    }
    const a = r.api.fanout
    const s = r.store.fanout
    rows.push(`| ${b} | fan-out deliveries/s (${a.watchers} watchers, writes back to back) | ${f(a.deliveriesPerSec)} | ${f(s.deliveriesPerSec)} | ${r.ratios.fanoutDeliveriesPerSec} |`)
    const ap = r.api.fanoutPaced
    const sp = r.store.fanoutPaced
    rows.push(`| ${b} | fan-out write → all ${ap.watchers} p50 / p99 ms (1 write / ${opts.paceMs} ms) | ${pair(ap.allDeliveredP50Ms, ap.allDeliveredP99Ms)} | ${pair(sp.allDeliveredP50Ms, sp.allDeliveredP99Ms)} | ${pair(r.ratios.fanoutPacedAllDeliveredP50Ms!, r.ratios.fanoutPacedAllDeliveredP99Ms!)} |`)
    rows.push(`| ${b} | cloudcore RSS idle / peak under load / after MiB (${r.runtime}) | ${r.rssMiB.idle} / ${r.rssMiB.loadPeak} / ${r.rssMiB.afterLoad} | – | – |`)
  }
  return [
    '## API server (cloud-core)',
    '',
    `ConfigMaps through cloudcore's HTTPS API (child process, admin client cert, raw node:https) vs. direct Store calls on the same backend: N=${opts.n} creates, then updates (with resourceVersion), then deletes, ${opts.concurrency} in flight; then ${opts.watchers} watchers on one namespace get ${opts.events} creates written back to back (delivery throughput) and ${opts.events} more at one per ${opts.paceMs} ms (latency from write issued to delivered at all of them, without queueing behind the writer). Ratio = API / store. Load average (1 min) ${load.before} before, ${load.after} after, on ${cpus().length} cores.`,
    '',
    '| backend | metric | API | store | API/store |',
    '|---|---|---|---|---|',
    ...rows
  ].join('\n')
}

async function main (): Promise<void> {
  const opts: Options = {
    n: arg('n', 2_000),
    concurrency: arg('concurrency', 16),
    watchers: arg('watchers', 100),
    events: arg('events', 200),
    paceMs: arg('pace-ms', 20),
    // Profiles are megabytes each: kept out of bench/results, which is committed.
    ...(process.argv.includes('--cpu-prof') ? { cpuProfileDir: join(tmpdir(), 'edgemesh-api-bench-cpu-prof') } : {})
  }
  const loadBefore = loadavg()[0]!
  const results: BackendResult[] = []

  const baseDir = await mkdtemp(join(tmpdir(), 'edgemesh-api-bench-store-'))
  try {
    results.push(await measureBackend('sqlite', sqliteStore({ dataDir: baseDir, compactIntervalMs: 0 }), { type: 'sqlite' }, opts))
  } finally {
    await rm(baseDir, { recursive: true, force: true })
  }

  if (etcdAvailable()) {
    const etcd = await startEtcd()
    try {
      results.push(await measureBackend('etcd', etcdStore({ endpoints: [etcd.endpoint], prefix: '/bench-baseline' }), { type: 'etcd', endpoints: [etcd.endpoint] }, opts))
    } finally {
      await etcd.stop()
    }
  } else {
    console.log('etcd not installed (/usr/bin/etcd): etcd backend not measured')
  }

  const out = join(here, '..', 'results')
  mkdirSync(out, { recursive: true })
  // The box is shared: a high load average explains more of a slow run than the code does.
  const load = { before: round1(loadBefore), after: round1(loadavg()[0]!) }
  const meta = { generated: new Date().toISOString(), node: process.version, platform: `${process.platform}/${process.arch}`, load1m: load, n: opts.n, concurrency: opts.concurrency, watchers: opts.watchers, events: opts.events, paceMs: opts.paceMs }
  writeFileSync(join(out, 'api-server.json'), JSON.stringify({ ...meta, results }, null, 2) + '\n')
  const md = markdown(opts, results, load)
  writeFileSync(join(out, 'api-server.md'), md + '\n')
  console.log(md)
  if (opts.cpuProfileDir !== undefined) console.log(`cloudcore CPU profiles: ${opts.cpuProfileDir}`)
}

await main()
