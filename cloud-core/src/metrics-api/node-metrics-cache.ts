import type { MetricsRegistry, NodeMetrics, PodMetrics } from '@edgemesh/common'

export interface NodeMetricsCacheInit {
  /** An entry lives at least this long after its report (3 × the nodes' default 15 s interval). @default 45_000 */
  ttlMs?: number
  /** An entry lives at most this long, whatever window the node reports. @default 600_000 */
  maxTtlMs?: number
  /** Nodes kept; a new node beyond it evicts the one reported longest ago. @default 10_000 */
  maxNodes?: number
}

export interface NodeMetricsCacheComponents {
  /** Monotonic milliseconds. @default performance.now */
  clock?: () => number
  /** Samples edgemesh_metricscache_nodes and edgemesh_metricscache_pods. @default none */
  metrics?: MetricsRegistry
}

/** What a node's report becomes once the cloud checked it: metadata with the live objects' labels. */
export interface NodeUsage {
  node: Omit<NodeMetrics, 'metadata'> & { metadata: { name: string, labels?: Record<string, string> } }
  pods: Array<Omit<PodMetrics, 'metadata'> & { metadata: { name: string, namespace: string, labels?: Record<string, string> } }>
}

type CachedNode = NodeUsage['node']
type CachedPod = NodeUsage['pods'][number]

interface Entry {
  usage: NodeUsage
  expiresAt: number
}

const podKey = (namespace: string, name: string): string => `${namespace}/${name}`

/** Go-duration seconds (`15.002s`) as ms; 0 for anything else. */
function windowMs (window: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)s$/.exec(window)
  return m === null ? 0 : Number(m[1]) * 1000
}

/**
 * The latest usage each node reported, for the metrics API. An entry expires `max(ttlMs, 3 × its
 * window)` after its report (so a node that went quiet stops showing stale usage), and goes at once
 * when its node or pod is deleted. Bounded by `maxNodes` (and each report by the wire caps).
 */
export class NodeMetricsCache {
  private readonly init: Required<NodeMetricsCacheInit>
  private readonly clock: () => number
  private readonly byNode = new Map<string, Entry>()
  // Pod → node whose report holds it (a pod that moved belongs to the newest report naming it).
  private readonly podNode = new Map<string, string>()

  constructor (components: NodeMetricsCacheComponents = {}, init: NodeMetricsCacheInit = {}) {
    this.init = { ttlMs: 45_000, maxTtlMs: 600_000, maxNodes: 10_000, ...init }
    this.clock = components.clock ?? (() => performance.now())
    const m = components.metrics
    if (m !== undefined) {
      const nodes = m.gauge('edgemesh_metricscache_nodes', { help: 'Nodes whose usage the metrics API serves.', collect: () => { nodes.set(this.sweepAndCount().nodes) } })
      const pods = m.gauge('edgemesh_metricscache_pods', { help: 'Pods whose usage the metrics API serves.', collect: () => { pods.set(this.sweepAndCount().pods) } })
    }
  }

  /** Replaces what `node` reported before. */
  put (node: string, usage: NodeUsage): void {
    const now = this.clock()
    this.drop(node)
    if (this.byNode.size >= this.init.maxNodes) this.sweep(now)
    while (this.byNode.size >= this.init.maxNodes) {
      const oldest = this.byNode.keys().next().value
      if (oldest === undefined) break
      this.drop(oldest)
    }
    const ttl = Math.min(this.init.maxTtlMs, Math.max(this.init.ttlMs, 3 * windowMs(usage.node.window)))
    this.byNode.set(node, { usage, expiresAt: now + ttl })
    for (const p of usage.pods) this.podNode.set(podKey(p.metadata.namespace, p.metadata.name), node)
  }

  node (name: string): CachedNode | undefined {
    return this.live(name)?.usage.node
  }

  nodes (): CachedNode[] {
    this.sweep(this.clock())
    return [...this.byNode.values()].map(e => e.usage.node)
  }

  pod (namespace: string, name: string): CachedPod | undefined {
    const node = this.podNode.get(podKey(namespace, name))
    if (node === undefined) return undefined
    return this.live(node)?.usage.pods.find(p => p.metadata.namespace === namespace && p.metadata.name === name)
  }

  /** Pods in `namespace`, or in every namespace. */
  pods (namespace?: string): CachedPod[] {
    this.sweep(this.clock())
    const out: CachedPod[] = []
    for (const [node, e] of this.byNode) {
      for (const p of e.usage.pods) {
        if (namespace !== undefined && p.metadata.namespace !== namespace) continue
        if (this.podNode.get(podKey(p.metadata.namespace, p.metadata.name)) === node) out.push(p)
      }
    }
    return out
  }

  /** The node was deleted: its usage and its pods' go. */
  deleteNode (name: string): void { this.drop(name) }

  /** The pod was deleted: its usage goes (the rest of its node's report stays). */
  deletePod (namespace: string, name: string): void {
    const key = podKey(namespace, name)
    const node = this.podNode.get(key)
    if (node === undefined) return
    this.podNode.delete(key)
    const e = this.byNode.get(node)
    if (e !== undefined) e.usage = { ...e.usage, pods: e.usage.pods.filter(p => podKey(p.metadata.namespace, p.metadata.name) !== key) }
  }

  private sweepAndCount (): { nodes: number, pods: number } {
    this.sweep(this.clock())
    return { nodes: this.byNode.size, pods: this.podNode.size }
  }

  private live (node: string): Entry | undefined {
    const e = this.byNode.get(node)
    if (e === undefined) return undefined
    if (e.expiresAt <= this.clock()) { this.drop(node); return undefined }
    return e
  }

  private sweep (now: number): void {
    for (const [node, e] of this.byNode) if (e.expiresAt <= now) this.drop(node)
  }

  private drop (node: string): void {
    const e = this.byNode.get(node)
    if (e === undefined) return
    this.byNode.delete(node)
    for (const p of e.usage.pods) {
      const key = podKey(p.metadata.namespace, p.metadata.name)
      if (this.podNode.get(key) === node) this.podNode.delete(key)
    }
  }
}
