import { hasCode } from '@edgemesh/common'
import type { PodCondition } from 'kubernetes-types/core/v1.js'
import { timestamp, NODES, PODS, inNamespace, keyOf, splitKey, type Node, type Pod, isPodActive } from '@edgemesh/kube/machinery'
import { ReconcileLoop, EventRecorder, byNodeName, type Informer, ignoreNotFound, updateWithRetry, type ControllerComponents } from '@edgemesh/kube/client'
import { failedSchedulingMessage, filterNode, leastAllocatedScore, podRequests, scoringRequests, type Resources } from './predicates.js'

export interface SchedulerInit {
  /** Pods with this spec.schedulerName are ours. @default 'default-scheduler' */
  schedulerName?: string
  /** @default 1 */
  workers?: number
  /** Re-check an unschedulable pod at least this often even without node changes. @default 30_000 */
  unschedulableRetryMs?: number
}

export type SchedulerComponents = ControllerComponents

/**
 * Whether a node update can change where pods fit: labels, taints, cordon, allocatable or the Ready
 * condition. Heartbeat-only updates (lastHeartbeatTime, images, daemon endpoints) return false.
 */
export function nodeChangeAffectsScheduling (o: Node, n: Node): boolean {
  const relevant = (x: Node): unknown[] => [
    x.metadata.labels ?? {},
    x.spec?.taints ?? [],
    x.spec?.unschedulable === true,
    x.status?.allocatable ?? {},
    x.status?.conditions?.find(c => c.type === 'Ready')?.status ?? 'Unknown'
  ]
  return JSON.stringify(relevant(o)) !== JSON.stringify(relevant(n))
}

/** A client that can POST pods/<name>/binding; the in-process client may offer it. */
interface BindingClient { bind?: (namespace: string, name: string, nodeName: string, uid?: string) => Promise<unknown> }

/**
 * Places pending pods on nodes: filter (readiness, cordon, selector/affinity, taints, cpu/memory), score
 * by least allocation, bind. Pods that fit nowhere get a FailedScheduling event and PodScheduled=False,
 * and are retried whenever a node changes.
 */
export class Scheduler extends ReconcileLoop {
  private readonly pods: Informer<Pod>
  private readonly nodes: Informer<Node>
  private readonly events: EventRecorder
  private readonly schedulerName: string
  private readonly retryMs: number
  /** Pods we bound whose binding the cache has not shown yet: key → node. */
  private readonly assumed = new Map<string, { node: string, req: Resources, score: Resources }>()
  private readonly unschedulable = new Set<string>()
  /** Last FailedScheduling message per pod, so a pod that stays stuck does not flood events. */
  private readonly lastFailure = new Map<string, string>()

  constructor (private readonly components: SchedulerComponents, init: SchedulerInit = {}) {
    super(components.informers, components.logger, { name: 'scheduler', workers: init.workers ?? 1 })
    this.schedulerName = init.schedulerName ?? 'default-scheduler'
    this.retryMs = init.unschedulableRetryMs ?? 30_000
    this.events = new EventRecorder(components.client, this.schedulerName, this.log)
    this.pods = components.informers.informerFor<Pod>(PODS, { nodeName: byNodeName })
    this.nodes = components.informers.informerFor<Node>(NODES)
    this.pods.addHandler({
      add: p => { this.onPod(p) },
      update: (_o, p) => { this.onPod(p) },
      delete: p => { this.assumed.delete(keyOf(p)); this.unschedulable.delete(keyOf(p)); this.lastFailure.delete(keyOf(p)) }
    })
    const retryAll = (): void => { for (const k of this.unschedulable) this.queue.add(k) }
    // Status heartbeats arrive every few seconds per node; only changes that can alter a filter result requeue.
    this.nodes.addHandler({ add: retryAll, update: (o, n) => { if (nodeChangeAffectsScheduling(o, n)) retryAll() }, delete: retryAll })
  }

  private onPod (p: Pod): void {
    const key = keyOf(p)
    const nodeName = p.spec?.nodeName
    if (nodeName !== undefined && nodeName !== '') {
      this.assumed.delete(key)
      this.unschedulable.delete(key)
      this.lastFailure.delete(key)
      // A pod that leaves (finishes) frees room for the stuck ones.
      if (!isPodActive(p)) for (const k of this.unschedulable) this.queue.add(k)
      return
    }
    if (this.isOurs(p)) this.queue.add(key)
  }

  private isOurs (p: Pod): boolean {
    return (p.spec?.schedulerName ?? 'default-scheduler') === this.schedulerName && isPodActive(p)
  }

  /** Requests of pods bound (or assumed bound) to `node`. */
  private usage (node: string): { used: Resources & { pods: number }, score: Resources } {
    const used = { cpuMillis: 0, memoryBytes: 0, pods: 0 }
    const score = { cpuMillis: 0, memoryBytes: 0 }
    const add = (r: Resources, s: Resources): void => {
      used.cpuMillis += r.cpuMillis; used.memoryBytes += r.memoryBytes; used.pods++
      score.cpuMillis += s.cpuMillis; score.memoryBytes += s.memoryBytes
    }
    for (const p of this.pods.byIndex('nodeName', node)) if (isPodActive(p)) add(podRequests(p), scoringRequests(p))
    for (const [key, a] of this.assumed) {
      if (a.node !== node) continue
      const cached = this.pods.get(key)
      if (cached?.spec?.nodeName === node) continue
      add(a.req, a.score)
    }
    return { used, score }
  }

  protected async reconcile (key: string): Promise<number | undefined> {
    const pod = this.pods.get(key)
    if (pod === undefined || (pod.spec?.nodeName ?? '') !== '' || !this.isOurs(pod) || this.assumed.has(key)) {
      this.unschedulable.delete(key)
      return undefined
    }
    const nodes = this.nodes.list()
    const reasons = new Map<string, number>()
    let best: { node: Node, score: number } | undefined
    for (const node of nodes) {
      const u = this.usage(node.metadata.name ?? '')
      const why = filterNode(pod, node, { used: u.used })
      if (why.length > 0) {
        for (const r of why) reasons.set(r, (reasons.get(r) ?? 0) + 1)
        continue
      }
      const score = leastAllocatedScore(node, u.score, pod)
      // Scoring counts default requests for pods without any, so emptier nodes win; ties go by name for determinism.
      if (best === undefined || score > best.score ||
          (score === best.score && (node.metadata.name ?? '') < (best.node.metadata.name ?? ''))) {
        best = { node, score }
      }
    }
    if (best === undefined) {
      await this.markUnschedulable(pod, failedSchedulingMessage(nodes.length, reasons))
      return this.retryMs
    }
    const nodeName = best.node.metadata.name ?? ''
    this.assumed.set(key, { node: nodeName, req: podRequests(pod), score: scoringRequests(pod) })
    try {
      await this.bind(pod, nodeName)
    } catch (err) {
      this.assumed.delete(key)
      if (hasCode(err, 'API_NOT_FOUND')) return undefined
      if (hasCode(err, 'API_CONFLICT')) {
        // Already bound by someone else, or the cache is behind: look again later.
        return 100
      }
      throw err
    }
    this.unschedulable.delete(key)
    this.lastFailure.delete(key)
    await this.events.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${nodeName}`, { apiVersion: 'v1', kind: 'Pod' })
    return undefined
  }

  private async bind (pod: Pod, nodeName: string): Promise<void> {
    const { namespace, name } = splitKey(keyOf(pod))
    const bc = this.components.client as BindingClient
    if (typeof bc.bind === 'function') {
      await bc.bind(namespace ?? 'default', name, nodeName, pod.metadata.uid)
      return
    }
    const ref = inNamespace(PODS, namespace)
    await this.components.client.patch(ref, name, 'merge', { metadata: { uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion }, spec: { nodeName } })
    await this.setScheduledCondition(pod, { type: 'PodScheduled', status: 'True' })
  }

  private async markUnschedulable (pod: Pod, message: string): Promise<void> {
    const key = keyOf(pod)
    this.unschedulable.add(key)
    if (this.lastFailure.get(key) === message) return
    this.lastFailure.set(key, message)
    this.log.debug({ pod: key, message }, 'pod unschedulable')
    await this.events.record(pod, 'Warning', 'FailedScheduling', message, { apiVersion: 'v1', kind: 'Pod' })
    await this.setScheduledCondition(pod, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message })
  }

  private async setScheduledCondition (pod: Pod, cond: PodCondition): Promise<void> {
    const { namespace, name } = splitKey(keyOf(pod))
    const ref = inNamespace(PODS, namespace)
    // The pod may be gone by now (deleted while we looked for a node): nothing left to mark.
    await ignoreNotFound(updateWithRetry<Pod>(this.components.client, ref, name, live => {
      const conds = live.status?.conditions ?? []
      const old = conds.find(c => c.type === cond.type)
      if (old !== undefined && old.status === cond.status && old.reason === cond.reason && old.message === cond.message) return false
      const next: PodCondition = { ...cond, lastProbeTime: undefined, lastTransitionTime: old?.status === cond.status ? old.lastTransitionTime : timestamp(new Date()) }
      live.status = { ...(live.status ?? {}), conditions: [...conds.filter(c => c.type !== cond.type), next] }
      return true
    }, { subresource: 'status' }))
  }
}

export function scheduler (init: SchedulerInit = {}): (c: SchedulerComponents) => Scheduler {
  return c => new Scheduler(c, init)
}
