import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hasCode, type KubeObject } from '@edgemesh/common'
import { NAMESPACES, inNamespace } from '@edgemesh/kube/machinery'
import { startCluster, waitFor, type Cluster } from './helpers.js'

let c: Cluster
beforeEach(async () => { c = await startCluster({ enabled: ['namespace', 'garbage-collector'] }) })
afterEach(async () => { await c.close() })

const gone = async (p: Promise<unknown>): Promise<boolean> => {
  try { await p; return false } catch (err) { if (hasCode(err, 'API_NOT_FOUND')) return true; throw err }
}

describe('namespace controller', () => {
  it('removes every object of a deleted namespace and the namespace itself', async () => {
    await c.client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } })
    const CM = inNamespace({ group: '', version: 'v1', resource: 'configmaps' }, 'team')
    const SEC = inNamespace({ group: '', version: 'v1', resource: 'secrets' }, 'team')
    await c.client.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'team' }, data: {} } as KubeObject)
    await c.client.create(SEC, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'team' }, data: {} } as KubeObject)
    // Another namespace's objects must survive.
    await c.client.create(inNamespace(CM, 'default'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep', namespace: 'default' }, data: {} } as KubeObject)
    await c.client.delete(NAMESPACES, 'team')
    await waitFor(async () => await gone(c.client.get(NAMESPACES, 'team')), 5_000, 'namespace gone')
    await waitFor(async () => (await c.client.list(CM)).items.length === 0 && (await c.client.list(SEC)).items.length === 0, 5_000, 'contents gone')
    expect(await gone(c.client.get(inNamespace(CM, 'default'), 'keep'))).toBe(false)
  })
})
