import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { KubeObject, WatchEvent } from '@edgemesh/common'
import { Informer, byNodeName, byOwnerUid } from '@edgemesh/kube/client'
import { inNamespace, type Pod, type ObjectClient, type WatchOpts, type ResourceRef } from '@edgemesh/kube/machinery'
import { createNode, startCluster, waitFor, type Cluster } from './helpers.js'

let c: Cluster
let informers: Informer[] = []
beforeEach(async () => { c = await startCluster({ enabled: [] }) })
afterEach(async () => {
  for (const i of informers) await i.stop()
  informers = []
  await c.close()
})

const CM = inNamespace({ group: '', version: 'v1', resource: 'configmaps' }, 'default')
const P = inNamespace({ group: '', version: 'v1', resource: 'pods' }, 'default')
const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data })

function track<T extends KubeObject> (i: Informer<T>): string[] {
  const log: string[] = []
  i.addHandler({
    add: o => log.push(`add ${o.metadata.name ?? ''}`),
    update: (_o, n) => log.push(`update ${n.metadata.name ?? ''}`),
    delete: o => log.push(`delete ${o.metadata.name ?? ''}`)
  })
  informers.push(i as unknown as Informer)
  return log
}

/**
 * The real client with one fault injected into its first watch: `beforeFirstWatch` runs just before
 * it (to make the start revision stale), or the first stream ends after `endAfter` events.
 */
function faulty (client: ObjectClient, opts: { beforeFirstWatch?: () => Promise<void>, endAfter?: number }): ObjectClient & { watches: number } {
  const wrapped = Object.create(client) as ObjectClient & { watches: number }
  wrapped.watches = 0
  wrapped.watch = <T extends KubeObject>(ref: ResourceRef, w: WatchOpts): AsyncIterable<WatchEvent<T>> => {
    const n = ++wrapped.watches
    return (async function * () {
      if (n === 1 && opts.beforeFirstWatch !== undefined) await opts.beforeFirstWatch()
      let seen = 0
      for await (const ev of client.watch<T>(ref, w)) {
        yield ev
        if (n === 1 && opts.endAfter !== undefined && ++seen >= opts.endAfter) return
      }
    })()
  }
  return wrapped
}

describe('informer', () => {
  it('lists existing objects, then delivers adds, updates and deletes in order', async () => {
    await c.client.create(CM, cm('before'))
    const inf = new Informer(c.components(), { ref: CM })
    const log = track(inf)
    await inf.start()
    await inf.waitForSync(AbortSignal.timeout(5000))
    expect(inf.hasSynced()).toBe(true)
    expect(inf.getByName('default', 'before')).toBeDefined()
    await c.client.create(CM, cm('x'))
    const x = await c.client.get(CM, 'x')
    await c.client.update(CM, { ...x, data: { k: 'v' } })
    await c.client.delete(CM, 'x')
    await waitFor(() => log.length === 4, 5000, 'events')
    expect(log).toEqual(['add before', 'add x', 'update x', 'delete x'])
    expect(inf.list().map(o => o.metadata.name)).toEqual(['before'])
  })

  it('indexes pods by node name and by owner uid', async () => {
    await createNode(c.client, 'n1')
    const inf = new Informer<Pod>(c.components(), { ref: P, indexers: { nodeName: byNodeName, owner: byOwnerUid } })
    track(inf)
    await inf.start()
    await inf.waitForSync()
    const mk = async (name: string, node?: string): Promise<void> => {
      await c.client.create(P, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: 'owner-1' }] }, spec: { ...(node !== undefined ? { nodeName: node } : {}), containers: [{ name: 'c', image: 'x' }] } } as KubeObject)
    }
    await mk('a', 'n1'); await mk('b'); await mk('c', 'n1')
    await waitFor(() => inf.list().length === 3)
    expect(inf.byIndex('nodeName', 'n1').map(p => p.metadata.name).sort()).toEqual(['a', 'c'])
    expect(inf.byIndex('nodeName', '').map(p => p.metadata.name)).toEqual(['b'])
    expect(inf.byIndex('owner', 'owner-1')).toHaveLength(3)
    await c.client.delete(P, 'a')
    await waitFor(() => inf.byIndex('nodeName', 'n1').length === 1, 5000, 'index updated')
  })

  it('relists and catches up when its watch start revision was compacted (410)', async () => {
    await c.client.create(CM, cm('one'))
    const client = faulty(c.client, {
      beforeFirstWatch: async () => {
        await c.client.create(CM, cm('two'))
        await c.client.delete(CM, 'one')
        await c.store.compact(await c.store.revision())
      }
    })
    const inf = new Informer(c.components(client), { ref: CM, backoffMs: 10 })
    const log = track(inf)
    await inf.start()
    await waitFor(() => inf.list().map(o => o.metadata.name).join() === 'two', 5000, 'relisted cache')
    expect(client.watches).toBeGreaterThanOrEqual(2)
    expect(log).toEqual(['add one', 'add two', 'delete one'])
  })

  it('relists after its watch stream ends and still sees later changes', async () => {
    const client = faulty(c.client, { endAfter: 1 })
    const inf = new Informer(c.components(client), { ref: CM, backoffMs: 10 })
    const log = track(inf)
    await inf.start()
    await inf.waitForSync()
    await c.client.create(CM, cm('a'))
    await waitFor(() => client.watches >= 2, 5000, 'second watch')
    await c.client.create(CM, cm('b'))
    await waitFor(() => inf.list().length === 2, 5000, 'both cached')
    expect(log).toEqual(['add a', 'add b'])
  })

  it('stops idempotently and no longer delivers events', async () => {
    const inf = new Informer(c.components(), { ref: CM })
    const log = track(inf)
    await inf.start(); await inf.start()
    await inf.waitForSync()
    await inf.stop(); await inf.stop()
    expect(inf.isStarted()).toBe(false)
    await c.client.create(CM, cm('late'))
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(log).toEqual([])
  })
})
