import { hasCode } from '@edgemesh/common'
import type { DeploymentCondition, DeploymentStatus } from 'kubernetes-types/apps/v1.js'
import { timestamp, DEPLOYMENTS, REPLICA_SETS, controllerOf, inNamespace, keyOf, splitKey, type Deployment, type ReplicaSet, matchesSelector, formatLabelSelector } from '@edgemesh/kube/machinery'
import { ReconcileLoop, ignoreNotFound, type Informer, type ControllerComponents, type ControllerInit } from '@edgemesh/kube/client'
import { podTemplateHash, templatesEqual } from './pod-template-hash.js'
import { maxScaleDown, newReplicaSetReplicas, resolveFenceposts } from './rollout-math.js'

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision'
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas'
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas'
export const POD_TEMPLATE_HASH = 'pod-template-hash'

export type DeploymentControllerInit = ControllerInit

export type DeploymentControllerComponents = ControllerComponents

const revisionOf = (rs: ReplicaSet): number => Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '0') || 0
const specReplicas = (rs: ReplicaSet): number => rs.spec.replicas ?? 1
const sum = (rss: readonly ReplicaSet[], f: (rs: ReplicaSet) => number): number => rss.reduce((n, rs) => n + f(rs), 0)
const byAge = (a: ReplicaSet, b: ReplicaSet): number => (a.metadata.creationTimestamp ?? '') < (b.metadata.creationTimestamp ?? '') ? -1 : (a.metadata.creationTimestamp ?? '') > (b.metadata.creationTimestamp ?? '') ? 1 : (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '')
const nowIso = (): string => timestamp(new Date())

/**
 * Rolls Deployments out through ReplicaSets: one ReplicaSet per distinct pod template (named by its
 * pod-template-hash), scaled up and down within maxSurge/maxUnavailable (RollingUpdate) or all at once
 * (Recreate), with the status kubectl rollout status waits for.
 */
export class DeploymentController extends ReconcileLoop {
  private readonly deployments: Informer<Deployment>

  constructor (private readonly components: DeploymentControllerComponents, init: DeploymentControllerInit = {}) {
    super(components.informers, components.logger, { name: 'deployment-controller', workers: init.workers })
    this.deployments = components.informers.informerFor<Deployment>(DEPLOYMENTS)
    const sets = components.informers.informerFor<ReplicaSet>(REPLICA_SETS)
    this.deployments.addHandler({ add: d => { this.queue.add(keyOf(d)) }, update: (_o, d) => { this.queue.add(keyOf(d)) } })
    const onRs = (rs: ReplicaSet): void => {
      const owner = controllerOf(rs)
      if (owner?.kind === 'Deployment') this.queue.add(`${rs.metadata.namespace ?? ''}/${owner.name}`)
    }
    sets.addHandler({ add: onRs, update: (_o, rs) => { onRs(rs) }, delete: onRs })
  }

  protected async reconcile (key: string): Promise<undefined> {
    const cached = this.deployments.get(key)
    if (cached === undefined || cached.metadata.deletionTimestamp !== undefined) return undefined
    const { namespace } = splitKey(key)
    const d = cached
    const rsRef = inNamespace(REPLICA_SETS, namespace)
    const client = this.components.client
    const all = (await client.list<ReplicaSet>(rsRef, { labelSelector: formatLabelSelector(d.spec.selector) })).items
      .filter(rs => controllerOf(rs)?.uid === d.metadata.uid && matchesSelector(d.spec.selector, rs.metadata.labels))
      .sort(byAge)
    let newRS = all.find(rs => templatesEqual(rs.spec.template, d.spec.template) && rs.metadata.deletionTimestamp === undefined)
    const olds = (): ReplicaSet[] => all.filter(rs => rs !== newRS)
    const maxOldRevision = Math.max(0, ...olds().map(revisionOf))
    const desired = d.spec.replicas ?? 1
    const strategy = d.spec.strategy?.type ?? 'RollingUpdate'
    const { surge, unavailable } = strategy === 'Recreate' ? { surge: 0, unavailable: desired } : resolveFenceposts(d.spec.strategy?.rollingUpdate?.maxSurge, d.spec.strategy?.rollingUpdate?.maxUnavailable, desired)
    let createdNow = false

    const scale = async (rs: ReplicaSet, replicas: number): Promise<ReplicaSet> => {
      if (specReplicas(rs) === replicas && rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] === String(desired)) return rs
      const updated = await client.update<ReplicaSet>(rsRef, {
        ...rs,
        metadata: { ...rs.metadata, annotations: { ...(rs.metadata.annotations ?? {}), [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(desired + surge) } },
        spec: { ...rs.spec, replicas }
      })
      all.splice(all.indexOf(rs), 1, updated)
      if (newRS === rs) newRS = updated
      return updated
    }

    if (d.spec.paused !== true) {
      if (newRS === undefined) {
        const initial = strategy === 'Recreate'
          ? (sum(olds(), specReplicas) === 0 ? desired : 0)
          : newReplicaSetReplicas(desired, surge, sum(all, specReplicas), 0)
        const created = await this.createReplicaSet(d, initial, maxOldRevision + 1, surge)
        // On a hash collision the status update re-triggers us with a new collisionCount.
        if (created === 'requeue' || created === 'collision') return undefined
        newRS = created
        all.push(created)
        createdNow = true
      } else if (revisionOf(newRS) <= maxOldRevision) {
        // The template went back to an older ReplicaSet (rollback): it becomes the newest revision.
        const updated = await client.update<ReplicaSet>(rsRef, { ...newRS, metadata: { ...newRS.metadata, annotations: { ...(newRS.metadata.annotations ?? {}), [REVISION_ANNOTATION]: String(maxOldRevision + 1) } } })
        all.splice(all.indexOf(newRS), 1, updated)
        newRS = updated
      }
      const n = newRS
      if (strategy === 'Recreate') {
        for (const rs of olds()) if (specReplicas(rs) > 0) await scale(rs, 0)
        const oldPods = sum(olds(), rs => rs.status?.replicas ?? 0)
        if (oldPods === 0) await scale(n, desired)
      } else if (sum(olds(), specReplicas) === 0) {
        await scale(n, desired)
      } else {
        if (specReplicas(n) > desired) await scale(n, desired)
        else await scale(n, newReplicaSetReplicas(desired, surge, sum(all, specReplicas), specReplicas(n)))
        await this.scaleDownOld(olds(), newRS, desired, unavailable, sum(all, specReplicas), scale)
      }
      await this.cleanup(d, olds())
    }
    await this.syncStatus(d, all, newRS, desired, unavailable, createdNow)
    return undefined
  }

  private async scaleDownOld (old: ReplicaSet[], newRS: ReplicaSet, desired: number, unavailable: number, totalSpec: number,
    scale: (rs: ReplicaSet, n: number) => Promise<ReplicaSet>): Promise<void> {
    const budget = maxScaleDown(desired, unavailable, totalSpec, specReplicas(newRS), newRS.status?.availableReplicas ?? 0)
    if (budget <= 0) return
    // First remove old pods that are not available anyway: that costs no availability.
    let used = 0
    const current = [...old]
    for (let i = 0; i < current.length && used < budget; i++) {
      const rs = current[i]!
      const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0)
      if (specReplicas(rs) === 0 || unhealthy <= 0) continue
      const down = Math.min(budget - used, unhealthy)
      current[i] = await scale(rs, specReplicas(rs) - down)
      used += down
    }
    const available = sum([...current, newRS], rs => Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs)))
    let remaining = Math.min(budget - used, available - (desired - unavailable))
    for (let i = 0; i < current.length && remaining > 0; i++) {
      const rs = current[i]!
      if (specReplicas(rs) === 0) continue
      const down = Math.min(specReplicas(rs), remaining)
      current[i] = await scale(rs, specReplicas(rs) - down)
      remaining -= down
    }
  }

  private async createReplicaSet (d: Deployment, replicas: number, revision: number, surge: number): Promise<ReplicaSet | 'requeue' | 'collision'> {
    const hash = podTemplateHash(d.spec.template, d.status?.collisionCount)
    const name = `${d.metadata.name ?? ''}-${hash}`
    const labels = { ...(d.spec.template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash }
    const rsRef = inNamespace(REPLICA_SETS, d.metadata.namespace)
    const desired = d.spec.replicas ?? 1
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata.namespace,
        labels,
        annotations: { [REVISION_ANNOTATION]: String(revision), [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(desired + surge) },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name ?? '', uid: d.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }]
      },
      spec: {
        replicas,
        minReadySeconds: d.spec.minReadySeconds,
        selector: { ...d.spec.selector, matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash } },
        template: { ...d.spec.template, metadata: { ...(d.spec.template.metadata ?? {}), labels } }
      }
    }
    try {
      const created = await this.components.client.create<ReplicaSet>(rsRef, rs)
      this.log.info({ deployment: keyOf(d), replicaSet: name, replicas }, 'created ReplicaSet')
      return created
    } catch (err) {
      if (!hasCode(err, 'API_ALREADY_EXISTS')) throw err
      const existing = await this.components.client.get<ReplicaSet>(rsRef, name)
      if (controllerOf(existing)?.uid === d.metadata.uid && templatesEqual(existing.spec.template, d.spec.template)) return 'requeue'
      // Same name, different template: bump collisionCount so the next hash differs.
      const status: DeploymentStatus = { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 }
      await this.components.client.update<Deployment>(inNamespace(DEPLOYMENTS, d.metadata.namespace), { ...d, status }, 'status')
      return 'collision'
    }
  }

  private async cleanup (d: Deployment, old: ReplicaSet[]): Promise<void> {
    const limit = d.spec.revisionHistoryLimit ?? 10
    const dead = old.filter(rs => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && rs.metadata.deletionTimestamp === undefined)
      .sort((a, b) => revisionOf(a) - revisionOf(b))
    const ref = inNamespace(REPLICA_SETS, d.metadata.namespace)
    for (const rs of dead.slice(0, Math.max(0, dead.length - limit))) {
      await ignoreNotFound(this.components.client.delete(ref, rs.metadata.name ?? ''))
    }
  }

  private async syncStatus (d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined, desired: number, unavailable: number, createdNow: boolean): Promise<void> {
    const client = this.components.client
    const ref = inNamespace(DEPLOYMENTS, d.metadata.namespace)
    if (newRS !== undefined) {
      const rev = newRS.metadata.annotations?.[REVISION_ANNOTATION]
      if (rev !== undefined && d.metadata.annotations?.[REVISION_ANNOTATION] !== rev) {
        d = await client.update<Deployment>(ref, { ...d, metadata: { ...d.metadata, annotations: { ...(d.metadata.annotations ?? {}), [REVISION_ANNOTATION]: rev } } })
      }
    }
    const live = all.filter(rs => rs.metadata.deletionTimestamp === undefined)
    const replicas = sum(live, rs => rs.status?.replicas ?? 0)
    const updatedReplicas = newRS?.status?.replicas ?? 0
    const readyReplicas = sum(live, rs => rs.status?.readyReplicas ?? 0)
    const availableReplicas = sum(live, rs => rs.status?.availableReplicas ?? 0)
    const total = sum(live, specReplicas)
    const old = d.status ?? {}
    const conds = [...(old.conditions ?? [])]
    const setCond = (c: Omit<DeploymentCondition, 'lastUpdateTime' | 'lastTransitionTime'>): void => {
      const i = conds.findIndex(x => x.type === c.type)
      const prev = i >= 0 ? conds[i] : undefined
      if (prev !== undefined && prev.status === c.status && prev.reason === c.reason && prev.message === c.message) return
      const next: DeploymentCondition = { ...c, lastUpdateTime: nowIso(), lastTransitionTime: prev?.status === c.status ? prev.lastTransitionTime : nowIso() }
      if (i >= 0) conds[i] = next
      else conds.push(next)
    }
    setCond(availableReplicas >= desired - unavailable
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' })
    const rsName = newRS?.metadata.name ?? ''
    const complete = newRS !== undefined && updatedReplicas === desired && replicas === desired && availableReplicas >= desired
    if (complete) setCond({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` })
    else if (createdNow) setCond({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` })
    else if (newRS !== undefined) setCond({ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` })
    const status: DeploymentStatus = {
      ...old,
      observedGeneration: d.metadata.generation ?? 1,
      replicas,
      updatedReplicas,
      readyReplicas,
      availableReplicas,
      unavailableReplicas: Math.max(0, total - availableReplicas),
      conditions: conds
    }
    const strip = (s: DeploymentStatus): string => JSON.stringify({ ...s, conditions: (s.conditions ?? []).map(c => ({ ...c, lastUpdateTime: undefined, lastTransitionTime: undefined })) })
    if (strip(status) === strip(old) && old.conditions?.length === conds.length) return
    await client.update<Deployment>(ref, { ...d, status }, 'status')
  }
}

export function deploymentController (init: DeploymentControllerInit = {}): (c: DeploymentControllerComponents) => DeploymentController {
  return c => new DeploymentController(c, init)
}
