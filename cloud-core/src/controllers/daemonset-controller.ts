import type { DaemonSetStatus } from 'kubernetes-types/apps/v1.js'
import type { Toleration } from 'kubernetes-types/core/v1.js'
import { filterNode } from '../scheduler/predicates.js'
import { ReconcileLoop, ignoreNotFound, type Informer, type ControllerComponents, type ControllerInit } from '@edgemesh/kube/client'
import { DAEMON_SETS, NODES, PODS, controllerOf, inNamespace, keyOf, splitKey, type DaemonSet, type Node, type Pod, matchesSelector, formatLabelSelector, isPodActive, isPodAvailable, isPodReady } from '@edgemesh/kube/machinery'
import { podTemplateHash } from './pod-template-hash.js'
import { scaledValue } from './rollout-math.js'

export const REVISION_HASH_LABEL = 'controller-revision-hash'

/** Tolerations every daemon pod gets, so node trouble does not evict the node's own agents (as upstream). */
export const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }
]

export type DaemonSetControllerInit = ControllerInit

export type DaemonSetControllerComponents = ControllerComponents

/** The pod a DaemonSet would run on `node` (before creation), with the daemon tolerations merged in. */
export function daemonPodFor (ds: DaemonSet, nodeName: string, hash: string): Pod {
  const t = ds.spec.template
  const spec = structuredClone(t.spec ?? { containers: [] })
  const tolerations = [...(spec.tolerations ?? [])]
  for (const tol of DAEMON_TOLERATIONS) if (!tolerations.some(x => x.key === tol.key && x.effect === tol.effect)) tolerations.push(tol)
  spec.tolerations = tolerations
  spec.nodeName = nodeName
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata.name ?? 'ds'}-`,
      namespace: ds.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      ...(t.metadata?.annotations !== undefined ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name ?? '', uid: ds.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }]
    },
    spec
  }
}

/** Whether the DaemonSet's pod belongs on `node`: selector, affinity and taints (readiness and cordons do not matter). */
export function shouldRunOn (ds: DaemonSet, node: Node): boolean {
  const probe = daemonPodFor(ds, node.metadata.name ?? '', '')
  return filterNode(probe, node, { requireReady: false, respectUnschedulable: false }).length === 0
}

/** One pod per eligible node, replaced node by node (maxUnavailable) when the template changes. */
export class DaemonSetController extends ReconcileLoop {
  private readonly sets: Informer<DaemonSet>
  private readonly nodes: Informer<Node>

  constructor (private readonly components: DaemonSetControllerComponents, init: DaemonSetControllerInit = {}) {
    super(components.informers, components.logger, { name: 'daemonset-controller', workers: init.workers })
    this.sets = components.informers.informerFor<DaemonSet>(DAEMON_SETS)
    this.nodes = components.informers.informerFor<Node>(NODES)
    const pods = components.informers.informerFor<Pod>(PODS)
    this.sets.addHandler({ add: d => { this.queue.add(keyOf(d)) }, update: (_o, d) => { this.queue.add(keyOf(d)) } })
    const all = (): void => { for (const d of this.sets.list()) this.queue.add(keyOf(d)) }
    this.nodes.addHandler({
      add: all,
      // Heartbeats change status constantly; only labels, taints and existence move daemon pods.
      update: (o, n) => { if (JSON.stringify([o.metadata.labels, o.spec?.taints]) !== JSON.stringify([n.metadata.labels, n.spec?.taints])) all() },
      delete: all
    })
    const onPod = (p: Pod): void => {
      const owner = controllerOf(p)
      if (owner?.kind === 'DaemonSet') this.queue.add(`${p.metadata.namespace ?? ''}/${owner.name}`)
    }
    pods.addHandler({ add: onPod, update: (_o, p) => { onPod(p) }, delete: onPod })
  }

  protected async reconcile (key: string): Promise<undefined> {
    const ds = this.sets.get(key)
    if (ds === undefined || ds.metadata.deletionTimestamp !== undefined) return undefined
    const { namespace } = splitKey(key)
    const client = this.components.client
    const podsRef = inNamespace(PODS, namespace)
    const owned = (await client.list<Pod>(podsRef, { labelSelector: formatLabelSelector(ds.spec.selector) })).items
      .filter(p => controllerOf(p)?.uid === ds.metadata.uid && matchesSelector(ds.spec.selector, p.metadata.labels) && p.metadata.deletionTimestamp === undefined)
    const hash = podTemplateHash(ds.spec.template)
    const nodes = this.nodes.list()
    const byNode = new Map<string, Pod[]>()
    for (const p of owned) {
      const n = p.spec?.nodeName ?? ''
      byNode.set(n, [...(byNode.get(n) ?? []), p])
    }
    const now = Date.now()
    const minReady = ds.spec.minReadySeconds ?? 0
    const toDelete: Pod[] = []
    const toCreate: string[] = []
    const eligible: string[] = []
    const oldPods: Pod[] = []
    let unavailable = 0
    for (const node of nodes) {
      const name = node.metadata.name ?? ''
      const pods = (byNode.get(name) ?? []).sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''))
      byNode.delete(name)
      if (!shouldRunOn(ds, node)) { toDelete.push(...pods); continue }
      eligible.push(name)
      const alive = pods.filter(p => { if (p.status?.phase === 'Failed') { toDelete.push(p); return false } return isPodActive(p) })
      if (alive.length === 0) { toCreate.push(name); unavailable++; continue }
      toDelete.push(...alive.slice(1))
      const pod = alive[0]!
      if (!isPodAvailable(pod, minReady, now)) unavailable++
      if (pod.metadata.labels?.[REVISION_HASH_LABEL] !== hash) oldPods.push(pod)
    }
    // Pods on nodes that no longer exist.
    for (const pods of byNode.values()) toDelete.push(...pods)

    if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const maxUnavailable = Math.max(1, scaledValue(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable, eligible.length, true, 1))
      let budget = maxUnavailable - unavailable
      // Old pods that are not available cost nothing to replace.
      for (const p of oldPods) {
        if (!isPodAvailable(p, minReady, now)) toDelete.push(p)
        else if (budget > 0) { toDelete.push(p); budget-- }
      }
    }

    for (const name of toCreate) await client.create<Pod>(podsRef, daemonPodFor(ds, name, hash))
    for (const p of toDelete) {
      await ignoreNotFound(client.delete(podsRef, p.metadata.name ?? ''))
    }
    const deleted = new Set(toDelete.map(p => p.metadata.uid))
    const remaining = owned.filter(p => !deleted.has(p.metadata.uid) && isPodActive(p))
    const onEligible = remaining.filter(p => eligible.includes(p.spec?.nodeName ?? ''))
    const status: DaemonSetStatus = {
      ...(ds.status ?? {}),
      desiredNumberScheduled: eligible.length,
      currentNumberScheduled: new Set(onEligible.map(p => p.spec?.nodeName)).size,
      numberMisscheduled: new Set(owned.filter(p => !eligible.includes(p.spec?.nodeName ?? '')).map(p => p.spec?.nodeName)).size,
      numberReady: onEligible.filter(isPodReady).length,
      numberAvailable: onEligible.filter(p => isPodAvailable(p, minReady, now)).length,
      updatedNumberScheduled: onEligible.filter(p => p.metadata.labels?.[REVISION_HASH_LABEL] === hash).length,
      observedGeneration: ds.metadata.generation ?? 1
    }
    status.numberUnavailable = Math.max(0, status.desiredNumberScheduled - (status.numberAvailable ?? 0))
    const old = (ds.status ?? {}) as Record<string, unknown>
    if (Object.entries(status).some(([k, v]) => old[k] !== v)) {
      await client.update<DaemonSet>(inNamespace(DAEMON_SETS, namespace), { ...ds, status }, 'status')
    }
    return undefined
  }
}

export function daemonSetController (init: DaemonSetControllerInit = {}): (c: DaemonSetControllerComponents) => DaemonSetController {
  return c => new DaemonSetController(c, init)
}
