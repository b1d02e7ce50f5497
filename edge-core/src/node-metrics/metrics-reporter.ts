import {
  cpuQuantity, memoryQuantity, METRICS_API_VERSION, NODE_METRICS_LIMITS, nodeMetricsResource, silentLogger, sleep, windowDuration,
  type Counter, type Logger, type MetricsRegistry, type NodeMetricsReport, type PodMetrics, type Startable
} from '@edgemesh/common'
import type { UpstreamInit } from '../edge-hub/edge-hub.js'
import { UsageCollector, type UsageCollectorInit, type UsageSample, type UsageSource } from './usage-collector.js'

export interface MetricsReporterInit extends UsageCollectorInit {
  nodeName: string
  /** A sample is taken and reported this often; CPU is the rate over this window. @default 15_000 */
  reportMs?: number
}

export interface MetricsReporterComponents {
  /** The edge-hub (anything that sends upstream and resolves on the cloud's ack). */
  hub: { send: (init: UpstreamInit, signal?: AbortSignal) => Promise<unknown> }
  /** The containers running on this node (edged). */
  source: UsageSource
  /** @default silent */
  logger?: Logger
  /** Counts reports by outcome as edgemesh_edgecore_metrics_reports_total{result}. @default none */
  metrics?: MetricsRegistry
}

/** The report for one sample: the node's NodeMetrics and one PodMetrics per pod, within the wire caps. */
export function metricsReport (nodeName: string, sample: UsageSample): { report: NodeMetricsReport, dropped: number } {
  const timestamp = sample.timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z')
  const window = windowDuration(sample.windowMs)
  const pods = new Map<string, PodMetrics>()
  let dropped = 0
  for (const c of sample.containers) {
    let pod = pods.get(c.uid)
    if (pod === undefined) {
      if (pods.size >= NODE_METRICS_LIMITS.pods) { dropped++; continue }
      pod = { apiVersion: METRICS_API_VERSION, kind: 'PodMetrics', metadata: { name: c.pod, namespace: c.namespace, uid: c.uid }, timestamp, window, containers: [] }
      pods.set(c.uid, pod)
    }
    if (pod.containers.length >= NODE_METRICS_LIMITS.containersPerPod) { dropped++; continue }
    pod.containers.push({ name: c.container, usage: { cpu: cpuQuantity(c.cpuNanoCores), memory: memoryQuantity(c.memoryBytes) } })
  }
  return {
    report: {
      node: { apiVersion: METRICS_API_VERSION, kind: 'NodeMetrics', metadata: { name: nodeName }, timestamp, window, usage: { cpu: cpuQuantity(sample.node.cpuNanoCores), memory: memoryQuantity(sample.node.memoryBytes) } },
      pods: [...pods.values()]
    },
    dropped
  }
}

/**
 * Reports this node's usage for `kubectl top`: every `reportMs` it samples node and container usage
 * (UsageCollector) and sends a NodeMetrics report (`null/nodemetrics/<node>`) upstream. Only the latest
 * usage matters, so a report the cloud has not acked when the next one is due is withdrawn (its send
 * aborted, which the edge-hub forgets): an offline node keeps at most one report pending, never a backlog.
 * The first report goes out one interval after start (a rate needs two samples).
 */
export class MetricsReporter implements Startable {
  private ac?: AbortController
  private loop?: Promise<void>
  private inFlight?: { ac: AbortController, done: Promise<void> }
  private readonly log: Logger
  private readonly collector: UsageCollector
  private readonly reports?: Counter<'result'>

  constructor (private readonly components: MetricsReporterComponents, private readonly init: MetricsReporterInit) {
    this.log = (components.logger ?? silentLogger()).child({ component: 'metrics-reporter' })
    this.collector = new UsageCollector({ source: components.source, logger: components.logger }, init)
    this.reports = components.metrics?.counter('edgemesh_edgecore_metrics_reports_total', { help: 'Usage reports sent upstream, by outcome (acked, withdrawn unacked, failed).', labelNames: ['result'] })
  }

  readonly [Symbol.toStringTag] = '@edgemesh/metrics-reporter'

  isStarted (): boolean { return this.ac !== undefined }

  async start (): Promise<void> {
    if (this.ac !== undefined) return
    const ac = new AbortController()
    this.ac = ac
    this.loop = this.run(ac.signal).catch(err => { if (!ac.signal.aborted) this.log.error({ err }, 'metrics reporter stopped') })
  }

  async stop (): Promise<void> {
    const ac = this.ac
    if (ac === undefined) return
    ac.abort()
    await this.loop
    await this.inFlight?.done
    this.ac = undefined
    this.loop = undefined
  }

  private async run (signal: AbortSignal): Promise<void> {
    const every = this.init.reportMs ?? 15_000
    let next = performance.now()
    while (!signal.aborted) {
      try {
        const sample = await this.collector.collect(signal)
        // A collection that finished after stop() must not start a report nobody will wait for.
        if (sample !== undefined && !signal.aborted) this.send(sample, signal)
      } catch (err) {
        if (signal.aborted) return
        this.log.warn({ err }, 'usage collection failed; trying again next interval')
      }
      next += every
      await sleep(Math.max(0, next - performance.now()), signal).catch(() => {})
    }
  }

  private send (sample: UsageSample, signal: AbortSignal): void {
    // The previous report missed its interval: the new one replaces it.
    this.inFlight?.ac.abort()
    const { report, dropped } = metricsReport(this.init.nodeName, sample)
    if (dropped > 0) this.log.warn({ dropped, limits: NODE_METRICS_LIMITS }, 'containers left out of the usage report (over the report caps)')
    const ac = new AbortController()
    const init: UpstreamInit = { operation: 'update', resource: nodeMetricsResource(this.init.nodeName), content: report }
    const entry = {
      ac,
      done: this.components.hub.send(init, AbortSignal.any([signal, ac.signal])).then(
        () => { this.reports?.inc({ result: 'acked' }) },
        (err: unknown) => {
          if (signal.aborted) return
          if (ac.signal.aborted) {
            this.reports?.inc({ result: 'withdrawn' })
            this.log.debug('usage report not acked in time; the next one replaces it')
            return
          }
          this.reports?.inc({ result: 'failed' })
          this.log.warn({ err }, 'usage report failed')
        }
      ).finally(() => { if (this.inFlight === entry) this.inFlight = undefined })
    }
    this.inFlight = entry
  }
}
