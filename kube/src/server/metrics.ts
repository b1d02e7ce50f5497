import type { Counter, Gauge, Histogram, MetricsRegistry } from '@edgemesh/common'

/** Request counters and latency histograms by verb/resource/code, plus the live watcher gauge. */
export class ApiMetrics {
  private readonly requests: Counter<'verb' | 'resource' | 'code'>
  private readonly latency: Histogram<'verb' | 'resource'>
  private readonly watchers: Gauge
  private open = 0

  constructor (registry: MetricsRegistry) {
    this.requests = registry.counter('edgemesh_apiserver_requests_total', { help: 'API requests by verb, resource and HTTP code.', labelNames: ['verb', 'resource', 'code'] })
    this.latency = registry.histogram('edgemesh_apiserver_request_duration_seconds', { help: 'API request latency (watches: stream lifetime).', labelNames: ['verb', 'resource'] })
    this.watchers = registry.gauge('edgemesh_apiserver_watchers', { help: 'Open watch streams.' })
    this.watchers.set(0)
  }

  observe (verb: string, resource: string, code: number, seconds: number): void {
    this.requests.inc({ verb, resource, code: String(code) })
    this.latency.observe({ verb, resource }, seconds)
  }

  watchStarted (): void { this.watchers.set(++this.open) }
  watchEnded (): void { this.watchers.set(--this.open) }
  get activeWatchers (): number { return this.open }
}
