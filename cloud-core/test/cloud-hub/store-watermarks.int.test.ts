import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { OBJECT_SYNC_PREFIX, StoreWatermarkStore } from '../../src/cloud-hub/index.js'

describe('StoreWatermarkStore', () => {
  let dir: string
  let store: SqliteStore
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'watermarks-'))
    store = sqliteStore({ dataDir: dir, compactIntervalMs: 0 })
    await store.start()
  })
  afterEach(async () => {
    await store.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps per-node marks in the store, outside /registry, and lists one node only', async () => {
    const w = new StoreWatermarkStore(store)
    await w.put('n1', 'u1', { resourceVersion: '5', namespace: 'ns', kind: 'pod', name: 'a' })
    await w.put('n1', 'u2', { resourceVersion: '6', namespace: null, kind: 'node', name: 'n1' })
    await w.put('n10', 'u3', { resourceVersion: '7', namespace: 'ns', kind: 'pod', name: 'b' })
    await w.put('n1', 'u1', { resourceVersion: '8', namespace: 'ns', kind: 'pod', name: 'a' })
    expect(await w.get('n1', 'u1')).toEqual({ resourceVersion: '8', namespace: 'ns', kind: 'pod', name: 'a' })
    expect([...(await w.list('n1')).keys()].sort()).toEqual(['u1', 'u2'])
    expect((await store.list(OBJECT_SYNC_PREFIX)).entries).toHaveLength(3)
    expect((await store.list('/registry/')).entries).toHaveLength(0)
    // A second store object (another cloudcore on the same store) sees the same marks.
    expect((await new StoreWatermarkStore(store).list('n1')).get('u2')?.kind).toBe('node')
  })

  it('writes nothing for an unchanged mark and deletes idempotently', async () => {
    const w = new StoreWatermarkStore(store)
    const mark = { resourceVersion: '5', namespace: 'ns', kind: 'pod', name: 'a' }
    await w.put('n1', 'u1', mark)
    const rev = await store.revision()
    await w.put('n1', 'u1', mark)
    expect(await store.revision()).toBe(rev)
    await w.delete('n1', 'u1')
    await w.delete('n1', 'u1')
    expect(await w.get('n1', 'u1')).toBeUndefined()
  })
})
