import type { GroupVersionKind, KubeList, KubeObject, WatchEvent } from '@edgemesh/common'

/**
 * Contracts between the HTTP layer, the per-resource definitions and in-process clients
 * (controllers, scheduler, cloud-hub). Implementations live in registry.ts (generic REST storage)
 * and resources/*.ts (one file per kind).
 */

export interface TableColumn {
  name: string
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date'
  format?: string
  description?: string
  /** 0 = always shown; 1+ = only with -o wide. */
  priority?: number
}

export interface RequestUser {
  name: string
  groups: string[]
}

/** Context passed to strategies: who is asking and when. */
export interface StrategyContext {
  user?: RequestUser
  now: Date
  /** In-process client, for strategies that need other objects (e.g. ClusterIP allocation). */
  client: ObjectClient
}

/** One validation problem: becomes a `details.causes[]` entry of a 422 Invalid Status. */
export interface FieldCause {
  field: string
  message: string
  reason?: string
}

/** What a server needs to serve and print a resource: names, scope, verbs, Table printers, field selectors. */
export interface ResourceInfo {
  group: string
  version: string
  /** Plural, lower-case: 'deployments'. */
  resource: string
  kind: string
  /** Lower-case singular: 'deployment'. */
  singular: string
  namespaced: boolean
  shortNames?: string[]
  categories?: string[]
  verbs?: string[]
  /** Subresources served: 'status', 'scale', 'binding', 'log'. */
  subresources?: string[]
  /** Table output for `kubectl get`. NAME and AGE are added by the server; list the middle columns. */
  columns?: TableColumn[]
  cells?: (obj: KubeObject, now: Date) => unknown[]
  /** Field selectors besides metadata.name / metadata.namespace: name → value extractor. */
  fieldSelectors?: Record<string, (obj: KubeObject) => string | undefined>
  /** Whether spec changes bump metadata.generation (true for workloads). */
  hasGeneration?: boolean
}

/** How writes of a resource are prepared and checked (defaults, allocation, validation, release on delete). */
export interface WriteStrategy {
  /** Defaults and server-set fields on create (e.g. ClusterIP allocation). May throw ApiError. */
  prepareForCreate?: (obj: KubeObject, ctx: StrategyContext) => Promise<void> | void
  /** On update: `obj` is the new object, `old` the stored one. Status endpoint updates go through prepareForStatusUpdate. */
  prepareForUpdate?: (obj: KubeObject, old: KubeObject, ctx: StrategyContext) => Promise<void> | void
  prepareForStatusUpdate?: (obj: KubeObject, old: KubeObject, ctx: StrategyContext) => Promise<void> | void
  /** Semantic validation; return causes (422). Schema/unknown-field validation happens before this. */
  validate?: (obj: KubeObject, old: KubeObject | undefined) => FieldCause[]
  /** Release resources on delete (e.g. ClusterIP, NodePort). */
  afterDelete?: (obj: KubeObject, ctx: StrategyContext) => Promise<void> | void
}

/** A served resource: its info plus, where the server accepts writes, its strategy. */
export interface ResourceDefinition extends ResourceInfo, WriteStrategy {}

export interface ListOpts {
  labelSelector?: string
  fieldSelector?: string
  limit?: number
  continue?: string
  resourceVersion?: string
}

export interface WatchOpts {
  labelSelector?: string
  fieldSelector?: string
  /** '' or '0' = start with synthetic ADDED events for current state. */
  resourceVersion?: string
  allowWatchBookmarks?: boolean
  signal: AbortSignal
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply'

export interface DeleteOpts {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'
  gracePeriodSeconds?: number
  preconditions?: { uid?: string, resourceVersion?: string }
}

/** Where a resource lives: `ns` is ignored for cluster-scoped resources. */
export interface ResourceRef { group: string, version?: string, resource: string, namespace?: string }

/**
 * In-process typed access to the API with the same semantics as HTTP (validation, defaulting,
 * resourceVersion, finalizers). Controllers, the scheduler and cloud-hub use this.
 * Errors are ApiError (code e.g. API_NOT_FOUND, API_CONFLICT) carrying the HTTP status and reason.
 */
export interface ObjectClient {
  get: <T extends KubeObject = KubeObject>(ref: ResourceRef, name: string) => Promise<T>
  list: <T extends KubeObject = KubeObject>(ref: ResourceRef, opts?: ListOpts) => Promise<KubeList<T>>
  watch: <T extends KubeObject = KubeObject>(ref: ResourceRef, opts: WatchOpts) => AsyncIterable<WatchEvent<T>>
  create: <T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T) => Promise<T>
  update: <T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T, subresource?: 'status' | 'scale') => Promise<T>
  patch: <T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, type: PatchType, patch: unknown, opts?: { subresource?: string, fieldManager?: string, force?: boolean }) => Promise<T>
  delete: <T extends KubeObject = KubeObject>(ref: ResourceRef, name: string, opts?: DeleteOpts) => Promise<T | undefined>
  /** Kinds the server knows (including CRD-registered ones). */
  resolveKind: (gvk: GroupVersionKind) => ResourceDefinition | undefined
}

/** The set of served resources. CRDs register and unregister definitions at runtime. */
export interface ResourceRegistry {
  register: (def: ResourceDefinition) => void
  unregister: (group: string, version: string, resource: string) => void
  lookup: (group: string, version: string, resource: string) => ResourceDefinition | undefined
  byKind: (gvk: GroupVersionKind) => ResourceDefinition | undefined
  all: () => ResourceDefinition[]
  /** Any registered version of `resource` in `group`, for in-process refs that omit the version. Optional: without it, callers scan all(). */
  lookupAnyVersion?: (group: string, resource: string) => ResourceDefinition | undefined
}

/**
 * What strategic merge patch needs to know about a type: for a field path inside an object of `gvk`,
 * the list merge key and patch strategy (from x-kubernetes-patch-merge-key / x-kubernetes-patch-strategy).
 * Paths are field names from the object root, list items skipped: ['spec', 'template', 'spec', 'containers'].
 */
export interface PatchMeta {
  /** e.g. 'name' for containers; undefined = not a merge list (replace wholesale). */
  mergeKey?: string
  /** e.g. 'merge', 'merge,retainKeys', 'replace'. */
  strategy?: string
  /** 'list' | 'map' | 'primitive' | 'object' when the schema knows the type. */
  type?: 'list' | 'map' | 'object' | 'primitive'
}

export interface PatchSchema {
  /** Metadata for the field at `path` inside a `gvk` object, or undefined when the schema has nothing to say. */
  lookup: (gvk: GroupVersionKind, path: readonly string[]) => PatchMeta | undefined
  /** Whether strategic merge is available for this kind (false for CRDs: kube-apiserver rejects SMP on them with 415). */
  supportsStrategic: (gvk: GroupVersionKind) => boolean
}

/** Result of schema validation of a request body. */
export interface SchemaValidationResult {
  /** Dotted paths of fields the schema does not know ('spec.bogus'). */
  unknownFields: string[]
  /** Type/required errors as field causes. */
  causes: FieldCause[]
}

export interface SchemaValidator {
  validate: (gvk: GroupVersionKind, obj: unknown) => SchemaValidationResult
}
