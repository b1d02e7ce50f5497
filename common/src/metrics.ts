import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { MetricsError } from './errors.js'

export type { Counter, Gauge, Histogram } from 'prom-client'

// One metrics registry per process, shared by its components (api server, controllers, cloud-hub,
// edgemesh-server ...), built on prom-client. Never prom-client's global default registry: two
// instances in one process (tests) must not see each other's series.

/** `edgemesh_<component>_<thing>_<unit>`: lower-case words joined by `_`, at least three of them. */
export const METRIC_NAME = /^edgemesh_[a-z0-9]+(_[a-z0-9]+)+$/


export interface MetricOptions<L extends string> {
  help: string
  labelNames?: readonly L[]
  /** Runs before every scrape; set gauges from live state here. */
  collect?: () => void
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds in the metric's unit. @default DEFAULT_BUCKETS (seconds) */
  buckets?: number[]
}

/** Latency buckets in seconds, 5 ms .. 60 s. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

export class MetricsRegistry {
  readonly registry = new Registry()
  private readonly collectors: Array<() => void> = []

  /**
   * Runs `fn` before every scrape, to sample gauges from live state. Returns the function that
   * unregisters it: a component registers per start and unregisters on stop, so a restart does not
   * sample twice.
   */
  onCollect (fn: () => void): () => void {
    const entry = (): void => { fn() }
    this.collectors.push(entry)
    return () => {
      const i = this.collectors.indexOf(entry)
      if (i >= 0) this.collectors.splice(i, 1)
    }
  }

  /** Counter `name`; registering the same name twice returns the first one. */
  counter<L extends string = string> (name: string, opts: MetricOptions<L>): Counter<L> {
    return this.existing(name) as Counter<L> | undefined ?? new Counter<L>({ name: checked(name), help: opts.help, labelNames: opts.labelNames ?? [], registers: [this.registry], ...collector(opts) })
  }

  gauge<L extends string = string> (name: string, opts: MetricOptions<L>): Gauge<L> {
    return this.existing(name) as Gauge<L> | undefined ?? new Gauge<L>({ name: checked(name), help: opts.help, labelNames: opts.labelNames ?? [], registers: [this.registry], ...collector(opts) })
  }

  histogram<L extends string = string> (name: string, opts: HistogramOptions<L>): Histogram<L> {
    return this.existing(name) as Histogram<L> | undefined ?? new Histogram<L>({ name: checked(name), help: opts.help, labelNames: opts.labelNames ?? [], buckets: opts.buckets ?? DEFAULT_BUCKETS, registers: [this.registry], ...collector(opts) })
  }

  /** Prometheus text exposition (what `/metrics` serves) and its Content-Type. */
  async render (): Promise<string> {
    for (const c of this.collectors) c()
    return await this.registry.metrics()
  }
  get contentType (): string { return this.registry.contentType }

  /** Current value of one series (tests and status pages), a histogram's by `<name>_count` / `_sum`; 0 when never set. */
  async value (name: string, labels: Record<string, string> = {}): Promise<number> {
    const m = this.registry.getSingleMetric(name) ?? this.registry.getSingleMetric(name.replace(/_(bucket|sum|count)$/, ''))
    if (m === undefined) return 0
    const data = await m.get()
    const want = Object.entries(labels)
    // Histogram values carry their series name (`_bucket`, `_sum`, `_count`); counters and gauges do not.
    const v = data.values.find(x => ((x as { metricName?: string }).metricName ?? name) === name &&
      Object.keys(x.labels).length === want.length && want.every(([k, val]) => String(x.labels[k]) === val))
    return v?.value ?? 0
  }

  private existing (name: string): unknown {
    return this.registry.getSingleMetric(name)
  }
}

function checked (name: string): string {
  if (!METRIC_NAME.test(name)) throw new MetricsError(`metric name "${name}" does not follow edgemesh_<component>_<thing>_<unit>`)
  return name
}

function collector (opts: { collect?: () => void }): { collect?: () => void } {
  const fn = opts.collect
  return fn === undefined ? {} : { collect: () => { fn() } }
}
