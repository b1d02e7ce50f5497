// Store benchmark: write throughput and watch fan-out for the SQLite and etcd backends.
// Run: `node --import tsx bench/api-server/store-bench.ts [--writes=N] [--watchers=N]`
// Writes bench/results/store.json and bench/results/store.md.
import { setMaxListeners } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sqliteStore, type Store } from '../../kube/src/storage/index.js'
import { etcdStore } from '../../cloud-core/src/store/index.js'
import { etcdAvailable, startEtcd } from '../../cloud-core/test/store/etcd-server.js'

const arg = (name: string, dflt: number): number => {
  const a = process.argv.find(x => x.startsWith(`--${name}=`))
  return a !== undefined ? Number(a.split('=')[1]) : dflt
}

interface Result {
  backend: string
  sequentialWrites: number
  sequentialWritesPerSec: number
  concurrentWrites: number
  concurrency: number
  concurrentWritesPerSec: number
  watchers: number
  fanoutEvents: number
  deliveriesPerSec: number
  latencyP50Ms: number
  latencyP99Ms: number
}

function quantile (sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
}

async function measure (backend: string, store: Store, writes: number, watchers: number): Promise<Result> {
  const value = JSON.stringify({ kind: 'Pod', metadata: { name: 'x', labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } })

  let t0 = performance.now()
  for (let i = 0; i < writes; i++) await store.create(`/bench/seq/${i}`, value)
  const seqSec = (performance.now() - t0) / 1000

  const concurrency = 64
  const concurrentWrites = writes
  let next = 0
  t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < concurrentWrites; i = next++) await store.update(`/bench/seq/${i}`, value)
  }))
  const concSec = (performance.now() - t0) / 1000

  // Fan-out: every watcher must see every event; latency is write-acknowledged to delivered.
  const fanoutEvents = Math.max(1, Math.floor(writes / 5))
  const sentAt = new Map<number, number>()
  const latencies: number[] = []
  const ac = new AbortController()
  setMaxListeners(0, ac.signal) // one signal shared by every watcher on purpose
  const from = await store.revision()
  const consumers = Array.from({ length: watchers }, async () => {
    let seen = 0
    for await (const ev of store.watch('/bench/fan/', { afterRevision: from, signal: ac.signal })) {
      const sent = sentAt.get(ev.entry.modRevision)
      if (sent !== undefined) latencies.push(performance.now() - sent)
      if (++seen === fanoutEvents) return
    }
  })
  await new Promise(resolve => setTimeout(resolve, 200)) // let the watches attach before timing
  t0 = performance.now()
  for (let i = 0; i < fanoutEvents; i++) {
    const e = await store.create(`/bench/fan/${i}`, value)
    sentAt.set(e.modRevision, performance.now())
  }
  await Promise.all(consumers)
  const fanSec = (performance.now() - t0) / 1000
  ac.abort()
  latencies.sort((a, b) => a - b)

  return {
    backend,
    sequentialWrites: writes,
    sequentialWritesPerSec: Math.round(writes / seqSec),
    concurrentWrites,
    concurrency,
    concurrentWritesPerSec: Math.round(concurrentWrites / concSec),
    watchers,
    fanoutEvents,
    deliveriesPerSec: Math.round((fanoutEvents * watchers) / fanSec),
    latencyP50Ms: Number(quantile(latencies, 0.5).toFixed(2)),
    latencyP99Ms: Number(quantile(latencies, 0.99).toFixed(2))
  }
}

async function main (): Promise<void> {
  const writes = arg('writes', 5_000)
  const watchers = arg('watchers', 100)
  const results: Result[] = []

  const dir = mkdtempSync(join(tmpdir(), 'edgemesh-store-bench-'))
  const sqlite = sqliteStore({ dataDir: dir, compactIntervalMs: 0 })
  await sqlite.start()
  try {
    results.push(await measure('sqlite', sqlite, writes, watchers))
  } finally {
    await sqlite.stop()
    rmSync(dir, { recursive: true, force: true })
  }

  if (etcdAvailable()) {
    const server = await startEtcd()
    const etcd = etcdStore({ endpoints: [server.endpoint] })
    try {
      await etcd.start()
      results.push(await measure('etcd', etcd, Math.min(writes, 2_000), watchers))
    } finally {
      await etcd.stop()
      await server.stop()
    }
  } else {
    console.log('etcd not installed: etcd backend not measured')
  }

  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results')
  mkdirSync(out, { recursive: true })
  const meta = { generated: new Date().toISOString(), node: process.version, platform: `${process.platform}/${process.arch}` }
  writeFileSync(join(out, 'store.json'), JSON.stringify({ ...meta, results }, null, 2) + '\n')
  const md = [
    '## Store (cloud-core)',
    '',
    'Sequential creates, 64 concurrent updates, and one writer fanned out to N watchers (events delivered to all watchers per second; latency from write acknowledged to delivery).',
    '',
    '| backend | seq writes/s | concurrent writes/s | watchers | deliveries/s | p50 ms | p99 ms |',
    '|---|---|---|---|---|---|---|',
    ...results.map(r => `| ${r.backend} | ${r.sequentialWritesPerSec} | ${r.concurrentWritesPerSec} | ${r.watchers} | ${r.deliveriesPerSec} | ${r.latencyP50Ms} | ${r.latencyP99Ms} |`)
  ].join('\n')
  writeFileSync(join(out, 'store.md'), md + '\n')
  console.log(md)
}

await main()
