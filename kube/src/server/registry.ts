import type { GroupVersionKind } from '@edgemesh/common'
import type { ResourceDefinition, ResourceRegistry } from '../machinery/types.js'

const gvrKey = (group: string, version: string, resource: string): string => `${group}/${version}/${resource}`
const gvkKey = (gvk: GroupVersionKind): string => `${gvk.group}/${gvk.version}/${gvk.kind}`

/** Verbs a definition gets when it does not list its own. */
export const DEFAULT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

/**
 * The served resources, keyed by group/version/resource and by kind. CRD registration happens at
 * runtime, so listeners let discovery caches and the OpenAPI module rebuild when the set changes.
 */
export class DefaultResourceRegistry implements ResourceRegistry {
  private readonly byResource = new Map<string, ResourceDefinition>()
  private readonly byGvk = new Map<string, ResourceDefinition>()
  private readonly listeners = new Set<() => void>()
  private generation = 0

  constructor (defs: Iterable<ResourceDefinition> = []) {
    for (const d of defs) this.register(d)
  }

  register (def: ResourceDefinition): void {
    const old = this.byResource.get(gvrKey(def.group, def.version, def.resource))
    if (old !== undefined) this.byGvk.delete(gvkKey({ group: old.group, version: old.version, kind: old.kind }))
    this.byResource.set(gvrKey(def.group, def.version, def.resource), def)
    this.byGvk.set(gvkKey({ group: def.group, version: def.version, kind: def.kind }), def)
    this.changed()
  }

  unregister (group: string, version: string, resource: string): void {
    const def = this.byResource.get(gvrKey(group, version, resource))
    if (def === undefined) return
    this.byResource.delete(gvrKey(group, version, resource))
    this.byGvk.delete(gvkKey({ group, version, kind: def.kind }))
    this.changed()
  }

  lookup (group: string, version: string, resource: string): ResourceDefinition | undefined {
    return this.byResource.get(gvrKey(group, version, resource))
  }

  byKind (gvk: GroupVersionKind): ResourceDefinition | undefined {
    return this.byGvk.get(gvkKey(gvk))
  }

  all (): ResourceDefinition[] {
    return [...this.byResource.values()]
  }

  /** First definition of `resource` in `group`, whatever the version (in-process refs may omit it). */
  lookupAnyVersion (group: string, resource: string): ResourceDefinition | undefined {
    for (const d of this.byResource.values()) if (d.group === group && d.resource === resource) return d
    return undefined
  }

  /** Bumped on every change: callers cache derived documents (discovery) against it. */
  version (): number {
    return this.generation
  }

  /** Called after every register/unregister. Returns an unsubscribe function. */
  onChange (fn: () => void): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  private changed (): void {
    this.generation++
    for (const fn of this.listeners) fn()
  }
}
