import { hasCode } from '@edgemesh/common'
import type { NodeCondition, Taint } from 'kubernetes-types/core/v1.js'
import { NODE_LEASE_NAMESPACE, timestamp, toleratesTaint, LEASES, NODES, PODS, inNamespace, type Lease, type Node, type Pod, isPodReady } from '@edgemesh/kube/machinery'
import { ReconcileLoop, byNodeName, type Informer, ignoreNotFound, updateWithRetry, type ControllerComponents } from '@edgemesh/kube/client'

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable'
export const EDGE_ROLE_LABEL = 'node-role.kubernetes.io/edge'

export interface NodeLifecycleControllerInit {
  /** A node whose lease is not renewed for this long becomes Unknown/unreachable. @default 40_000 */
  nodeMonitorGracePeriodMs?: number
  /** How often every node is checked. @default 5_000 */
  nodeMonitorPeriodMs?: number
  /** Pods on an unreachable non-edge node are evicted after this long. @default 300_000 */
  podEvictionTimeoutMs?: number
}

export type NodeLifecycleControllerComponents = ControllerComponents

const nowIso = (): string => timestamp(new Date())

/** Edge nodes keep their pods when the cloud loses sight of them: that is node autonomy. */
export function isEdgeNode (node: Node): boolean {
  return Object.hasOwn(node.metadata.labels ?? {}, EDGE_ROLE_LABEL)
}

/**
 * Watches node leases. A node whose lease goes quiet for the grace period gets Ready=Unknown
 * (NodeStatusUnknown), the unreachable NoExecute taint, and its pods Ready=False; pods on non-edge nodes
 * are evicted after the eviction timeout. A renewed lease removes the taint.
 */
export class NodeLifecycleController extends ReconcileLoop {
  private readonly nodes: Informer<Node>
  private readonly pods: Informer<Pod>
  private readonly grace: number
  private readonly period: number
  private readonly evictAfter: number
  /** When we last saw each node's lease change (our clock, so node clock skew does not matter). */
  private readonly observed = new Map<string, { renewTime: string, at: number }>()

  constructor (private readonly components: NodeLifecycleControllerComponents, init: NodeLifecycleControllerInit = {}) {
    super(components.informers, components.logger, { name: 'node-lifecycle-controller', workers: 1 })
    this.grace = init.nodeMonitorGracePeriodMs ?? 40_000
    this.period = init.nodeMonitorPeriodMs ?? 5_000
    this.evictAfter = init.podEvictionTimeoutMs ?? 300_000
    this.nodes = components.informers.informerFor<Node>(NODES)
    this.pods = components.informers.informerFor<Pod>(PODS, { nodeName: byNodeName })
    const leases = components.informers.informerFor<Lease>(inNamespace(LEASES, NODE_LEASE_NAMESPACE))
    const onLease = (l: Lease): void => {
      const name = l.metadata.name ?? ''
      const renew = String(l.spec?.renewTime ?? l.metadata.resourceVersion ?? '')
      const prev = this.observed.get(name)
      if (prev?.renewTime !== renew) {
        this.observed.set(name, { renewTime: renew, at: Date.now() })
        this.queue.add(name)
      }
    }
    leases.addHandler({ add: onLease, update: (_o, l) => { onLease(l) } })
    this.nodes.addHandler({
      add: n => {
        const name = n.metadata.name ?? ''
        if (!this.observed.has(name)) this.observed.set(name, { renewTime: '', at: Date.now() })
        this.queue.add(name)
      },
      delete: n => { this.observed.delete(n.metadata.name ?? '') }
    })
  }

  protected onStart (signal: AbortSignal): void {
    const t = setInterval(() => { for (const n of this.nodes.list()) this.queue.add(n.metadata.name ?? '') }, this.period)
    t.unref?.()
    signal.addEventListener('abort', () => { clearInterval(t) }, { once: true })
  }

  protected async reconcile (name: string): Promise<number | undefined> {
    const node = this.nodes.get(name)
    if (node === undefined) return undefined
    const seen = this.observed.get(name)?.at ?? Date.now()
    const quietFor = Date.now() - seen
    const taints = node.spec?.taints ?? []
    const tainted = taints.find(t => t.key === UNREACHABLE_TAINT && t.effect === 'NoExecute')
    if (quietFor <= this.grace) {
      if (tainted !== undefined) await this.setTaints(name, ts => ts.filter(t => !(t.key === UNREACHABLE_TAINT && t.effect === 'NoExecute')))
      // Look again right when the grace period would run out, rather than at the next periodic tick.
      return this.grace - quietFor + 10
    }
    await this.markUnknown(name)
    let since = tainted?.timeAdded !== undefined ? Date.parse(tainted.timeAdded) : NaN
    if (tainted === undefined) {
      const taint: Taint = { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: nowIso() }
      await this.setTaints(name, ts => [...ts.filter(t => t.key !== UNREACHABLE_TAINT), taint])
      since = Date.now()
      this.log.info({ node: name, quietMs: quietFor }, 'node lease expired: unreachable')
    }
    await this.markPodsNotReady(name)
    if (isEdgeNode(node)) return undefined
    return await this.evict(name, Number.isFinite(since) ? since : Date.now())
  }

  private async markUnknown (name: string): Promise<void> {
    await updateWithRetry<Node>(this.components.client, NODES, name, live => {
      const conds = live.status?.conditions ?? []
      const ready = conds.find(c => c.type === 'Ready')
      if (ready?.status === 'Unknown') return false
      const next: NodeCondition = { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: ready?.lastHeartbeatTime, lastTransitionTime: nowIso() }
      live.status = { ...(live.status ?? {}), conditions: [...conds.filter(c => c.type !== 'Ready'), next] }
      return true
    }, { subresource: 'status' })
  }

  private async setTaints (name: string, fn: (ts: Taint[]) => Taint[]): Promise<void> {
    await updateWithRetry<Node>(this.components.client, NODES, name, live => {
      const before = live.spec?.taints ?? []
      const after = fn(before)
      if (JSON.stringify(before) === JSON.stringify(after)) return false
      live.spec = { ...(live.spec ?? {}), taints: after.length > 0 ? after : undefined }
      return true
    })
  }

  private async markPodsNotReady (name: string): Promise<void> {
    for (const pod of this.pods.byIndex('nodeName', name)) {
      if (!isPodReady(pod) || pod.metadata.deletionTimestamp !== undefined) continue
      const ref = inNamespace(PODS, pod.metadata.namespace)
      try {
        const live = await this.components.client.get<Pod>(ref, pod.metadata.name ?? '')
        const conds = (live.status?.conditions ?? []).map(c => c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: nowIso() } : c)
        await this.components.client.update<Pod>(ref, { ...live, status: { ...(live.status ?? {}), conditions: conds } }, 'status')
      } catch (err) {
        if (!hasCode(err, 'API_NOT_FOUND') && !hasCode(err, 'API_CONFLICT')) throw err
      }
    }
  }

  /** Deletes pods that do not tolerate being unreachable (any longer); returns when to look again. */
  private async evict (name: string, since: number): Promise<number | undefined> {
    const taint: Taint = { key: UNREACHABLE_TAINT, effect: 'NoExecute' }
    const elapsed = Date.now() - since
    let next: number | undefined
    for (const pod of this.pods.byIndex('nodeName', name)) {
      if (pod.metadata.deletionTimestamp !== undefined) continue
      const tol = (pod.spec?.tolerations ?? []).filter(t => toleratesTaint(t, taint))
      let allowedMs = this.evictAfter
      if (tol.length > 0) {
        const secs = tol.map(t => t.tolerationSeconds)
        if (secs.some(s => s === undefined || s === null)) continue
        allowedMs = Math.max(...secs.map(s => (s ?? 0) * 1000))
      }
      if (elapsed < allowedMs) { next = Math.min(next ?? Infinity, allowedMs - elapsed); continue }
      await ignoreNotFound(this.components.client.delete(inNamespace(PODS, pod.metadata.namespace), pod.metadata.name ?? '').then(() => {
        this.log.info({ node: name, pod: `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}` }, 'evicted pod from unreachable node')
      }))
    }
    return next
  }
}

export function nodeLifecycleController (init: NodeLifecycleControllerInit = {}): (c: NodeLifecycleControllerComponents) => NodeLifecycleController {
  return c => new NodeLifecycleController(c, init)
}
