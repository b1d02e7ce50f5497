import { hasCode, silentLogger, type KubeObject, type Logger } from '@edgemesh/common'
import type { HubMessage, ResourceRef as HubResourceRef } from '@edgemesh/common/hub-protocol'
import { isPlainObject, type ResourceDefinition, type ResourceRegistry } from '@edgemesh/kube/machinery'
import { objectKey } from '@edgemesh/kube/server'
import type { Store, StoreEntry } from '@edgemesh/kube/storage'
import type { DownstreamHandler } from '../edge-hub/edge-hub.js'
import { MetaError } from './errors.js'

export interface MetaManagerComponents {
  /** The node's cache: the kube SQLite revision log (the meta-server reads the same store). */
  store: Store
  /** The kinds this edge serves (the meta-server's registry). */
  registry: ResourceRegistry
  /** @default silent */
  logger?: Logger
}

/** What happened to one downstream message (for logs, metrics and tests). */
export type ApplyResult = 'created' | 'updated' | 'deleted' | 'stale' | 'absent' | 'rejected'

/**
 * Applies what the cloud sends into the node's cache, one message at a time, in order; the edge-hub
 * acks a message only after `handle` resolves, so an ack means committed. Applies are idempotent by
 * the cloud's resourceVersion: an object older than (or as old as) the cached one is skipped, so a
 * resend, a replay after a crash before the ack, or a resync of unchanged objects never writes twice.
 * The cloud object is stored as sent (with its cloud resourceVersion); the meta-server serves it with
 * the cache's own revision as resourceVersion, so local list/watch semantics hold offline and across
 * restarts.
 *
 * Bad messages (unknown kind, content that does not match its resource string) are logged with a code
 * and acked: retrying them would only block the node's queue.
 */
export class MetaManager implements DownstreamHandler {
  private readonly log: Logger

  constructor (private readonly components: MetaManagerComponents) {
    this.log = (components.logger ?? silentLogger()).child({ component: 'meta-manager' })
  }

  async handle (msg: HubMessage, resource: HubResourceRef, signal: AbortSignal): Promise<void> {
    let result: ApplyResult
    try {
      result = await this.apply(msg, resource, signal)
    } catch (err) {
      if (!(err instanceof MetaError)) throw err
      this.log.warn({ code: err.code, msgId: msg.header.msg_id, resource: msg.route.resource, err: err.message }, 'downstream message refused')
      result = 'rejected'
    }
    this.log.debug({ msgId: msg.header.msg_id, resource: msg.route.resource, result }, 'downstream message applied')
  }

  /** Applies one message; resolves with what it did. Throws MetaError for a message that cannot be applied. */
  async apply (msg: HubMessage, resource: HubResourceRef, signal?: AbortSignal): Promise<ApplyResult> {
    const op = msg.route.operation
    if (op !== 'insert' && op !== 'update' && op !== 'delete') throw new MetaError('META_OPERATION_UNSUPPORTED', `operation "${op}" is not applied to the cache`)
    const content = msg.content
    const def = this.definition(resource, isPlainObject(content) ? content : undefined)
    const key = objectKey(def, resource.namespace ?? undefined, resource.name)
    if (op === 'delete') return await this.remove(key, versionOf(content), signal)
    const obj = checkedObject(def, resource, content)
    return await this.upsert(key, obj, signal)
  }

  private definition (resource: HubResourceRef, content: Record<string, unknown> | undefined): ResourceDefinition {
    const apiVersion = typeof content?.apiVersion === 'string' ? content.apiVersion : undefined
    const kind = typeof content?.kind === 'string' ? content.kind : undefined
    if (apiVersion !== undefined && kind !== undefined) {
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) as [string, string] : ['', apiVersion]
      const def = this.components.registry.byKind({ group, version, kind })
      if (def === undefined) throw new MetaError('META_KIND_UNKNOWN', `kind ${apiVersion} ${kind} is not served at the edge`)
      if (def.kind.toLowerCase() !== resource.kind.toLowerCase()) throw new MetaError('META_OBJECT_INVALID', `content kind ${kind} does not match resource kind "${resource.kind}"`)
      return def
    }
    // Deletes may carry only metadata: find the kind by its (lower-case) name, core group first.
    const want = resource.kind.toLowerCase()
    const defs = this.components.registry.all().filter(d => d.kind.toLowerCase() === want)
    const def = defs.find(d => d.group === '') ?? defs[0]
    if (def === undefined) throw new MetaError('META_KIND_UNKNOWN', `kind "${resource.kind}" is not served at the edge`)
    return def
  }

  private async upsert (key: string, obj: KubeObject, signal?: AbortSignal): Promise<ApplyResult> {
    const value = JSON.stringify(obj)
    const incoming = obj.metadata.resourceVersion
    for (;;) {
      signal?.throwIfAborted()
      const cur = await this.components.store.get(key)
      if (cur !== undefined && !newer(incoming, storedVersion(cur))) return 'stale'
      try {
        if (cur === undefined) await this.components.store.create(key, value)
        else await this.components.store.update(key, value, cur.modRevision)
        return cur === undefined ? 'created' : 'updated'
      } catch (err) {
        // Someone else wrote the key between read and write (only local writes could): read again.
        if (hasCode(err, 'STORE_KEY_EXISTS') || hasCode(err, 'STORE_CONFLICT') || hasCode(err, 'STORE_NOT_FOUND')) continue
        throw err
      }
    }
  }

  private async remove (key: string, version: string | undefined, signal?: AbortSignal): Promise<ApplyResult> {
    for (;;) {
      signal?.throwIfAborted()
      const cur = await this.components.store.get(key)
      if (cur === undefined) return 'absent'
      // A delete older than the cached object (it was recreated since) leaves the new one alone.
      if (version !== undefined && newer(storedVersion(cur), version)) return 'stale'
      try {
        await this.components.store.delete(key, cur.modRevision)
        return 'deleted'
      } catch (err) {
        if (hasCode(err, 'STORE_CONFLICT') || hasCode(err, 'STORE_NOT_FOUND')) continue
        throw err
      }
    }
  }
}

function checkedObject (def: ResourceDefinition, resource: HubResourceRef, content: unknown): KubeObject {
  if (!isPlainObject(content) || !isPlainObject(content.metadata)) throw new MetaError('META_OBJECT_INVALID', 'content is not a Kubernetes object (no metadata)')
  const meta = content.metadata as Record<string, unknown>
  if (meta.name !== resource.name) throw new MetaError('META_OBJECT_INVALID', `metadata.name "${String(meta.name)}" does not match resource name "${resource.name}"`)
  const ns = def.namespaced ? resource.namespace : null
  if (def.namespaced && (ns === null || meta.namespace !== ns)) throw new MetaError('META_OBJECT_INVALID', `metadata.namespace "${String(meta.namespace)}" does not match resource namespace "${String(resource.namespace)}"`)
  if (!def.namespaced && resource.namespace !== null) throw new MetaError('META_OBJECT_INVALID', `${def.kind} is cluster-scoped but the resource names namespace "${resource.namespace}"`)
  return content as KubeObject
}

function versionOf (content: unknown): string | undefined {
  if (!isPlainObject(content) || !isPlainObject(content.metadata)) return undefined
  const rv = (content.metadata as Record<string, unknown>).resourceVersion
  return typeof rv === 'string' && rv !== '' ? rv : undefined
}

/** The cloud resourceVersion kept in a cached object's JSON. */
function storedVersion (entry: StoreEntry): string | undefined {
  try {
    return versionOf(JSON.parse(entry.value))
  } catch {
    return undefined
  }
}

/**
 * True when resourceVersion `a` is newer than `b`. Cloud resourceVersions are revisions (decimal
 * integers); anything else is opaque, and then only "different" can be told, which counts as newer.
 */
function newer (a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b)
  return a !== b
}
