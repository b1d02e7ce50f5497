import { randomUUID } from 'node:crypto'
import { apiVersionOf, hasCode, type KubeList, type KubeObject, type Logger, type WatchEvent, AsyncQueue } from '@edgemesh/common'
import type { Store, StoreEntry, StoreEvent } from '../storage/types.js'
import { FifoCache } from './decode-cache.js'
import { alreadyExists, ApiError, badRequest, conflict, invalid, notFound } from '../machinery/errors.js'
import { deepClone, generateName, isPlainObject, jsonEqual, specOf, timestamp, validateMetadataShape, validateName } from '../machinery/object-meta.js'
import { fallbackPatcher, type Patcher } from './patcher.js'
import { fromScale, toScale } from './subresources.js'
import { combine, fieldMatcher, labelMatcher, type Matcher } from '../machinery/selectors.js'
import { WatchFeed, type FeedSink } from './watch-feed.js'
import { decodeContinue, encodeContinue } from '../machinery/continue-token.js'
import { SYSTEM_NAMESPACES } from '../machinery/kinds.js'
import type { DeleteResult, PatchOptions, ResourceBackend, StorageWatchOpts, WriteOptions } from './backend.js'
import type { DeleteOpts, FieldCause, ListOpts, ObjectClient, PatchSchema, PatchType, RequestUser, ResourceDefinition, SchemaValidator, StrategyContext } from '../machinery/types.js'

/**
 * Records field ownership for an ordinary write (the patch module's updateManagedFields fits):
 * returns the new `metadata.managedFields`.
 */
export type FieldTracker = (old: KubeObject | undefined, updated: KubeObject, manager: string, ctx: { gvk: { group: string, version: string, kind: string }, subresource?: string, now: Date }) => unknown[]

interface InternalUpdateOptions extends PatchOptions {
  /** Server-side apply already wrote managedFields. */
  applied?: boolean
  /** Ownership is recorded against this subresource (scale writes go through the main object). */
  trackAs?: string
}

export interface RestStorageInit {
  /** Interval between BOOKMARK events on watches that allow them. @default 5_000 */
  bookmarkIntervalMs?: number
  /** Store entries fetched per round while filtering a paginated list. @default 500 */
  listChunkSize?: number
  /** Namespaces that always exist: created at start and never checked. @default SYSTEM_NAMESPACES (default, kube-system, kube-public, kube-node-lease) */
  systemNamespaces?: readonly string[]
  /**
   * Events a watcher may have queued before it is cut off with an ERROR 410 (the client relists);
   * bounds memory when a consumer stops reading. @default 10_000
   */
  watchQueueLimit?: number
  /** Decoded store values kept for watchers that share event objects (see StorageWatchOpts.shared). @default 1024 */
  watchDecodeCacheSize?: number
  /**
   * How long a namespace found usable (existing, not terminating) is trusted by creates without
   * reading it again. Writes through this storage forget it at once; the window only matters for
   * changes made by another cloudcore on the same backend. 0 disables the cache. @default 1_000
   */
  namespaceCacheMs?: number
}

export interface RestStorageComponents {
  store: Store
  logger: Logger
  /** Schema and unknown-field validation; skipped when absent. */
  validator?: SchemaValidator
  /** Merge keys for strategic merge patch, passed to the patcher. */
  patchSchema?: PatchSchema
  /** @default fallbackPatcher (JSON + merge patch only) */
  patcher?: Patcher
  /** In-process client handed to strategies (resolved lazily: it wraps this storage). */
  client?: () => ObjectClient
  /** @default () => new Date() */
  now?: () => Date
  /** managedFields for writes that name a fieldManager; none recorded when absent. */
  trackFields?: FieldTracker
}

const NAMESPACE_PREFIX = '/registry/core/namespaces/'
const MAX_RETRIES = 8

/** `/registry/<group|core>/<resource>/` — the prefix every key of this resource starts with. */
export function resourcePrefix (def: ResourceDefinition): string {
  return `/registry/${def.group === '' ? 'core' : def.group}/${def.resource}/`
}

/** Key prefix of a list or watch: one namespace, or every object of the resource. */
function scopePrefix (def: ResourceDefinition, namespace: string | undefined): string {
  return def.namespaced && namespace !== undefined && namespace !== '' ? `${resourcePrefix(def)}${namespace}/` : resourcePrefix(def)
}

export function objectKey (def: ResourceDefinition, namespace: string | undefined, name: string): string {
  return def.namespaced ? `${resourcePrefix(def)}${namespace ?? ''}/${name}` : `${resourcePrefix(def)}${name}`
}

const expired = (message: string): ApiError => new ApiError('Expired', message)
const gvkOf = (def: ResourceDefinition): { group: string, version: string, kind: string } => ({ group: def.group, version: def.version, kind: def.kind })

/**
 * Generic Kubernetes object storage over a Store: keys, resourceVersions, optimistic concurrency,
 * name generation, namespaces, finalizers, status subresource, selectors, pagination and watch.
 * The HTTP handlers and the in-process client both go through here, so both get the same rules.
 */
export class RestStorage implements ResourceBackend {
  readonly store: Store
  private readonly log: Logger
  private readonly validator?: SchemaValidator
  private readonly patchSchema?: PatchSchema
  private readonly patcher: Patcher
  private readonly client?: () => ObjectClient
  private readonly now: () => Date
  private readonly trackFields?: FieldTracker
  private readonly bookmarkIntervalMs: number
  private readonly chunk: number
  private readonly systemNamespaces: readonly string[]
  private readonly watchQueueLimit: number
  private readonly namespaceCacheMs: number
  /** Shared decoded watch objects, keyed by apiVersion, revision and key (one immutable stored value). */
  private readonly decoded: FifoCache<KubeObject>
  /** Serialised form of shared watch objects, so N watchers stringify an object once. */
  private readonly serialised = new WeakMap<KubeObject, string>()
  /** The last shared decode, by identity of the store entry. */
  private lastShared?: { def: ResourceDefinition, entry: StoreEntry, obj: KubeObject }
  /** Shared store watches by key prefix (see StorageWatchOpts.shared). */
  private readonly feeds = new Map<string, WatchFeed>()
  /** Namespace name → monotonic time (ms) until which it is known to accept new content. */
  private readonly usableNamespaces = new Map<string, number>()
  /** Bumped around every namespace write (see writing()). */
  private namespaceEpoch = 0

  constructor (components: RestStorageComponents, init: RestStorageInit = {}) {
    this.store = components.store
    this.log = components.logger.child({ component: 'rest-storage' })
    this.validator = components.validator
    this.patchSchema = components.patchSchema
    this.patcher = components.patcher ?? fallbackPatcher
    this.client = components.client
    this.now = components.now ?? (() => new Date())
    this.trackFields = components.trackFields
    this.bookmarkIntervalMs = init.bookmarkIntervalMs ?? 5_000
    this.chunk = init.listChunkSize ?? 500
    this.systemNamespaces = init.systemNamespaces ?? SYSTEM_NAMESPACES
    this.watchQueueLimit = init.watchQueueLimit ?? 10_000
    this.namespaceCacheMs = init.namespaceCacheMs ?? 1_000
    this.decoded = new FifoCache(init.watchDecodeCacheSize ?? 1024)
  }

  /**
   * Creates the system namespaces if missing (idempotent; run at startup). They carry the
   * 'kubernetes' finalizer in metadata too, as namespaces created through the API do, so a delete
   * leaves them Terminating for the namespace controller.
   */
  async ensureSystemNamespaces (): Promise<void> {
    for (const name of this.systemNamespaces) {
      const ns: KubeObject = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, uid: randomUUID(), creationTimestamp: timestamp(this.now()), labels: { 'kubernetes.io/metadata.name': name }, finalizers: ['kubernetes'] },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' }
      }
      try {
        await this.store.create(NAMESPACE_PREFIX + name, JSON.stringify(ns))
      } catch (err) {
        if (!hasCode(err, 'STORE_KEY_EXISTS')) throw err
      }
    }
  }

  decode (def: ResourceDefinition, entry: StoreEntry): KubeObject {
    let obj: unknown
    try {
      obj = JSON.parse(entry.value)
    } catch (err) {
      throw new ApiError('InternalError', `stored object ${entry.key} is not valid JSON`, undefined, { cause: err })
    }
    if (!isPlainObject(obj) || !isPlainObject(obj.metadata)) throw new ApiError('InternalError', `stored object ${entry.key} has no metadata`)
    const o = obj as KubeObject
    o.apiVersion = apiVersionOf(def)
    o.kind = def.kind
    o.metadata.resourceVersion = String(entry.modRevision)
    return o
  }

  private encode (obj: KubeObject): string {
    const { resourceVersion: _rv, ...metadata } = obj.metadata
    return JSON.stringify({ ...obj, metadata })
  }

  private ctx (user: RequestUser | undefined): StrategyContext {
    const client = this.client?.()
    if (client === undefined) {
      return { user, now: this.now(), get client (): ObjectClient { throw new ApiError('InternalError', 'no in-process client configured for strategies') } }
    }
    return { user, now: this.now(), client }
  }

  async get (def: ResourceDefinition, namespace: string | undefined, name: string): Promise<KubeObject> {
    const entry = await this.store.get(objectKey(def, namespace, name))
    if (entry === undefined) throw notFound(def.resource, name, def.group)
    return this.decode(def, entry)
  }

  async list (def: ResourceDefinition, namespace: string | undefined, opts: ListOpts = {}): Promise<KubeList> {
    const match = combine(labelMatcher(opts.labelSelector), fieldMatcher(opts.fieldSelector, def))
    const prefix = scopePrefix(def, namespace)
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : 0
    let revision: number | undefined
    let startAfter: string | undefined
    if (opts.continue !== undefined && opts.continue !== '') {
      const t = decodeContinue(opts.continue)
      revision = t.rev
      startAfter = t.start
    }
    const items: KubeObject[] = []
    let more = false
    let lastKey: string | undefined
    try {
      while (true) {
        // Without a selector every entry is kept, so `limit` entries are enough; filtering reads ahead in chunks.
        const res = await this.store.list(prefix, { limit: limit === 0 || match === undefined ? limit : Math.max(this.chunk, limit), startAfter, revision })
        revision ??= res.revision
        let stoppedEarly = false
        for (let i = 0; i < res.entries.length; i++) {
          const entry = res.entries[i]!
          startAfter = entry.key
          const obj = this.decode(def, entry)
          if (match !== undefined && !match(obj)) continue
          items.push(obj)
          lastKey = entry.key
          if (limit > 0 && items.length >= limit) {
            stoppedEarly = i < res.entries.length - 1 || res.more
            break
          }
        }
        if (limit > 0 && items.length >= limit) { more = stoppedEarly; break }
        if (!res.more) break
      }
    } catch (err) {
      if (hasCode(err, 'STORE_COMPACTED') && opts.continue !== undefined) {
        throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.')
      }
      throw err
    }
    const metadata: KubeList['metadata'] = { resourceVersion: String(revision) }
    if (more && lastKey !== undefined) metadata.continue = encodeContinue({ rev: revision, start: lastKey })
    return { apiVersion: apiVersionOf(def), kind: `${def.kind}List`, metadata, items }
  }

  private checkTypeMeta (def: ResourceDefinition, obj: KubeObject): void {
    const want = apiVersionOf(def)
    if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== want) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`)
    }
    if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== def.kind) {
      throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${def.kind})`)
    }
    obj.apiVersion = want
    obj.kind = def.kind
  }

  private asObject (def: ResourceDefinition, body: unknown): KubeObject {
    if (!isPlainObject(body)) throw badRequest('the request body must be a JSON object')
    if (body.metadata === undefined) body.metadata = {}
    if (!isPlainObject(body.metadata)) throw badRequest('metadata must be an object')
    // null means "unset" in JSON bodies; dropping it keeps `?? default` logic below honest.
    for (const [k, v] of Object.entries(body.metadata)) if (v === null) delete body.metadata[k]
    const causes = validateMetadataShape(body.metadata)
    if (causes.length > 0) throw invalid(def.kind, typeof body.metadata.name === 'string' ? body.metadata.name : '', causes, def.group)
    return body as KubeObject
  }

  private checkNamespace (def: ResourceDefinition, obj: KubeObject, namespace: string | undefined): void {
    if (!def.namespaced) {
      delete obj.metadata.namespace
      return
    }
    const ns = obj.metadata.namespace
    if (ns !== undefined && ns !== '' && namespace !== undefined && ns !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
    }
    const effective = namespace ?? ns
    if (effective === undefined || effective === '') throw badRequest('an empty namespace may not be set during creation')
    obj.metadata.namespace = effective
  }

  private schemaCheck (def: ResourceDefinition, obj: KubeObject, opts: WriteOptions): void {
    if (this.validator === undefined) return
    const res = this.validator.validate(gvkOf(def), obj)
    const mode = opts.fieldValidation ?? 'Strict'
    if (res.unknownFields.length > 0) {
      const msgs = res.unknownFields.map(f => `unknown field "${f}"`)
      if (mode === 'Strict') throw badRequest(`strict decoding error: ${msgs.join(', ')}`)
      // Like kube-apiserver, Warn and Ignore drop unknown fields rather than store them (when the
      // validator can prune, as the OpenAPI one does).
      const pruner = this.validator as SchemaValidator & { prune?: (gvk: { group: string, version: string, kind: string }, obj: unknown) => string[] }
      pruner.prune?.(gvkOf(def), obj)
      if (mode === 'Warn') opts.warnings?.push(...msgs)
    }
    if (res.causes.length > 0) throw invalid(def.kind, obj.metadata.name ?? obj.metadata.generateName ?? '', res.causes, def.group)
  }

  private semanticCheck (def: ResourceDefinition, obj: KubeObject, old: KubeObject | undefined): void {
    const causes: FieldCause[] = def.validate?.(obj, old) ?? []
    if (causes.length > 0) throw invalid(def.kind, obj.metadata.name ?? '', causes, def.group)
  }

  private async namespaceUsable (namespace: string): Promise<void> {
    if (this.systemNamespaces.includes(namespace)) return
    const until = this.usableNamespaces.get(namespace)
    if (until !== undefined && performance.now() < until) return
    const epoch = this.namespaceEpoch
    const entry = await this.store.get(NAMESPACE_PREFIX + namespace)
    if (entry === undefined) throw notFound('namespaces', namespace)
    const ns = JSON.parse(entry.value) as KubeObject
    if (ns.metadata.deletionTimestamp !== undefined) {
      throw new ApiError('Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, { name: namespace, kind: 'namespaces' })
    }
    if (this.namespaceCacheMs > 0 && epoch === this.namespaceEpoch) {
      // Bounded by pruning expired entries rather than by count: namespaces are few, expiry is short.
      if (this.usableNamespaces.size >= 1_000) this.pruneNamespaces()
      this.usableNamespaces.set(namespace, performance.now() + this.namespaceCacheMs)
    }
  }

  private pruneNamespaces (): void {
    const now = performance.now()
    for (const [name, until] of this.usableNamespaces) if (until <= now) this.usableNamespaces.delete(name)
  }

  /**
   * Runs a store write of `key`. A namespace being written is forgotten before and after, and the
   * epoch bump keeps a create whose read overlapped the write from caching what it read.
   */
  private async writing<T> (key: string, fn: () => Promise<T>): Promise<T> {
    if (!key.startsWith(NAMESPACE_PREFIX)) return await fn()
    const name = key.slice(NAMESPACE_PREFIX.length)
    this.usableNamespaces.delete(name)
    this.namespaceEpoch++
    try {
      return await fn()
    } finally {
      this.usableNamespaces.delete(name)
      this.namespaceEpoch++
    }
  }

  async create (def: ResourceDefinition, namespace: string | undefined, body: unknown, opts: WriteOptions & { applied?: boolean } = {}): Promise<KubeObject> {
    const obj = this.asObject(def, opts.bodyOwned === true ? body : deepClone(body))
    this.checkTypeMeta(def, obj)
    this.checkNamespace(def, obj, namespace)
    this.schemaCheck(def, obj, opts)
    const meta = obj.metadata
    const generated = (meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== ''
    if (meta.name !== undefined && typeof meta.name !== 'string') throw badRequest('metadata.name must be a string')
    if (generated) meta.name = generateName(meta.generateName!)
    const causes = validateName(meta.name ?? '', 'metadata.name', def.kind === 'Namespace' || def.kind === 'Service')
    if (causes.length > 0) throw invalid(def.kind, meta.name ?? '', causes, def.group)
    if (def.namespaced) await this.namespaceUsable(meta.namespace!)
    const now = this.now()
    meta.uid = randomUUID()
    meta.creationTimestamp = timestamp(now)
    delete meta.resourceVersion
    delete meta.deletionTimestamp
    delete meta.deletionGracePeriodSeconds
    if (def.hasGeneration === true) meta.generation = 1
    else delete meta.generation
    await def.prepareForCreate?.(obj, this.ctx(opts.user))
    this.semanticCheck(def, obj, undefined)
    if (!(opts as InternalUpdateOptions).applied) this.track(def, undefined, obj, opts.fieldManager, undefined)
    if (opts.dryRun === true) return obj
    for (let attempt = 0; ; attempt++) {
      try {
        const entry = await this.store.create(objectKey(def, meta.namespace, meta.name!), this.encode(obj))
        return this.decode(def, entry)
      } catch (err) {
        if (!hasCode(err, 'STORE_KEY_EXISTS')) throw err
        if (!generated || attempt >= 3) throw alreadyExists(def.resource, meta.name!, def.group)
        meta.name = generateName(meta.generateName!)
      }
    }
  }

  /**
   * Replaces an object. An empty resourceVersion means "unconditional" (retried on races); a
   * non-empty one must match or the update fails with 409 Conflict.
   */
  async update (def: ResourceDefinition, namespace: string | undefined, name: string, body: unknown, opts: InternalUpdateOptions = {}): Promise<KubeObject> {
    const incoming = this.asObject(def, opts.bodyOwned === true ? body : deepClone(body))
    this.checkTypeMeta(def, incoming)
    if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(incoming.metadata.name)}) does not match the name on the URL (${name})`)
    }
    incoming.metadata.name = name
    this.checkNamespace(def, incoming, namespace)
    const wantRv = typeof incoming.metadata.resourceVersion === 'string' ? incoming.metadata.resourceVersion : ''
    const key = objectKey(def, incoming.metadata.namespace, name)
    for (let attempt = 0; ; attempt++) {
      const cur = await this.store.get(key)
      if (cur === undefined) throw notFound(def.resource, name, def.group)
      if (wantRv !== '' && wantRv !== String(cur.modRevision)) throw conflict(def.resource, name, def.group)
      const old = this.decode(def, cur)
      // prepareUpdate consumes its input; only an unconditional update can come back for another try.
      const next = await this.prepareUpdate(def, old, wantRv !== '' ? incoming : deepClone(incoming), opts)
      if (next === old) return old
      try {
        return await this.write(def, key, cur, next, opts)
      } catch (err) {
        if (hasCode(err, 'STORE_CONFLICT') && wantRv === '' && attempt < MAX_RETRIES) continue
        if (hasCode(err, 'STORE_CONFLICT')) throw conflict(def.resource, name, def.group)
        if (hasCode(err, 'STORE_NOT_FOUND')) throw notFound(def.resource, name, def.group)
        throw err
      }
    }
  }

  /** Builds the object to store from the stored one and the request; returns `old` itself for a no-op. */
  private async prepareUpdate (def: ResourceDefinition, old: KubeObject, incoming: KubeObject, opts: InternalUpdateOptions): Promise<KubeObject> {
    const hasStatus = def.subresources?.includes('status') === true
    let next: KubeObject
    if (opts.subresource === 'status') {
      next = deepClone(old)
      if (incoming.status === undefined) delete next.status
      else next.status = incoming.status
      this.schemaCheck(def, next, opts)
    } else {
      this.schemaCheck(def, incoming, opts)
      next = incoming
      if (hasStatus) {
        if (old.status === undefined) delete next.status
        else next.status = deepClone(old.status)
      }
    }
    const m = next.metadata
    const om = old.metadata
    if (m.uid !== undefined && m.uid !== '' && m.uid !== om.uid) {
      throw invalid(def.kind, om.name ?? '', [{ field: 'metadata.uid', message: `Invalid value: "${String(m.uid)}": field is immutable` }], def.group)
    }
    m.uid = om.uid
    m.creationTimestamp = om.creationTimestamp
    m.resourceVersion = om.resourceVersion
    if (om.deletionTimestamp !== undefined) {
      m.deletionTimestamp = om.deletionTimestamp
      m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds
      const added = (m.finalizers ?? []).filter(f => !(om.finalizers ?? []).includes(f))
      if (added.length > 0) {
        throw invalid(def.kind, om.name ?? '', [{ field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`, reason: 'FieldValueForbidden' }], def.group)
      }
    } else {
      delete m.deletionTimestamp
      delete m.deletionGracePeriodSeconds
    }
    if (def.hasGeneration === true) {
      const gen = typeof om.generation === 'number' ? om.generation : 1
      m.generation = jsonEqual(specOf(next), specOf(old)) ? gen : gen + 1
    } else if (om.generation !== undefined) {
      m.generation = om.generation
    } else {
      delete m.generation
    }
    if (m.finalizers !== undefined && m.finalizers.length === 0) delete m.finalizers
    const ctx = this.ctx(opts.user)
    if (opts.subresource === 'status') await def.prepareForStatusUpdate?.(next, old, ctx)
    else await def.prepareForUpdate?.(next, old, ctx)
    this.semanticCheck(def, next, old)
    if (opts.applied !== true) this.track(def, old, next, opts.fieldManager, opts.trackAs ?? opts.subresource)
    const removable = next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0
    if (!removable && jsonEqual(next, old)) return old
    return next
  }

  private track (def: ResourceDefinition, old: KubeObject | undefined, next: KubeObject, manager: string | undefined, subresource: string | undefined): void {
    if (this.trackFields === undefined || manager === undefined || manager === '') return
    const entries = this.trackFields(old, next, manager, { gvk: gvkOf(def), subresource, now: this.now() })
    if (entries.length > 0) next.metadata.managedFields = entries
    else delete next.metadata.managedFields
  }

  /** Persists `next` over `cur`; an object being deleted whose last finalizer went away is removed instead. */
  private async write (def: ResourceDefinition, key: string, cur: StoreEntry, next: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const removable = next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0
    if (opts.dryRun === true) return next
    if (removable) {
      const gone = await this.writing(key, async () => await this.store.delete(key, cur.modRevision))
      const last = this.decode(def, gone)
      await this.afterDelete(def, last, opts.user)
      return last
    }
    return this.decode(def, await this.writing(key, async () => await this.store.update(key, this.encode(next), cur.modRevision)))
  }

  private async afterDelete (def: ResourceDefinition, obj: KubeObject, user: RequestUser | undefined): Promise<void> {
    try {
      await def.afterDelete?.(obj, this.ctx(user))
    } catch (err) {
      // The object is already gone; a failed release must not turn a successful delete into an error.
      this.log.warn({ err, kind: def.kind, name: obj.metadata.name }, 'afterDelete failed')
    }
  }

  async patch (def: ResourceDefinition, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts: PatchOptions = {}): Promise<{ object: KubeObject, created: boolean }> {
    const rvInPatch = isPlainObject(patch) && isPlainObject(patch.metadata) && typeof patch.metadata.resourceVersion === 'string' && patch.metadata.resourceVersion !== ''
    const key = objectKey(def, namespace, name)
    for (let attempt = 0; ; attempt++) {
      const cur = await this.store.get(key)
      if (cur === undefined) {
        if (type !== 'apply') throw notFound(def.resource, name, def.group)
        const empty: KubeObject = { apiVersion: apiVersionOf(def), kind: def.kind, metadata: { name, ...(def.namespaced ? { namespace } : {}) } }
        const obj = await this.patcher(type, empty, patch, { gvk: gvkOf(def), schema: this.patchSchema, fieldManager: opts.fieldManager, force: opts.force })
        try {
          return { object: await this.create(def, namespace, obj, { ...opts, applied: type === 'apply' }), created: true }
        } catch (err) {
          if (hasCode(err, 'API_ALREADY_EXISTS') && attempt < MAX_RETRIES) continue
          throw err
        }
      }
      const old = this.decode(def, cur)
      const patched = await this.patcher(type, deepClone(old), patch, { gvk: gvkOf(def), schema: this.patchSchema, fieldManager: opts.fieldManager, force: opts.force })
      if (!isPlainObject(patched) || !isPlainObject(patched.metadata)) throw badRequest('the patch produced an object without metadata')
      if (patched.metadata.name !== name) throw badRequest('the patch may not change metadata.name')
      if (def.namespaced && patched.metadata.namespace !== old.metadata.namespace) throw badRequest('the patch may not change metadata.namespace')
      if (!rvInPatch) patched.metadata.resourceVersion = String(cur.modRevision)
      try {
        return { object: await this.update(def, namespace, name, patched, { ...opts, applied: type === 'apply' }), created: false }
      } catch (err) {
        if (hasCode(err, 'API_CONFLICT') && !rvInPatch && attempt < MAX_RETRIES) continue
        throw err
      }
    }
  }

  async delete (def: ResourceDefinition, namespace: string | undefined, name: string, opts: DeleteOpts & WriteOptions = {}): Promise<DeleteResult> {
    const key = objectKey(def, namespace, name)
    const wantRv = opts.preconditions?.resourceVersion
    for (let attempt = 0; ; attempt++) {
      const cur = await this.store.get(key)
      if (cur === undefined) throw notFound(def.resource, name, def.group)
      const obj = this.decode(def, cur)
      if (opts.preconditions?.uid !== undefined && opts.preconditions.uid !== obj.metadata.uid) {
        throw new ApiError('Conflict', `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${String(obj.metadata.uid)}`, { name, group: def.group, kind: def.resource })
      }
      if (wantRv !== undefined && wantRv !== '' && wantRv !== String(cur.modRevision)) {
        throw new ApiError('Conflict', `Precondition failed: ResourceVersion in precondition: ${wantRv}, ResourceVersion in object meta: ${String(cur.modRevision)}`, { name, group: def.group, kind: def.resource })
      }
      const finalizers = [...(obj.metadata.finalizers ?? [])]
      if (opts.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion')
      if (opts.propagationPolicy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan')
      try {
        if (finalizers.length > 0) {
          const unchanged = obj.metadata.deletionTimestamp !== undefined && finalizers.length === (obj.metadata.finalizers ?? []).length
          if (unchanged) return { object: obj, deleted: false }
          const next = deepClone(obj)
          next.metadata.deletionTimestamp ??= timestamp(this.now())
          next.metadata.deletionGracePeriodSeconds ??= opts.gracePeriodSeconds ?? 0
          next.metadata.finalizers = finalizers
          if (opts.dryRun === true) return { object: next, deleted: false }
          return { object: this.decode(def, await this.writing(key, async () => await this.store.update(key, this.encode(next), cur.modRevision))), deleted: false }
        }
        if (opts.dryRun === true) return { object: obj, deleted: true }
        const deleted = await this.writing(key, async () => await this.store.delete(key, cur.modRevision))
        // The deleted value is cur's (the revision matched), already decoded as obj.
        const gone: KubeObject = deleted.value === cur.value ? { ...obj, metadata: { ...obj.metadata, resourceVersion: String(deleted.modRevision) } } : this.decode(def, deleted)
        await this.afterDelete(def, gone, opts.user)
        return { object: gone, deleted: true }
      } catch (err) {
        if ((hasCode(err, 'STORE_CONFLICT') || hasCode(err, 'STORE_NOT_FOUND')) && attempt < MAX_RETRIES) continue
        throw err
      }
    }
  }

  async updateScale (def: ResourceDefinition, namespace: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
    if (!isPlainObject(body) || !isPlainObject(body.spec) || typeof body.spec.replicas !== 'number' || !Number.isInteger(body.spec.replicas) || body.spec.replicas < 0) {
      throw invalid('Scale', name, [{ field: 'spec.replicas', message: 'Invalid value: must be a non-negative integer' }], 'autoscaling')
    }
    const replicas = body.spec.replicas
    const rv = isPlainObject(body.metadata) && typeof body.metadata.resourceVersion === 'string' ? body.metadata.resourceVersion : ''
    const cur = await this.get(def, namespace, name)
    if (rv !== '' && rv !== cur.metadata.resourceVersion) throw conflict(def.resource, name, def.group)
    const next = fromScale(cur, { spec: { replicas } })
    if (rv === '') next.metadata.resourceVersion = ''
    return toScale(await this.update(def, namespace, name, next, { ...opts, fieldValidation: 'Ignore', trackAs: 'scale' }))
  }

  async patchScale (def: ResourceDefinition, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
    const scale = toScale(await this.get(def, namespace, name))
    const patched = await fallbackPatcher(type === 'json' ? 'json' : 'merge', scale, patch, { gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' } })
    return await this.updateScale(def, namespace, name, patched, opts)
  }

  /**
   * Watch events for one resource (optionally one namespace). resourceVersion '' or '0' first sends
   * the current state as ADDED; a compacted start revision ends the stream with an ERROR 410 event.
   */
  async * watch (def: ResourceDefinition, namespace: string | undefined, opts: StorageWatchOpts): AsyncGenerator<WatchEvent> {
    const match = combine(labelMatcher(opts.labelSelector), fieldMatcher(opts.fieldSelector, def))
    const prefix = scopePrefix(def, namespace)
    const rv = opts.resourceVersion ?? ''
    let startRev: number
    if (rv === '' || rv === '0') {
      const res = await this.store.list(prefix)
      startRev = res.revision
      for (const entry of res.entries) {
        if (opts.signal.aborted) return
        const obj = this.decode(def, entry)
        if (match === undefined || match(obj)) yield { type: 'ADDED', object: obj }
      }
    } else {
      if (!/^\d+$/.test(rv)) throw badRequest(`invalid resourceVersion "${rv}"`)
      startRev = Number(rv)
    }
    const queue = new AsyncQueue<WatchEvent>()
    const ac = new AbortController()
    const onAbort = (): void => { ac.abort(); queue.end() }
    opts.signal.addEventListener('abort', onAbort, { once: true })
    let lastRev = startRev
    const timer = opts.allowWatchBookmarks === true
      ? setInterval(() => {
        // A bookmark only promises "everything up to here was delivered", so skip it while events are queued.
        if (queue.size === 0) queue.push({ type: 'BOOKMARK', object: { apiVersion: apiVersionOf(def), kind: def.kind, metadata: { resourceVersion: String(lastRev) } } })
      }, this.bookmarkIntervalMs)
      : undefined
    const shared = opts.shared === true
    const sink: FeedSink = {
      afterRevision: startRev,
      event: (ev) => {
        lastRev = ev.entry.modRevision
        const out = this.translate(def, ev, match, shared)
        if (out === undefined) return true
        if (queue.size >= this.watchQueueLimit) {
          queue.push({ type: 'ERROR', object: expired(`watch fell more than ${this.watchQueueLimit} events behind; relist and watch again`).toStatus() })
          queue.end()
          return false
        }
        queue.push(out)
        return true
      },
      end: () => { queue.end() },
      fail: (err) => {
        // Both mean "relist": the history is gone, or this watcher fell too far behind the store.
        if (hasCode(err, 'STORE_COMPACTED') || hasCode(err, 'STORE_WATCH_OVERFLOW')) {
          const why = hasCode(err, 'STORE_COMPACTED')
            ? `too old resource version: ${startRev} (${String((err as { compactedRevision?: number }).compactedRevision ?? '')})`
            : 'the watch fell too far behind; list again and watch from the new resourceVersion'
          queue.push({ type: 'ERROR', object: expired(why).toStatus() })
          queue.end()
          return
        }
        queue.fail(err instanceof Error ? err : new ApiError('InternalError', `watch failed: ${String(err)}`))
      }
    }
    let feed: WatchFeed | undefined
    let pump: Promise<void> | undefined
    if (shared && !opts.signal.aborted) {
      feed = this.feeds.get(prefix)
      if (feed === undefined || feed.isClosed) {
        feed = new WatchFeed(this.store, prefix, sink, f => { if (this.feeds.get(prefix) === f) this.feeds.delete(prefix) })
        this.feeds.set(prefix, feed)
      } else if (feed.canJoin(startRev)) {
        feed.join(sink)
      } else {
        feed = undefined
      }
    }
    if (feed === undefined) {
      pump = (async () => {
        try {
          for await (const ev of this.store.watch(prefix, { afterRevision: startRev, signal: ac.signal })) {
            if (!sink.event(ev)) { ac.abort(); return }
          }
          queue.end()
        } catch (err) {
          if (ac.signal.aborted) { queue.end(); return }
          sink.fail(err)
        }
      })()
    }
    try {
      if (opts.signal.aborted) return
      yield * queue
    } finally {
      opts.signal.removeEventListener('abort', onAbort)
      if (timer !== undefined) clearInterval(timer)
      ac.abort()
      feed?.leave(sink)
      await pump
    }
  }

  /**
   * One decoded object per stored value for every shared watcher of `def`. The key names one
   * immutable value: a key's modRevision changes on every write, deletes included.
   */
  private decodeShared (def: ResourceDefinition, entry: StoreEntry): KubeObject {
    // A feed hands the same entry object to each of its watchers in turn: skip building the key.
    const last = this.lastShared
    if (last !== undefined && last.entry === entry && last.def === def) return last.obj
    const obj = this.decodeSharedByKey(def, entry)
    this.lastShared = { def, entry, obj }
    return obj
  }

  private decodeSharedByKey (def: ResourceDefinition, entry: StoreEntry): KubeObject {
    const id = `${def.group}/${def.version}/${def.kind}\n${entry.modRevision}\n${entry.key}`
    let obj = this.decoded.get(id)
    if (obj === undefined) {
      obj = this.decode(def, entry)
      this.decoded.set(id, obj)
    }
    return obj
  }

  /**
   * The JSON text of a watch event. Objects from shared watches are stringified once for all their
   * watchers; the result is byte-for-byte JSON.stringify({ type, object }).
   */
  watchEventJson (ev: WatchEvent): string {
    if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return JSON.stringify(ev)
    let text = this.serialised.get(ev.object)
    if (text === undefined) {
      text = JSON.stringify(ev.object)
      this.serialised.set(ev.object, text)
    }
    return `{"type":"${ev.type}","object":${text}}`
  }

  private translate (def: ResourceDefinition, ev: StoreEvent, match: Matcher | undefined, shared: boolean): WatchEvent | undefined {
    let obj: KubeObject
    try {
      obj = shared ? this.decodeShared(def, ev.entry) : this.decode(def, ev.entry)
    } catch (err) {
      this.log.error({ err, key: ev.entry.key }, 'skipping undecodable object in watch')
      return undefined
    }
    if (ev.type === 'create') return match === undefined || match(obj) ? { type: 'ADDED', object: obj } : undefined
    if (ev.type === 'delete') return match === undefined || match(obj) ? { type: 'DELETED', object: obj } : undefined
    if (match === undefined) return { type: 'MODIFIED', object: obj }
    let prevMatch = false
    if (ev.prev !== undefined) {
      try { prevMatch = match(shared ? this.decodeShared(def, ev.prev) : this.decode(def, ev.prev)) } catch { prevMatch = false }
    }
    const nowMatch = match(obj)
    if (nowMatch) return { type: prevMatch ? 'MODIFIED' : 'ADDED', object: obj }
    return prevMatch ? { type: 'DELETED', object: obj } : undefined
  }
}
