const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * What the hub reports. A tiny interface so the counters can move to the shared registry (prom-client)
 * without touching the hub.
 */
export interface HubMetrics {
  connected: (n: number) => void
  queueDepth: (node: string, depth: number) => void
  resent: (node: string, n: number) => void
  acked: (node: string, seconds: number) => void
  bytes: (node: string, direction: 'in' | 'out', n: number) => void
  nodeGone: (node: string) => void
}

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/** Plain counters with a Prometheus text rendering, in the style of the API server's metrics. */
export class CloudHubMetrics implements HubMetrics {
  connectedNodes = 0
  readonly depth = new Map<string, number>()
  readonly resends = new Map<string, number>()
  readonly bytesIn = new Map<string, number>()
  readonly bytesOut = new Map<string, number>()
  private readonly latency = { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) }

  connected (n: number): void { this.connectedNodes = n }
  queueDepth (node: string, depth: number): void { this.depth.set(node, depth) }
  resent (node: string, n: number): void { this.resends.set(node, (this.resends.get(node) ?? 0) + n) }
  acked (_node: string, seconds: number): void {
    this.latency.count++
    this.latency.sum += seconds
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) this.latency.buckets[i]!++
  }

  bytes (node: string, direction: 'in' | 'out', n: number): void {
    const m = direction === 'in' ? this.bytesIn : this.bytesOut
    m.set(node, (m.get(node) ?? 0) + n)
  }

  nodeGone (node: string): void { this.depth.delete(node) }

  get totalResends (): number { let n = 0; for (const v of this.resends.values()) n += v; return n }

  render (): string {
    const out: string[] = []
    out.push('# HELP edgemesh_cloudhub_connected_nodes Nodes with an open session.', '# TYPE edgemesh_cloudhub_connected_nodes gauge', `edgemesh_cloudhub_connected_nodes ${this.connectedNodes}`)
    out.push('# HELP edgemesh_cloudhub_queue_depth Pending downstream objects per node.', '# TYPE edgemesh_cloudhub_queue_depth gauge')
    for (const [n, v] of this.depth) out.push(`edgemesh_cloudhub_queue_depth{node="${esc(n)}"} ${v}`)
    out.push('# HELP edgemesh_cloudhub_resends_total Downstream messages sent again for want of an ack.', '# TYPE edgemesh_cloudhub_resends_total counter')
    for (const [n, v] of this.resends) out.push(`edgemesh_cloudhub_resends_total{node="${esc(n)}"} ${v}`)
    out.push('# HELP edgemesh_cloudhub_bytes_total Frame bytes per node and direction.', '# TYPE edgemesh_cloudhub_bytes_total counter')
    for (const [n, v] of this.bytesIn) out.push(`edgemesh_cloudhub_bytes_total{node="${esc(n)}",direction="in"} ${v}`)
    for (const [n, v] of this.bytesOut) out.push(`edgemesh_cloudhub_bytes_total{node="${esc(n)}",direction="out"} ${v}`)
    out.push('# HELP edgemesh_cloudhub_ack_latency_seconds From first send to ack of a downstream message.', '# TYPE edgemesh_cloudhub_ack_latency_seconds histogram')
    BUCKETS.forEach((b, i) => out.push(`edgemesh_cloudhub_ack_latency_seconds_bucket{le="${b}"} ${this.latency.buckets[i]!}`))
    out.push(`edgemesh_cloudhub_ack_latency_seconds_bucket{le="+Inf"} ${this.latency.count}`, `edgemesh_cloudhub_ack_latency_seconds_sum ${this.latency.sum}`, `edgemesh_cloudhub_ack_latency_seconds_count ${this.latency.count}`)
    return out.join('\n') + '\n'
  }
}
