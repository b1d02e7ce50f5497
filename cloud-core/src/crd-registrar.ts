import type { KubeObject, Logger, Startable } from '@edgemesh/common'
import { Informer } from '@edgemesh/kube/client'
import type { ObjectClient, ResourceRef } from '@edgemesh/kube/machinery'
import type { DefaultResourceRegistry } from '@edgemesh/kube/server'
import { crdToResourceDefinitions } from './api-server/resources/index.js'
import { applyCrd, removeCrd, type SchemaIndex } from './openapi/index.js'

export const CRDS: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' }

export interface CrdRegistrarComponents {
  client: ObjectClient
  registry: DefaultResourceRegistry
  /** Schemas for validation and `kubectl explain`. */
  index: SchemaIndex
  logger: Logger
}

/**
 * Keeps the registry and the OpenAPI index in step with the stored CRDs: each served version of a
 * CRD becomes a ResourceDefinition, and goes away with the CRD. Built on an informer, so a watch that
 * falls behind compaction (410) relists and notices CRDs deleted in the gap.
 */
export class CrdRegistrar implements Startable {
  private readonly informer: Informer
  private readonly registered = new Map<string, Array<{ group: string, version: string, resource: string }>>()

  constructor (private readonly components: CrdRegistrarComponents) {
    this.informer = new Informer({ client: components.client, logger: components.logger }, { ref: CRDS })
    this.informer.addHandler({
      add: crd => { this.sync(crd) },
      update: (_old, crd) => { this.sync(crd) },
      delete: crd => { this.remove(crd) }
    })
  }

  /** Registers (or re-registers) one CRD right away, so a create is usable before the watch sees it. */
  apply (crd: KubeObject): void {
    const { registry, index, logger } = this.components
    const name = crd.metadata.name ?? ''
    const defs = crdToResourceDefinitions(crd)
    const now = new Set(defs.map(d => `${d.group}/${d.version}/${d.resource}`))
    for (const old of this.registered.get(name) ?? []) {
      if (!now.has(`${old.group}/${old.version}/${old.resource}`)) registry.unregister(old.group, old.version, old.resource)
    }
    try {
      applyCrd(index, crd)
    } catch (err) {
      logger.warn({ err, crd: name }, 'CRD schema not usable for validation/explain')
    }
    for (const d of defs) registry.register(d)
    this.registered.set(name, defs.map(d => ({ group: d.group, version: d.version, resource: d.resource })))
  }

  remove (crd: KubeObject): void {
    const name = crd.metadata.name ?? ''
    for (const old of this.registered.get(name) ?? []) this.components.registry.unregister(old.group, old.version, old.resource)
    this.registered.delete(name)
    try {
      removeCrd(this.components.index, crd)
    } catch (err) {
      this.components.logger.debug({ err, crd: name }, 'CRD schema was not indexed')
    }
  }

  /** Resolves once the stored CRDs are registered (the first list). */
  async start (signal?: AbortSignal): Promise<void> {
    await this.informer.start()
    await this.informer.waitForSync(signal)
  }

  async stop (): Promise<void> { await this.informer.stop() }

  isStarted (): boolean { return this.informer.isStarted() }

  private sync (crd: KubeObject): void {
    if (crd.metadata.deletionTimestamp !== undefined) this.remove(crd)
    else this.apply(crd)
  }
}
