import type { KubeList, KubeObject, WatchEvent } from '@edgemesh/common'
import { ApiError } from '../machinery/errors.js'
import type { DeleteOpts, ListOpts, PatchType, ResourceDefinition } from '../machinery/types.js'
import type { DeleteResult, PatchOptions, ResourceBackend, StorageWatchOpts, WriteOptions } from './backend.js'

/**
 * One ResourceBackend over several: the API groups in `groups` are served by their own backend (a
 * read-only view such as metrics.k8s.io, which lives in memory, not in the store), everything else by
 * `fallback`. The handlers and the registry stay as they are; only where the objects come from changes.
 */
export class GroupRoutedBackend implements ResourceBackend {
  private readonly groups: ReadonlyMap<string, ResourceBackend>

  constructor (private readonly fallback: ResourceBackend, groups: Record<string, ResourceBackend>) {
    this.groups = new Map(Object.entries(groups))
  }

  private of (def: ResourceDefinition): ResourceBackend { return this.groups.get(def.group) ?? this.fallback }

  async get (def: ResourceDefinition, namespace: string | undefined, name: string): Promise<KubeObject> { return await this.of(def).get(def, namespace, name) }
  async list (def: ResourceDefinition, namespace: string | undefined, opts?: ListOpts): Promise<KubeList> { return await this.of(def).list(def, namespace, opts) }
  async create (def: ResourceDefinition, namespace: string | undefined, body: unknown, opts?: WriteOptions): Promise<KubeObject> { return await this.of(def).create(def, namespace, body, opts) }
  async update (def: ResourceDefinition, namespace: string | undefined, name: string, body: unknown, opts?: PatchOptions): Promise<KubeObject> { return await this.of(def).update(def, namespace, name, body, opts) }
  async patch (def: ResourceDefinition, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts?: PatchOptions): Promise<{ object: KubeObject, created: boolean }> { return await this.of(def).patch(def, namespace, name, type, patch, opts) }
  async delete (def: ResourceDefinition, namespace: string | undefined, name: string, opts?: DeleteOpts & WriteOptions): Promise<DeleteResult> { return await this.of(def).delete(def, namespace, name, opts) }
  async updateScale (def: ResourceDefinition, namespace: string | undefined, name: string, body: unknown, opts?: WriteOptions): Promise<KubeObject> { return await this.of(def).updateScale(def, namespace, name, body, opts) }
  async patchScale (def: ResourceDefinition, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts?: WriteOptions): Promise<KubeObject> { return await this.of(def).patchScale(def, namespace, name, type, patch, opts) }
  watch (def: ResourceDefinition, namespace: string | undefined, opts: StorageWatchOpts): AsyncIterable<WatchEvent> { return this.of(def).watch(def, namespace, opts) }
  // Events carry no definition: a routed group that serves watches serialises them the same way.
  watchEventJson (ev: WatchEvent): string { return this.fallback.watchEventJson(ev) }
}

/**
 * The write and watch verbs of a backend that only reads: each answers 405 MethodNotAllowed. Extend it
 * and implement get and list.
 */
export abstract class ReadOnlyBackend implements ResourceBackend {
  abstract get (def: ResourceDefinition, namespace: string | undefined, name: string): Promise<KubeObject>
  abstract list (def: ResourceDefinition, namespace: string | undefined, opts?: ListOpts): Promise<KubeList>

  private refuse (def: ResourceDefinition, verb: string): ApiError {
    return new ApiError('MethodNotAllowed', `${verb} is not supported on ${def.resource}.${def.group}`)
  }

  async create (def: ResourceDefinition): Promise<KubeObject> { throw this.refuse(def, 'create') }
  async update (def: ResourceDefinition): Promise<KubeObject> { throw this.refuse(def, 'update') }
  async patch (def: ResourceDefinition): Promise<{ object: KubeObject, created: boolean }> { throw this.refuse(def, 'patch') }
  async delete (def: ResourceDefinition): Promise<DeleteResult> { throw this.refuse(def, 'delete') }
  async updateScale (def: ResourceDefinition): Promise<KubeObject> { throw this.refuse(def, 'update') }
  async patchScale (def: ResourceDefinition): Promise<KubeObject> { throw this.refuse(def, 'patch') }
  watch (def: ResourceDefinition): AsyncIterable<WatchEvent> { throw this.refuse(def, 'watch') }
  watchEventJson (ev: WatchEvent): string { return JSON.stringify(ev) }
}
