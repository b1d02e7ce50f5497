import type { GroupVersionKind, KubeList, KubeObject, WatchEvent } from '@edgemesh/common'
import { ApiError } from '../machinery/errors.js'
import type { FieldValidation, ResourceBackend } from '../server/backend.js'
import type { DeleteOpts, ListOpts, ObjectClient, PatchType, RequestUser, ResourceDefinition, ResourceRef, ResourceRegistry, WatchOpts } from '../machinery/types.js'

export interface LocalClientInit {
  /** Identity recorded for strategies. @default { name: 'system:admin', groups: ['system:masters'] } */
  user?: RequestUser
  /** Unknown-field handling for in-process writes. @default 'Warn' (warnings are dropped) */
  fieldValidation?: FieldValidation
}

export interface LocalClientComponents {
  registry: ResourceRegistry
  storage: ResourceBackend
}

/**
 * ObjectClient for in-process callers (controllers, scheduler, cloud-hub): the same storage rules as
 * HTTP, without serialisation. `delete` resolves to the object when deletion is pending (finalizers)
 * and to undefined once it is gone. Watches report a compacted start as an ERROR event (410 Expired
 * Status), as over HTTP.
 */
export class LocalClient implements ObjectClient {
  private readonly registry: ResourceRegistry
  private readonly storage: ResourceBackend
  private readonly user: RequestUser
  private readonly fieldValidation: FieldValidation

  constructor (components: LocalClientComponents, init: LocalClientInit = {}) {
    this.registry = components.registry
    this.storage = components.storage
    this.user = init.user ?? { name: 'system:admin', groups: ['system:masters'] }
    this.fieldValidation = init.fieldValidation ?? 'Warn'
  }

  /** A client acting as another user (same storage). */
  as (user: RequestUser): LocalClient {
    return new LocalClient({ registry: this.registry, storage: this.storage }, { user, fieldValidation: this.fieldValidation })
  }

  private def (ref: ResourceRef): ResourceDefinition {
    let def = ref.version !== undefined ? this.registry.lookup(ref.group, ref.version, ref.resource) : undefined
    if (def === undefined && ref.version === undefined) {
      def = this.registry.lookupAnyVersion?.(ref.group, ref.resource) ?? this.registry.all().find(d => d.group === ref.group && d.resource === ref.resource)
    }
    if (def === undefined) throw new ApiError('NotFound', `the server could not find the requested resource (${ref.resource}${ref.group === '' ? '' : '.' + ref.group})`)
    return def
  }

  private ns (def: ResourceDefinition, ref: ResourceRef, obj?: KubeObject): string | undefined {
    if (!def.namespaced) return undefined
    return ref.namespace ?? obj?.metadata.namespace
  }

  async get<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string): Promise<T> {
    const def = this.def(ref)
    return await this.storage.get(def, this.ns(def, ref), name) as T
  }

  async list<T extends KubeObject = KubeObject>(ref: ResourceRef, opts?: ListOpts): Promise<KubeList<T>> {
    const def = this.def(ref)
    return await this.storage.list(def, this.ns(def, ref), opts) as KubeList<T>
  }

  watch<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: WatchOpts): AsyncIterable<WatchEvent<T>> {
    // Resolve lazily so an unknown resource surfaces inside the caller's for-await, like other failures.
    const start = (): AsyncIterable<WatchEvent<T>> => {
      const def = this.def(ref)
      return this.storage.watch(def, this.ns(def, ref), opts) as AsyncIterable<WatchEvent<T>>
    }
    return { [Symbol.asyncIterator]: () => start()[Symbol.asyncIterator]() }
  }

  async create<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T): Promise<T> {
    const def = this.def(ref)
    return await this.storage.create(def, this.ns(def, ref, obj), obj, { user: this.user, fieldValidation: this.fieldValidation, warnings: [] }) as T
  }

  async update<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T, subresource?: 'status' | 'scale'): Promise<T> {
    const def = this.def(ref)
    const name = obj.metadata.name ?? ''
    const opts = { user: this.user, fieldValidation: this.fieldValidation, warnings: [] }
    if (subresource === 'scale') return await this.storage.updateScale(def, this.ns(def, ref, obj), name, obj, opts) as T
    return await this.storage.update(def, this.ns(def, ref, obj), name, obj, { ...opts, subresource }) as T
  }

  async patch<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, type: PatchType, patch: unknown, opts: { subresource?: string, fieldManager?: string, force?: boolean } = {}): Promise<T> {
    const def = this.def(ref)
    const ns = this.ns(def, ref)
    const wopts = { user: this.user, fieldValidation: this.fieldValidation, warnings: [], fieldManager: opts.fieldManager, force: opts.force }
    if (opts.subresource === 'scale') return await this.storage.patchScale(def, ns, name, type, patch, wopts) as T
    if (opts.subresource !== undefined && opts.subresource !== 'status') throw new ApiError('NotFound', `subresource ${opts.subresource} is not served`)
    const res = await this.storage.patch(def, ns, name, type, patch, { ...wopts, subresource: opts.subresource })
    return res.object as T
  }

  async delete<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, opts: DeleteOpts = {}): Promise<T | undefined> {
    const def = this.def(ref)
    const res = await this.storage.delete(def, this.ns(def, ref), name, { ...opts, user: this.user })
    return res.deleted ? undefined : res.object as T
  }

  resolveKind (gvk: GroupVersionKind): ResourceDefinition | undefined {
    return this.registry.byKind(gvk)
  }
}
