import { MetricsRegistry, type Counter, type Gauge, type Histogram, type PodStreamKind } from '@edgemesh/common'
import type { StreamAbortCause, StreamDropReason } from '@edgemesh/common/hub-protocol'

/** What the hub reports; the hub depends on this, not on the registry. */
export interface HubMetrics {
  connected: (n: number) => void
  queueDepth: (node: string, depth: number) => void
  resent: (node: string, n: number) => void
  acked: (node: string, seconds: number) => void
  bytes: (node: string, direction: 'in' | 'out', n: number) => void
  nodeGone: (node: string) => void
  /** A pod stream was accepted by its node / an accepted one finished or was torn down. */
  podStreamOpened: (kind: PodStreamKind) => void
  podStreamClosed: (kind: PodStreamKind) => void
  /** Pod-stream DATA bytes: `out` to nodes, `in` from nodes. */
  podStreamBytes: (direction: 'in' | 'out', n: number) => void
  podStreamRefused: (status: number) => void
  podStreamAborted: (cause: StreamAbortCause) => void
  streamFrameDropped: (reason: StreamDropReason) => void
}

const ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** The hub's series on the process's metrics registry (one per node label where it matters). */
export class CloudHubMetrics implements HubMetrics {
  readonly registry: MetricsRegistry
  private readonly connectedNodes: Gauge
  private readonly depth: Gauge<'node'>
  private readonly resends: Counter<'node'>
  private readonly frameBytes: Counter<'node' | 'direction'>
  private readonly ackLatency: Histogram
  private readonly openStreams: Gauge<'kind'>
  private readonly streamBytes: Counter<'direction'>
  private readonly refusals: Counter<'status'>
  private readonly aborts: Counter<'cause'>
  private readonly dropped: Counter<'reason'>
  private resendCount = 0

  constructor (registry: MetricsRegistry = new MetricsRegistry()) {
    this.registry = registry
    this.connectedNodes = registry.gauge('edgemesh_cloudhub_connected_nodes', { help: 'Nodes with an open session.' })
    this.depth = registry.gauge('edgemesh_cloudhub_queue_depth', { help: 'Pending downstream objects per node.', labelNames: ['node'] })
    this.resends = registry.counter('edgemesh_cloudhub_resends_total', { help: 'Downstream messages sent again for want of an ack.', labelNames: ['node'] })
    this.frameBytes = registry.counter('edgemesh_cloudhub_bytes_total', { help: 'Frame bytes per node and direction.', labelNames: ['node', 'direction'] })
    this.ackLatency = registry.histogram('edgemesh_cloudhub_ack_latency_seconds', { help: 'From first send to ack of a downstream message.', buckets: ACK_BUCKETS })
    // No node label on the stream series: they would multiply by every node (10 000) for little gain.
    this.openStreams = registry.gauge('edgemesh_cloudhub_open_pod_streams', { help: 'Pod streams (logs/exec/attach/port-forward) open over edge links, by kind.', labelNames: ['kind'] })
    this.streamBytes = registry.counter('edgemesh_cloudhub_pod_stream_bytes_total', { help: 'Pod-stream DATA bytes, out to nodes and in from nodes.', labelNames: ['direction'] })
    this.refusals = registry.counter('edgemesh_cloudhub_pod_stream_refusals_total', { help: 'Pod-stream opens refused by the node, by HTTP status.', labelNames: ['status'] })
    this.aborts = registry.counter('edgemesh_cloudhub_pod_stream_aborts_total', { help: 'Pod streams torn down, by cause (link, timeout, credit, protocol, peer, local).', labelNames: ['cause'] })
    this.dropped = registry.counter('edgemesh_cloudhub_stream_frames_dropped_total', { help: 'Pod-stream frames from nodes dropped (unknown or closed stream, malformed, not allowed from a node).', labelNames: ['reason'] })
    this.connectedNodes.set(0)
  }

  connected (n: number): void { this.connectedNodes.set(n) }
  queueDepth (node: string, depth: number): void { this.depth.set({ node }, depth) }
  resent (node: string, n: number): void { this.resendCount += n; this.resends.inc({ node }, n) }
  acked (_node: string, seconds: number): void { this.ackLatency.observe(seconds) }
  bytes (node: string, direction: 'in' | 'out', n: number): void { this.frameBytes.inc({ node, direction }, n) }
  nodeGone (node: string): void { this.depth.remove({ node }) }
  podStreamOpened (kind: PodStreamKind): void { this.openStreams.inc({ kind }) }
  podStreamClosed (kind: PodStreamKind): void { this.openStreams.dec({ kind }) }
  podStreamBytes (direction: 'in' | 'out', n: number): void { this.streamBytes.inc({ direction }, n) }
  podStreamRefused (status: number): void { this.refusals.inc({ status: String(status) }) }
  podStreamAborted (cause: StreamAbortCause): void { this.aborts.inc({ cause }) }
  streamFrameDropped (reason: StreamDropReason): void { this.dropped.inc({ reason }) }

  /** Resends over all nodes since start. */
  get totalResends (): number { return this.resendCount }
  async render (): Promise<string> { return await this.registry.render() }
}
