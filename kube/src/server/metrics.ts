const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

interface Series { count: number, sum: number, buckets: number[] }

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/** Request counters and latency histograms by verb/resource/code, plus the live watcher gauge. */
export class ApiMetrics {
  private readonly requests = new Map<string, number>()
  private readonly latency = new Map<string, Series>()
  private watchers = 0

  observe (verb: string, resource: string, code: number, seconds: number): void {
    const rk = `${verb}\u0000${resource}\u0000${code}`
    this.requests.set(rk, (this.requests.get(rk) ?? 0) + 1)
    const lk = `${verb}\u0000${resource}`
    let s = this.latency.get(lk)
    if (s === undefined) { s = { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) }; this.latency.set(lk, s) }
    s.count++
    s.sum += seconds
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) s.buckets[i]!++
  }

  watchStarted (): void { this.watchers++ }
  watchEnded (): void { this.watchers-- }
  get activeWatchers (): number { return this.watchers }

  /** Prometheus text exposition format 0.0.4. */
  render (): string {
    const out: string[] = []
    out.push('# HELP edgemesh_apiserver_requests_total API requests by verb, resource and HTTP code.', '# TYPE edgemesh_apiserver_requests_total counter')
    for (const [k, n] of this.requests) {
      const [verb, resource, code] = k.split('\u0000') as [string, string, string]
      out.push(`edgemesh_apiserver_requests_total{verb="${esc(verb)}",resource="${esc(resource)}",code="${code}"} ${n}`)
    }
    out.push('# HELP edgemesh_apiserver_request_duration_seconds API request latency (watches: stream lifetime).', '# TYPE edgemesh_apiserver_request_duration_seconds histogram')
    for (const [k, s] of this.latency) {
      const [verb, resource] = k.split('\u0000') as [string, string]
      const l = `verb="${esc(verb)}",resource="${esc(resource)}"`
      BUCKETS.forEach((b, i) => out.push(`edgemesh_apiserver_request_duration_seconds_bucket{${l},le="${b}"} ${s.buckets[i]!}`))
      out.push(`edgemesh_apiserver_request_duration_seconds_bucket{${l},le="+Inf"} ${s.count}`)
      out.push(`edgemesh_apiserver_request_duration_seconds_sum{${l}} ${s.sum}`)
      out.push(`edgemesh_apiserver_request_duration_seconds_count{${l}} ${s.count}`)
    }
    out.push('# HELP edgemesh_apiserver_watchers Open watch streams.', '# TYPE edgemesh_apiserver_watchers gauge', `edgemesh_apiserver_watchers ${this.watchers}`)
    return out.join('\n') + '\n'
  }
}
