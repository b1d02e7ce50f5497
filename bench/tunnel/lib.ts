// Measurement helpers shared by run.ts (one thread) and threads.ts (agents on their own threads).
import { createHash, randomBytes } from 'node:crypto'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { Readable, type Duplex } from 'node:stream'

export async function echoServer (): Promise<{ server: Server, port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => { s.on('error', () => {}); s.pipe(s) })
  await new Promise<void>(resolve => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve))
  return { server, port: (server.address() as AddressInfo).port }
}

/** Pushes `mib` MiB through `d` (which echoes) and returns MiB/s of payload (one direction), checking sha256. */
export async function throughput (d: Duplex, mib: number): Promise<{ mibPerSec: number, seconds: number, sha256Ok: boolean }> {
  const chunk = randomBytes(64 * 1024)
  const total = mib * 1024 * 1024
  const sent = createHash('sha256')
  const got = createHash('sha256')
  let produced = 0
  let received = 0
  const src = new Readable({ read () { if (produced >= total) { this.push(null); return } produced += chunk.byteLength; sent.update(chunk); this.push(chunk) } })
  const t0 = process.hrtime.bigint()
  const done = (async () => { for await (const c of d) { received += (c as Buffer).byteLength; got.update(c as Buffer) } })()
  src.pipe(d)
  await done
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  return { mibPerSec: mib / seconds, seconds, sha256Ok: received === total && got.digest('hex') === sent.digest('hex') }
}

/** Sequential 64-byte ping-pongs over one flow; returns p50/p99 in ms. */
export async function rtt (d: Duplex, n: number): Promise<{ p50: number, p99: number }> {
  const msg = Buffer.alloc(64, 7)
  const times: number[] = []
  let pending: (() => void) | undefined
  let have = 0
  d.on('data', (c: Buffer) => { have += c.byteLength; if (have >= 64) { have -= 64; pending?.() } })
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    await new Promise<void>(resolve => { pending = resolve; d.write(msg) })
    times.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  d.end()
  times.sort((a, b) => a - b)
  return { p50: times[Math.floor(n * 0.5)]!, p99: times[Math.floor(n * 0.99)]! }
}

export const rawFlow = async (port: number, host = '127.0.0.1'): Promise<Socket> => await new Promise((resolve, reject) => {
  const s = connect({ port, host, allowHalfOpen: true }, () => { resolve(s) })
  s.once('error', reject)
})

const median = (v: number[]): number => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!

/**
 * Throughput ratio of `path` to raw TCP as the median of per-round ratios: paths of one round run back to back,
 * so their ratio survives the load swings that make medians of absolute rates drift apart.
 */
export function medianRatio (rounds: Record<string, number[]>, path: string, baseline = 'raw TCP'): number {
  const base = rounds[baseline] ?? []
  const r = (rounds[path] ?? []).map((v, i) => v / (base[i] ?? NaN))
  return Math.round(median(r) * 1000) / 1000
}
