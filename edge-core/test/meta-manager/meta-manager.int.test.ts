import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@edgemesh/common'
import { builtinResourceInfo, DefaultResourceRegistry, objectKey } from '@edgemesh/kube/server'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MetaManager } from '../../src/meta-manager/index.js'
import { downstream, pod, podDelete } from './helpers.js'

describe('MetaManager', () => {
  let dir: string
  let store: SqliteStore
  let registry: DefaultResourceRegistry
  let meta: MetaManager
  const podKey = (name: string): string => objectKey(registry.lookup('', 'v1', 'pods')!, 'shop', name)
  const cached = async (name: string): Promise<Record<string, any> | undefined> => {
    const e = await store.get(podKey(name))
    return e === undefined ? undefined : JSON.parse(e.value)
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meta-manager-'))
    store = sqliteStore({ dataDir: dir, compactIntervalMs: 0 })
    await store.start()
    registry = new DefaultResourceRegistry(builtinResourceInfo())
    meta = new MetaManager({ store, registry, logger: silentLogger() })
  })
  afterEach(async () => {
    await store.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('stores inserts and updates as the cloud sent them, and removes deletes', async () => {
    expect(await meta.apply(...downstream('insert', 'shop/pod/web-1', pod('web-1', '10')))).toBe('created')
    expect((await cached('web-1'))?.metadata.resourceVersion).toBe('10')
    expect(await meta.apply(...downstream('update', 'shop/pod/web-1', pod('web-1', '12', { status: { phase: 'Failed' } })))).toBe('updated')
    expect((await cached('web-1'))?.status.phase).toBe('Failed')
    expect(await meta.apply(...downstream('delete', 'shop/pod/web-1', podDelete('web-1', '13')))).toBe('deleted')
    expect(await cached('web-1')).toBeUndefined()
  })

  it('applies a resent or replayed message once: the same version again writes nothing', async () => {
    const msg = downstream('insert', 'shop/pod/web-1', pod('web-1', '10'))
    expect(await meta.apply(...msg)).toBe('created')
    const rev = await store.revision()
    expect(await meta.apply(...msg)).toBe('stale')
    expect(await meta.apply(...downstream('update', 'shop/pod/web-1', pod('web-1', '10')))).toBe('stale')
    expect(await store.revision()).toBe(rev)
  })

  it('never goes back: an update older than the cached object is skipped, and so is a delete older than a re-create', async () => {
    await meta.apply(...downstream('insert', 'shop/pod/web-1', pod('web-1', '20')))
    expect(await meta.apply(...downstream('update', 'shop/pod/web-1', pod('web-1', '15', { status: { phase: 'Pending' } })))).toBe('stale')
    expect((await cached('web-1'))?.status.phase).toBe('Running')
    expect(await meta.apply(...downstream('delete', 'shop/pod/web-1', podDelete('web-1', '18')))).toBe('stale')
    expect(await cached('web-1')).toBeDefined()
    expect(await meta.apply(...downstream('delete', 'shop/pod/nope', podDelete('nope', '30')))).toBe('absent')
  })

  it('orders resourceVersions as numbers, not strings', async () => {
    await meta.apply(...downstream('insert', 'shop/pod/web-1', pod('web-1', '9')))
    expect(await meta.apply(...downstream('update', 'shop/pod/web-1', pod('web-1', '10')))).toBe('updated')
  })

  it('stores cluster-scoped objects under namespace null', async () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'edge-a', uid: 'n1', resourceVersion: '3' }, status: { conditions: [] } }
    expect(await meta.apply(...downstream('insert', 'null/node/edge-a', node))).toBe('created')
    expect(await store.get(objectKey(registry.lookup('', 'v1', 'nodes')!, undefined, 'edge-a'))).toBeDefined()
  })

  it('refuses, with a code and without storing, content that does not match its resource string or a kind it does not serve', async () => {
    const bad = [
      [downstream('insert', 'shop/pod/web-1', pod('other', '1')), 'META_OBJECT_INVALID'],
      [downstream('insert', 'other/pod/web-1', pod('web-1', '1')), 'META_OBJECT_INVALID'],
      [downstream('insert', 'shop/service/web-1', pod('web-1', '1')), 'META_OBJECT_INVALID'],
      [downstream('insert', 'shop/pod/web-1', 'not an object'), 'META_OBJECT_INVALID'],
      [downstream('insert', 'shop/widget/w', { apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' } }), 'META_KIND_UNKNOWN'],
      [downstream('delete', 'shop/widget/w', { metadata: { name: 'w' } }), 'META_KIND_UNKNOWN'],
      [downstream('insert', 'null/node/edge-a', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'edge-b' } }), 'META_OBJECT_INVALID']
    ] as const
    for (const [[msg, ref], code] of bad) {
      await expect(meta.apply(msg, ref), `${msg.route.resource}`).rejects.toMatchObject({ code, name: 'MetaError' })
      // handle() logs and resolves, so the edge-hub acks it and the node's queue is not blocked.
      await expect(meta.handle(msg, ref, new AbortController().signal)).resolves.toBeUndefined()
    }
    expect(await store.revision()).toBe(0)
  })

  it('lets a store failure reach the edge-hub (no ack, so the cloud resends)', async () => {
    await store.stop()
    const [msg, ref] = downstream('insert', 'shop/pod/web-1', pod('web-1', '1'))
    await expect(meta.handle(msg, ref, new AbortController().signal)).rejects.toMatchObject({ code: 'STORE_CLOSED' })
    await store.start()
  })
})
