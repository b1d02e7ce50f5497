/** Timing helpers shared by the API and store measurements, so both sides are measured alike. */

export interface Timed {
  /** Operations per second over the whole phase. */
  perSec: number
  p50Ms: number
  p99Ms: number
}

export function quantile (sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
}

const round2 = (n: number): number => Math.round(n * 100) / 100

export function summarize (count: number, seconds: number, latencies: number[]): Timed {
  const sorted = [...latencies].sort((a, b) => a - b)
  return { perSec: Math.round(count / seconds), p50Ms: round2(quantile(sorted, 0.5)), p99Ms: round2(quantile(sorted, 0.99)) }
}

/**
 * Runs `op(0..n-1)` with `concurrency` workers, each timing its own calls. A failed call fails the
 * phase: throughput of a run that dropped writes would be meaningless.
 */
export async function runPool (n: number, concurrency: number, op: (i: number) => Promise<void>): Promise<Timed> {
  const latencies: number[] = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    for (let i = next++; i < n; i = next++) {
      const s = performance.now()
      await op(i)
      latencies.push(performance.now() - s)
    }
  }))
  return summarize(n, (performance.now() - t0) / 1000, latencies)
}

export interface FanoutResult {
  watchers: number
  events: number
  /** Deliveries (events × watchers) per second, first write to last delivery. */
  deliveriesPerSec: number
  /** Write issued → delivered to every watcher. */
  allDeliveredP50Ms: number
  allDeliveredP99Ms: number
  /** Write issued → delivered to one watcher, over all deliveries. */
  deliveryP50Ms: number
  deliveryP99Ms: number
}

/**
 * Records when each event reached each watcher. `sent(id)` is called just before the write is issued,
 * `arrived(id)` by every watcher as the event comes in.
 */
export class FanoutClock {
  private readonly sentAt = new Map<string, number>()
  private readonly arrivals = new Map<string, number[]>()
  private complete = 0
  private waiter?: () => void

  constructor (private readonly watchers: number, private readonly events: number) {}

  sent (id: string): void { this.sentAt.set(id, performance.now()) }

  arrived (id: string): void {
    const now = performance.now()
    let a = this.arrivals.get(id)
    if (a === undefined) { a = []; this.arrivals.set(id, a) }
    a.push(now)
    if (a.length === this.watchers && ++this.complete === this.events) this.waiter?.()
  }

  /** Resolves when every event reached every watcher; rejects after `timeoutMs`. */
  async allDelivered (timeoutMs: number): Promise<void> {
    if (this.complete === this.events) return
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => { reject(new Error(`fan-out incomplete after ${timeoutMs} ms: ${this.complete}/${this.events} events reached all ${this.watchers} watchers`)) }, timeoutMs)
      this.waiter = () => { clearTimeout(t); resolve() }
    })
  }

  result (): FanoutResult {
    const all: number[] = []
    const each: number[] = []
    let first = Infinity
    let last = 0
    for (const [id, sent] of this.sentAt) {
      const a = this.arrivals.get(id) ?? []
      first = Math.min(first, sent)
      for (const t of a) { each.push(t - sent); last = Math.max(last, t) }
      if (a.length === this.watchers) all.push(Math.max(...a) - sent)
    }
    all.sort((x, y) => x - y)
    each.sort((x, y) => x - y)
    return {
      watchers: this.watchers,
      events: this.events,
      deliveriesPerSec: Math.round(each.length / ((last - first) / 1000)),
      allDeliveredP50Ms: round2(quantile(all, 0.5)),
      allDeliveredP99Ms: round2(quantile(all, 0.99)),
      deliveryP50Ms: round2(quantile(each, 0.5)),
      deliveryP99Ms: round2(quantile(each, 0.99))
    }
  }
}
