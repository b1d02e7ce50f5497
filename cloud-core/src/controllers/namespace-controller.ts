import { ReconcileLoop, ignoreNotFound, type Informer, type ControllerComponents } from '@edgemesh/kube/client'
import { NAMESPACES, type Namespace, type ResourceDefinition, type ResourceRef } from '@edgemesh/kube/machinery'

export const NAMESPACE_FINALIZER = 'kubernetes'

export interface NamespaceControllerInit {
  /** @default 1 */
  workers?: number
  /** How soon to look again while objects are still going away. @default 200 */
  recheckMs?: number
}

export interface NamespaceControllerComponents extends ControllerComponents {
  resources: () => ResourceDefinition[]
}

/**
 * Empties namespaces that are being deleted: deletes every namespaced object of every served resource,
 * waits until none is left, then removes the 'kubernetes' finalizer so the namespace itself can go.
 */
export class NamespaceController extends ReconcileLoop {
  private readonly namespaces: Informer<Namespace>
  private readonly recheckMs: number

  constructor (private readonly components: NamespaceControllerComponents, init: NamespaceControllerInit = {}) {
    super(components.informers, components.logger, { name: 'namespace-controller', workers: init.workers ?? 1 })
    this.recheckMs = init.recheckMs ?? 200
    this.namespaces = components.informers.informerFor<Namespace>(NAMESPACES)
    const on = (n: Namespace): void => { if (n.metadata.deletionTimestamp !== undefined) this.queue.add(n.metadata.name ?? '') }
    this.namespaces.addHandler({
      add: on,
      update: (_o, n) => { on(n) },
      // A namespace removed without waiting for us still must not leave objects behind.
      delete: n => { this.queue.add(n.metadata.name ?? '') }
    })
  }

  protected async reconcile (name: string): Promise<number | undefined> {
    const client = this.components.client
    const ns = await ignoreNotFound(client.get<Namespace>(NAMESPACES, name))
    if (ns !== undefined && ns.metadata.deletionTimestamp === undefined) return undefined
    const remaining = await this.deleteContents(name)
    if (remaining > 0) return this.recheckMs
    if (ns === undefined) return undefined
    const fins = ns.spec?.finalizers ?? []
    if (fins.includes(NAMESPACE_FINALIZER)) {
      await ignoreNotFound(client.update<Namespace>(NAMESPACES, { ...ns, spec: { ...(ns.spec ?? {}), finalizers: fins.filter(f => f !== NAMESPACE_FINALIZER) } }))
    }
    return undefined
  }

  /** Deletes what is left; returns how many objects still existed. */
  private async deleteContents (namespace: string): Promise<number> {
    let remaining = 0
    for (const def of this.components.resources()) {
      if (!def.namespaced) continue
      if (def.verbs !== undefined && !(def.verbs.includes('list') && def.verbs.includes('delete'))) continue
      const ref: ResourceRef = { group: def.group, version: def.version, resource: def.resource, namespace }
      // The resource may have been unregistered (CRD deleted) since resources() was read.
      const list = await ignoreNotFound(this.components.client.list(ref))
      if (list === undefined) continue
      const items = list.items
      remaining += items.length
      for (const o of items) {
        if (o.metadata.deletionTimestamp !== undefined) continue
        await ignoreNotFound(this.components.client.delete(ref, o.metadata.name ?? '', { propagationPolicy: 'Background' }))
      }
    }
    return remaining
  }
}

export function namespaceController (init: NamespaceControllerInit = {}): (c: NamespaceControllerComponents) => NamespaceController {
  return c => new NamespaceController(c, init)
}
