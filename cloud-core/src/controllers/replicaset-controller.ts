import type { ReplicaSetStatus } from 'kubernetes-types/apps/v1.js'
import { ReconcileLoop, ignoreNotFound, type Informer, type ControllerComponents, type ControllerInit } from '@edgemesh/kube/client'
import { PODS, REPLICA_SETS, controllerOf, inNamespace, keyOf, splitKey, type Pod, type ReplicaSet, matchesSelector, formatLabelSelector, isPodActive, isPodAvailable, isPodReady } from '@edgemesh/kube/machinery'

export interface ReplicaSetControllerInit extends ControllerInit {
  /** Most pods created or deleted in one pass. @default 100 */
  burst?: number
  /** Grace period for pods removed on scale down; undefined = the pod's own. */
  podDeleteGracePeriodSeconds?: number
}

export type ReplicaSetControllerComponents = ControllerComponents

/**
 * Deletion order on scale down, most expendable first: unscheduled, then pending, then not ready,
 * then the newest (a young pod has less warm state than an old one).
 */
export function rankForDeletion (pods: readonly Pod[]): Pod[] {
  const phaseRank = (p: Pod): number => p.status?.phase === 'Pending' ? 0 : p.status?.phase === 'Running' ? 2 : 1
  return [...pods].sort((a, b) => {
    const sa = (a.spec?.nodeName ?? '') === '' ? 0 : 1
    const sb = (b.spec?.nodeName ?? '') === '' ? 0 : 1
    if (sa !== sb) return sa - sb
    if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b)
    const ra = isPodReady(a) ? 1 : 0
    const rb = isPodReady(b) ? 1 : 0
    if (ra !== rb) return ra - rb
    const ta = a.metadata.creationTimestamp ?? ''
    const tb = b.metadata.creationTimestamp ?? ''
    if (ta !== tb) return ta < tb ? 1 : -1
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? 1 : -1
  })
}

/** Keeps the number of active pods owned by each ReplicaSet equal to spec.replicas, and reports status. */
export class ReplicaSetController extends ReconcileLoop {
  private readonly sets: Informer<ReplicaSet>
  private readonly burst: number
  private readonly grace?: number

  constructor (private readonly components: ReplicaSetControllerComponents, init: ReplicaSetControllerInit = {}) {
    super(components.informers, components.logger, { name: 'replicaset-controller', workers: init.workers })
    this.burst = init.burst ?? 100
    this.grace = init.podDeleteGracePeriodSeconds
    this.sets = components.informers.informerFor<ReplicaSet>(REPLICA_SETS)
    const pods = components.informers.informerFor<Pod>(PODS)
    this.sets.addHandler({ add: r => { this.queue.add(keyOf(r)) }, update: (_o, r) => { this.queue.add(keyOf(r)) } })
    const onPod = (p: Pod): void => {
      const owner = controllerOf(p)
      if (owner?.kind === 'ReplicaSet') this.queue.add(`${p.metadata.namespace ?? ''}/${owner.name}`)
    }
    pods.addHandler({ add: onPod, update: (_o, p) => { onPod(p) }, delete: onPod })
  }

  protected async reconcile (key: string): Promise<number | undefined> {
    const rs = this.sets.get(key)
    if (rs === undefined || rs.metadata.deletionTimestamp !== undefined) return undefined
    const { namespace } = splitKey(key)
    const client = this.components.client
    const podsRef = inNamespace(PODS, namespace)
    // Read pods from the API, not the cache: a cache that lags our own creates would make us create twice.
    const owned = (await client.list<Pod>(podsRef, { labelSelector: formatLabelSelector(rs.spec.selector) })).items
      .filter(p => controllerOf(p)?.uid === rs.metadata.uid && matchesSelector(rs.spec.selector, p.metadata.labels))
    const active = owned.filter(isPodActive)
    const want = rs.spec.replicas ?? 1
    const diff = active.length - want
    let current = active
    if (diff < 0) {
      const n = Math.min(-diff, this.burst)
      const created: Pod[] = []
      for (let i = 0; i < n; i++) created.push(await client.create<Pod>(podsRef, this.podFor(rs)))
      current = [...active, ...created]
    } else if (diff > 0) {
      const victims = rankForDeletion(active).slice(0, Math.min(diff, this.burst))
      const gone = new Set<string>()
      for (const p of victims) {
        await ignoreNotFound(client.delete(podsRef, p.metadata.name ?? '', this.grace !== undefined ? { gracePeriodSeconds: this.grace } : undefined))
        gone.add(p.metadata.uid ?? '')
      }
      current = active.filter(p => !gone.has(p.metadata.uid ?? ''))
    }
    return await this.updateStatus(rs, current)
  }

  private podFor (rs: ReplicaSet): Pod {
    const t = rs.spec.template ?? {}
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${rs.metadata.name ?? 'rs'}-`,
        namespace: rs.metadata.namespace,
        labels: { ...(t.metadata?.labels ?? {}) },
        ...(t.metadata?.annotations !== undefined ? { annotations: { ...t.metadata.annotations } } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name ?? '', uid: rs.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }]
      },
      spec: structuredClone(t.spec ?? { containers: [] })
    }
  }

  /** Returns a delay to look again when a pod will become available through minReadySeconds. */
  private async updateStatus (rs: ReplicaSet, pods: readonly Pod[]): Promise<number | undefined> {
    const now = Date.now()
    const minReady = rs.spec.minReadySeconds ?? 0
    const status = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.filter(p => Object.entries(rs.spec.template?.metadata?.labels ?? {}).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
      readyReplicas: pods.filter(isPodReady).length,
      availableReplicas: pods.filter(p => isPodAvailable(p, minReady, now)).length,
      observedGeneration: rs.metadata.generation ?? 1
    }
    const old: ReplicaSetStatus = rs.status ?? { replicas: 0 }
    const changed = old.replicas !== status.replicas || (old.fullyLabeledReplicas ?? 0) !== status.fullyLabeledReplicas ||
      (old.readyReplicas ?? 0) !== status.readyReplicas || (old.availableReplicas ?? 0) !== status.availableReplicas ||
      old.observedGeneration !== status.observedGeneration
    if (changed) {
      await this.components.client.update<ReplicaSet>(inNamespace(REPLICA_SETS, rs.metadata.namespace), { ...rs, status: { ...old, ...status } }, 'status')
    }
    if (minReady > 0 && status.readyReplicas > status.availableReplicas) return 1000
    return undefined
  }
}

export function replicaSetController (init: ReplicaSetControllerInit = {}): (c: ReplicaSetControllerComponents) => ReplicaSetController {
  return c => new ReplicaSetController(c, init)
}
