import { hasCode } from '@edgemesh/common'
import type { Store } from '@edgemesh/kube/storage'
import type { Watermark, WatermarkStore } from './watermark-store.js'

/** Key prefix of the ObjectSync records (outside /registry, so no API resource ever lists them). */
export const OBJECT_SYNC_PREFIX = '/edgemesh/objectsync/'

/**
 * ObjectSync watermarks in the cluster store (SQLite or etcd): `<prefix><node>/<uid>` → the last
 * version the node acked. With etcd, every cloudcore of the cluster reads the same marks, so a node
 * that reconnects to another cloudcore gets exactly what changed.
 */
export class StoreWatermarkStore implements WatermarkStore {
  constructor (private readonly store: Store) {}

  async get (node: string, uid: string): Promise<Watermark | undefined> {
    const e = await this.store.get(key(node, uid))
    return e === undefined ? undefined : parse(e.value)
  }

  async put (node: string, uid: string, mark: Watermark): Promise<void> {
    const k = key(node, uid)
    const value = JSON.stringify({ resourceVersion: mark.resourceVersion, namespace: mark.namespace, kind: mark.kind, name: mark.name })
    for (;;) {
      const cur = await this.store.get(k)
      if (cur?.value === value) return
      try {
        if (cur === undefined) await this.store.create(k, value)
        else await this.store.update(k, value, cur.modRevision)
        return
      } catch (err) {
        // Another cloudcore acked the same node's object at the same moment: read again.
        if (hasCode(err, 'STORE_KEY_EXISTS') || hasCode(err, 'STORE_CONFLICT') || hasCode(err, 'STORE_NOT_FOUND')) continue
        throw err
      }
    }
  }

  async delete (node: string, uid: string): Promise<void> {
    try {
      await this.store.delete(key(node, uid))
    } catch (err) {
      if (!hasCode(err, 'STORE_NOT_FOUND')) throw err
    }
  }

  async list (node: string): Promise<Map<string, Watermark>> {
    const prefix = `${OBJECT_SYNC_PREFIX}${node}/`
    const out = new Map<string, Watermark>()
    const r = await this.store.list(prefix)
    for (const e of r.entries) {
      const m = parse(e.value)
      if (m !== undefined) out.set(e.key.slice(prefix.length), m)
    }
    return out
  }
}

function key (node: string, uid: string): string {
  return `${OBJECT_SYNC_PREFIX}${node}/${uid}`
}

function parse (value: string): Watermark | undefined {
  try {
    const v = JSON.parse(value) as Partial<Watermark>
    if (typeof v.resourceVersion !== 'string' || typeof v.kind !== 'string' || typeof v.name !== 'string') return undefined
    return { resourceVersion: v.resourceVersion, namespace: typeof v.namespace === 'string' ? v.namespace : null, kind: v.kind, name: v.name }
  } catch {
    return undefined
  }
}
