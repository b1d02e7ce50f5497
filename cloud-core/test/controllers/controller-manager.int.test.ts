import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEPLOYMENTS, inNamespace } from '@edgemesh/kube/machinery'
import { ALL_CONTROLLERS } from '../../src/controllers/index.js'
import { createNode, deployment, listPods, startCluster, waitFor, type Cluster } from './helpers.js'

let c: Cluster
beforeEach(async () => { c = await startCluster() })
afterEach(async () => { await c.close() })

describe('controller manager', () => {
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
