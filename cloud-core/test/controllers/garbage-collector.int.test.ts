import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hasCode, type KubeObject } from '@edgemesh/common'
import { inNamespace } from '@edgemesh/kube/machinery'
import { startCluster, waitFor, type Cluster } from './helpers.js'

let c: Cluster
beforeEach(async () => { c = await startCluster({ enabled: ['garbage-collector'] }) })
afterEach(async () => { await c.close() })

const CM = inNamespace({ group: '', version: 'v1', resource: 'configmaps' }, 'default')

async function cm (name: string, owners: KubeObject[] = [], block = false): Promise<KubeObject> {
  return await c.client.create(CM, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default', ownerReferences: owners.map(o => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', ...(block ? { blockOwnerDeletion: true } : {}) })) },
    data: {}
  })
}

const exists = async (name: string): Promise<KubeObject | undefined> => {
  try { return await c.client.get(CM, name) } catch (err) { if (hasCode(err, 'API_NOT_FOUND')) return undefined; throw err }
}

describe('garbage collector', () => {
  it('deletes a dependent whose only owner is gone', async () => {
    const owner = await cm('owner')
    await cm('child', [owner])
    await c.client.delete(CM, 'owner')
    await waitFor(async () => (await exists('child')) === undefined, 5_000, 'child deleted')
  })

  it('deletes a dependent whose owner reference has a stale uid', async () => {
    const owner = await cm('o2')
    await cm('child2', [{ ...owner, metadata: { ...owner.metadata, uid: 'not-the-real-uid' } }])
    await waitFor(async () => (await exists('child2')) === undefined, 5_000, 'child deleted')
    expect(await exists('o2')).toBeDefined()
  })

  it('keeps a dependent that still has another owner and drops only the dangling reference', async () => {
    const a = await cm('a')
    const b = await cm('b')
    await cm('shared', [a, b])
    await c.client.delete(CM, 'a')
    const s = await waitFor(async () => { const x = await exists('shared'); return x?.metadata.ownerReferences?.length === 1 ? x : false }, 5_000, 'ref dropped')
    expect(s.metadata.ownerReferences?.[0]?.name).toBe('b')
  })

  it('deletes blocking dependents before the owner in foreground deletion', async () => {
    const owner = await cm('fg')
    await cm('fg-child', [owner], true)
    const pending = await c.client.delete(CM, 'fg', { propagationPolicy: 'Foreground' })
    expect(pending?.metadata.finalizers).toContain('foregroundDeletion')
    await waitFor(async () => (await exists('fg')) === undefined, 5_000, 'owner gone')
    expect(await exists('fg-child')).toBeUndefined()
  })

  it('strips owner references from dependents in orphan deletion and then deletes the owner', async () => {
    const owner = await cm('orph')
    await cm('orph-child', [owner])
    await c.client.delete(CM, 'orph', { propagationPolicy: 'Orphan' })
    await waitFor(async () => (await exists('orph')) === undefined, 5_000, 'owner gone')
    const child = await exists('orph-child')
    expect(child).toBeDefined()
    expect(child?.metadata.ownerReferences ?? []).toHaveLength(0)
  })
})
