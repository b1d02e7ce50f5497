import type { KubeList, KubeObject, WatchEvent } from '@edgemesh/common'
import type { DeleteOpts, ListOpts, PatchType, RequestUser, ResourceDefinition } from '../machinery/types.js'

// The storage contract the HTTP handlers and the in-process client depend on. RestStorage (writes with
// strategies, over a Store) implements it; a server that only serves a cache can implement it too.

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore'

/** Per-request options shared by every write. */
export interface WriteOptions {
  /** Who is writing; strategies may look at it. */
  user?: RequestUser
  /** Validate and default, but do not persist. @default false */
  dryRun?: boolean
  fieldManager?: string
  /** What to do with fields the schema does not know. @default 'Strict' */
  fieldValidation?: FieldValidation
  /** Receives warnings (fieldValidation=Warn) for the HTTP `Warning` header. */
  warnings?: string[]
  /**
   * The body is the caller's to give away (freshly decoded from a request), so create/update may
   * modify it instead of working on a copy. @default false
   */
  bodyOwned?: boolean
}

export interface PatchOptions extends WriteOptions {
  subresource?: 'status'
  force?: boolean
}

export interface StorageWatchOpts {
  labelSelector?: string
  fieldSelector?: string
  resourceVersion?: string
  allowWatchBookmarks?: boolean
  signal: AbortSignal
  /**
   * The caller only reads event objects (the HTTP handler serialises them), so they may be the same
   * objects every other such watcher of the resource gets: one decode per store event instead of one
   * per watcher. Such objects must never be mutated. @default false (each watcher decodes its own)
   */
  shared?: boolean
}

export interface DeleteResult { object: KubeObject, deleted: boolean }

/** The verbs of one resource, as the handlers and LocalClient call them. */
export interface ResourceBackend {
  get: (def: ResourceDefinition, namespace: string | undefined, name: string) => Promise<KubeObject>
  list: (def: ResourceDefinition, namespace: string | undefined, opts?: ListOpts) => Promise<KubeList>
  create: (def: ResourceDefinition, namespace: string | undefined, body: unknown, opts?: WriteOptions) => Promise<KubeObject>
  update: (def: ResourceDefinition, namespace: string | undefined, name: string, body: unknown, opts?: PatchOptions) => Promise<KubeObject>
  patch: (def: ResourceDefinition, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts?: PatchOptions) => Promise<{ object: KubeObject, created: boolean }>
  delete: (def: ResourceDefinition, namespace: string | undefined, name: string, opts?: DeleteOpts & WriteOptions) => Promise<DeleteResult>
  /** `<resource>/scale`: the Scale view of a workload. */
  updateScale: (def: ResourceDefinition, namespace: string | undefined, name: string, body: unknown, opts?: WriteOptions) => Promise<KubeObject>
  patchScale: (def: ResourceDefinition, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts?: WriteOptions) => Promise<KubeObject>
  watch: (def: ResourceDefinition, namespace: string | undefined, opts: StorageWatchOpts) => AsyncIterable<WatchEvent>
  /** One watch event as its JSON line (serialised once per event and shared between watchers). */
  watchEventJson: (ev: WatchEvent) => string
}
