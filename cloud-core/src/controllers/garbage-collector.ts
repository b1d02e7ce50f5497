import { hasCode, parseApiVersion, type KubeObject, type OwnerReference } from '@edgemesh/common'
import { ReconcileLoop, byOwnerUid, type Informer, ignoreNotFound, type ControllerComponents, type ControllerInit } from '@edgemesh/kube/client'
import { inNamespace, keyOf, splitKey, type ResourceDefinition, type ResourceRef } from '@edgemesh/kube/machinery'

export const FOREGROUND_FINALIZER = 'foregroundDeletion'
export const ORPHAN_FINALIZER = 'orphan'

export interface GarbageCollectorInit extends ControllerInit {
  /** Resources never watched (high-churn kinds without owners). @default events */
  ignoredResources?: string[]
}

export interface GarbageCollectorComponents extends ControllerComponents {
  /** Every served resource; the collector watches the ones that can be listed, watched and deleted. */
  resources: () => ResourceDefinition[]
}

type Owner = { state: 'present', obj: KubeObject } | { state: 'absent' }

/**
 * Deletes objects whose owners are gone (background cascade), and carries out foreground and orphan
 * deletion of owners: foreground deletes the dependents first and then drops the owner's
 * 'foregroundDeletion' finalizer; orphan strips the owner reference from dependents, then drops 'orphan'.
 * Queue keys are `<resource index>|<ns/name>`.
 */
export class GarbageCollector extends ReconcileLoop {
  private readonly watched: Array<{ def: ResourceDefinition, ref: ResourceRef, informer: Informer }> = []

  constructor (private readonly components: GarbageCollectorComponents, init: GarbageCollectorInit = {}) {
    super(components.informers, components.logger, { name: 'garbage-collector', workers: init.workers })
    const ignored = new Set(init.ignoredResources ?? ['events'])
    for (const def of components.resources()) {
      const verbs = def.verbs
      if (ignored.has(def.resource) || (verbs !== undefined && !['list', 'watch', 'delete'].every(v => verbs.includes(v)))) continue
      const ref: ResourceRef = { group: def.group, version: def.version, resource: def.resource }
      const informer = components.informers.informerFor<KubeObject>(ref, { ownerUid: byOwnerUid })
      const idx = this.watched.length
      this.watched.push({ def, ref, informer })
      informer.addHandler({
        add: o => { this.onObject(idx, o) },
        update: (_old, o) => { this.onObject(idx, o) },
        delete: o => { this.onOwnerGone(o) }
      })
    }
  }

  private onObject (idx: number, o: KubeObject): void {
    const fins = o.metadata.finalizers ?? []
    if ((o.metadata.ownerReferences?.length ?? 0) > 0) this.queue.add(`${idx}|${keyOf(o)}`)
    if (o.metadata.deletionTimestamp !== undefined && (fins.includes(FOREGROUND_FINALIZER) || fins.includes(ORPHAN_FINALIZER))) this.queue.add(`${idx}|${keyOf(o)}`)
    // A dependent that went away may unblock its foreground-deleting owner.
    if (o.metadata.deletionTimestamp !== undefined) this.onOwnerGone(o, true)
  }

  /** Re-examines dependents of `o` (and, when `o` is a dependent, its owners). */
  private onOwnerGone (o: KubeObject, ownersOnly = false): void {
    const uid = o.metadata.uid
    if (!ownersOnly && uid !== undefined) {
      this.watched.forEach((w, i) => { for (const d of w.informer.byIndex('ownerUid', uid)) this.queue.add(`${i}|${keyOf(d)}`) })
    }
    for (const ref of o.metadata.ownerReferences ?? []) {
      const i = this.indexForOwner(ref)
      if (i === undefined) continue
      const def = this.watched[i]!.def
      this.queue.add(`${i}|${def.namespaced ? `${o.metadata.namespace ?? ''}/${ref.name}` : ref.name}`)
    }
  }

  private indexForOwner (ref: OwnerReference): number | undefined {
    const gv = parseApiVersion(ref.apiVersion)
    const def = this.components.client.resolveKind({ group: gv.group, version: gv.version, kind: ref.kind })
    if (def === undefined) return undefined
    const i = this.watched.findIndex(w => w.def.group === def.group && w.def.resource === def.resource)
    return i < 0 ? undefined : i
  }

  protected async reconcile (key: string): Promise<undefined> {
    const bar = key.indexOf('|')
    const w = this.watched[Number(key.slice(0, bar))]
    if (w === undefined) return undefined
    const { namespace, name } = splitKey(key.slice(bar + 1))
    const ref = inNamespace(w.ref, namespace)
    const obj = await ignoreNotFound(this.components.client.get(ref, name))
    if (obj === undefined) return undefined
    const fins = obj.metadata.finalizers ?? []
    if (obj.metadata.deletionTimestamp !== undefined && fins.includes(ORPHAN_FINALIZER)) {
      await this.orphanDependents(obj)
      await this.dropFinalizer(ref, name, ORPHAN_FINALIZER)
      return undefined
    }
    if (obj.metadata.deletionTimestamp !== undefined && fins.includes(FOREGROUND_FINALIZER)) {
      const dependents = this.dependentsOf(obj)
      const blocking = dependents.filter(d => d.obj.metadata.ownerReferences?.some(r => r.uid === obj.metadata.uid && r.blockOwnerDeletion === true))
      for (const d of dependents) {
        if (d.obj.metadata.deletionTimestamp !== undefined) continue
        await this.deleteQuietly(d.ref, d.obj, 'Foreground')
      }
      if (blocking.length === 0) await this.dropFinalizer(ref, name, FOREGROUND_FINALIZER)
      return undefined
    }
    await this.checkOwners(ref, obj)
    return undefined
  }

  private dependentsOf (owner: KubeObject): Array<{ ref: ResourceRef, obj: KubeObject }> {
    const uid = owner.metadata.uid ?? ''
    const out: Array<{ ref: ResourceRef, obj: KubeObject }> = []
    for (const w of this.watched) for (const d of w.informer.byIndex('ownerUid', uid)) out.push({ ref: inNamespace(w.ref, d.metadata.namespace), obj: d })
    return out
  }

  private async lookupOwner (dependent: KubeObject, r: OwnerReference): Promise<Owner> {
    const gv = parseApiVersion(r.apiVersion)
    const def = this.components.client.resolveKind({ group: gv.group, version: gv.version, kind: r.kind })
    // An owner of a kind the server does not know cannot exist.
    if (def === undefined) return { state: 'absent' }
    const ref: ResourceRef = { group: def.group, version: def.version, resource: def.resource, namespace: def.namespaced ? dependent.metadata.namespace : undefined }
    const owner = await ignoreNotFound(this.components.client.get(ref, r.name))
    return owner !== undefined && owner.metadata.uid === r.uid ? { state: 'present', obj: owner } : { state: 'absent' }
  }

  private async checkOwners (ref: ResourceRef, obj: KubeObject): Promise<void> {
    const refs = obj.metadata.ownerReferences ?? []
    if (refs.length === 0) return
    const absent: string[] = []
    let foregroundOwner = false
    for (const r of refs) {
      const o = await this.lookupOwner(obj, r)
      if (o.state === 'absent') absent.push(r.uid)
      else if (o.obj.metadata.deletionTimestamp !== undefined && (o.obj.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER) && r.blockOwnerDeletion === true) foregroundOwner = true
    }
    if (absent.length === refs.length) {
      await this.deleteQuietly(ref, obj, 'Background')
      return
    }
    if (foregroundOwner && obj.metadata.deletionTimestamp === undefined) {
      await this.deleteQuietly(ref, obj, 'Foreground')
      return
    }
    if (absent.length > 0) {
      // Some owners remain: only the dangling references go.
      await this.components.client.patch(ref, obj.metadata.name ?? '', 'merge', {
        metadata: { resourceVersion: obj.metadata.resourceVersion, ownerReferences: refs.filter(r => !absent.includes(r.uid)) }
      })
    }
  }

  private async orphanDependents (owner: KubeObject): Promise<void> {
    for (const d of this.dependentsOf(owner)) {
      try {
        const live = await this.components.client.get(d.ref, d.obj.metadata.name ?? '')
        const liveRefs = (live.metadata.ownerReferences ?? []).filter(r => r.uid !== owner.metadata.uid)
        if (liveRefs.length === (live.metadata.ownerReferences ?? []).length) continue
        await this.components.client.patch(d.ref, d.obj.metadata.name ?? '', 'merge', {
          metadata: { resourceVersion: live.metadata.resourceVersion, ownerReferences: liveRefs.length > 0 ? liveRefs : null }
        })
      } catch (err) {
        if (!hasCode(err, 'API_NOT_FOUND')) throw err
      }
    }
  }

  private async dropFinalizer (ref: ResourceRef, name: string, finalizer: string): Promise<void> {
    const live = await this.components.client.get(ref, name)
    const fins = live.metadata.finalizers ?? []
    if (!fins.includes(finalizer)) return
    await ignoreNotFound(this.components.client.update(ref, { ...live, metadata: { ...live.metadata, finalizers: fins.filter(f => f !== finalizer) } }))
  }

  private async deleteQuietly (ref: ResourceRef, obj: KubeObject, policy: 'Background' | 'Foreground'): Promise<void> {
    try {
      await this.components.client.delete(ref, obj.metadata.name ?? '', { propagationPolicy: policy, preconditions: { uid: obj.metadata.uid } })
      this.log.debug({ object: keyOf(obj), resource: ref.resource, policy }, 'deleted dependent')
    } catch (err) {
      if (!hasCode(err, 'API_NOT_FOUND') && !hasCode(err, 'API_CONFLICT')) throw err
    }
  }
}

export function garbageCollector (init: GarbageCollectorInit = {}): (c: GarbageCollectorComponents) => GarbageCollector {
  return c => new GarbageCollector(c, init)
}
