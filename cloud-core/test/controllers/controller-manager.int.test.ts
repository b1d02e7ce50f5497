import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEPLOYMENTS, inNamespace } from '@edgemesh/kube/machinery'
import { silentLogger } from '@edgemesh/common'
import { InformerFactory } from '@edgemesh/kube/client'
import { PODS } from '@edgemesh/kube/machinery'
import { ALL_CONTROLLERS, createControllerManager } from '../../src/controllers/index.js'
import { createNode, deployment, listPods, startCluster, waitFor, type Cluster } from './helpers.js'

let c: Cluster
beforeEach(async () => { c = await startCluster() })
afterEach(async () => { await c.close() })

describe('controller manager', () => {
  it('runs on a shared informer cache without stopping it: the cache belongs to its owner', async () => {
    const shared = new InformerFactory({ client: c.client, logger: silentLogger() })
    const pods = shared.informerFor(PODS)
    const manager = createControllerManager({ client: c.client, logger: silentLogger(), resources: () => c.core.registry.all(), informers: shared, options: { enabled: ['endpoints'] } })
    await manager.start()
    await manager.waitForSync(AbortSignal.timeout(10_000))
    expect(pods.isStarted()).toBe(true)
    await manager.stop()
    expect(pods.isStarted()).toBe(true)
    await shared.stop()
    expect(pods.isStarted()).toBe(false)
  })

  it('starts every controller, and start and stop are idempotent', async () => {
    expect([...c.manager.controllers().keys()]).toEqual([...ALL_CONTROLLERS])
    await c.manager.start()
    expect(c.manager.isStarted()).toBe(true)
    await c.manager.stop()
    await c.manager.stop()
    expect(c.manager.isStarted()).toBe(false)
    expect([...c.manager.controllers().values()].every(l => l.isStarted() === false)).toBe(true)
  })

  it('exposes reconcile, error and queue-depth counters as Prometheus text', async () => {
    await createNode(c.client, 'n1')
    await c.client.create(inNamespace(DEPLOYMENTS, 'default'), deployment('m', 1, 'x:1'))
    await waitFor(async () => (await listPods(c.client, 'default', 'app=m')).length === 1, 10_000, 'pod')
    const text = await c.manager.metrics.render()
    expect(text).toContain('# TYPE edgemesh_controller_reconciles_total counter')
    expect(text).toContain('# TYPE edgemesh_controller_queue_depth gauge')
    expect(text).toMatch(/^edgemesh_controller_reconcile_errors_total\{controller="scheduler"\} \d+$/m)
    const reconciles = Number(/^edgemesh_controller_reconciles_total\{controller="deployment"\} (\d+)$/m.exec(text)?.[1])
    expect(reconciles).toBeGreaterThan(0)
  })
})
