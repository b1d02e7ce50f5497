import { describe, expect, it } from 'vitest'
import { testDeployment as deploy } from '@edgemesh/kube/testing'
import { daemonSetCells, deploymentCells, replicaSetCells } from '@edgemesh/kube/server'
import { daemonSetsResource, deploymentsResource, replicaSetsResource } from '../../../src/api-server/resources/workloads.js'
import { ctxWith, fakeServiceClient } from './fake-client.js'


describe('deployments resource', () => {
  const def = deploymentsResource()

  it('defaults replicas, strategy, revisionHistoryLimit, progressDeadlineSeconds and the pod template', async () => {
    const d = deploy()
    await def.prepareForCreate?.(d, ctxWith(fakeServiceClient([])))
    expect(d.spec).toMatchObject({
      replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' } }
    })
  })

  it('bumps generation on spec changes', () => {
    expect(def.hasGeneration).toBe(true)
  })

  it('requires a selector', () => {
    expect((def.validate?.(deploy({ selector: undefined }), undefined) ?? []).map(c => c.field)).toContain('spec.selector')
  })

  it('rejects a selector that does not match the template labels', () => {
    const causes = def.validate?.(deploy({ selector: { matchLabels: { app: 'other' } } }), undefined) ?? []
    expect(causes.map(c => c.field)).toEqual(['spec.template.metadata.labels'])
  })

  it('refuses to change the selector of an existing deployment', () => {
    const old = deploy()
    const next = deploy({ selector: { matchLabels: { app: 'web', tier: 'x' } }, template: { metadata: { labels: { app: 'web', tier: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } })
    const causes = def.validate?.(next, old) ?? []
    expect(causes.map(c => c.message).join()).toMatch(/field is immutable/)
  })

  it('prints READY, UP-TO-DATE, AVAILABLE and the wide columns', () => {
    expect(deploymentCells(deploy({ replicas: 3 }, { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 })))
      .toEqual(['2/3', 3, 2, 'nginx,side', 'nginx:1.27,busybox', 'app=web'])
  })
})

describe('replicasets and daemonsets', () => {
  it('prints DESIRED, CURRENT, READY for a replicaset', () => {
    expect(replicaSetCells(deploy({ replicas: 4 }, { replicas: 3, readyReplicas: 1 })).slice(0, 3)).toEqual([4, 3, 1])
    expect(replicaSetsResource().subresources).toEqual(['status', 'scale'])
  })

  it('prints DESIRED, CURRENT, READY, UP-TO-DATE, AVAILABLE, NODE SELECTOR for a daemonset', () => {
    const ds = deploy({ template: { metadata: { labels: { app: 'web' } }, spec: { nodeSelector: { 'node-role.kubernetes.io/edge': '' }, containers: [{ name: 'a', image: 'b' }] } } },
      { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 })
    expect(daemonSetCells(ds).slice(0, 6)).toEqual([2, 2, 1, 2, 1, 'node-role.kubernetes.io/edge='])
  })

  it('defaults the daemonset update strategy', async () => {
    const ds = deploy()
    await daemonSetsResource().prepareForCreate?.(ds, ctxWith(fakeServiceClient([])))
    expect((ds.spec as Record<string, unknown>).updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } })
  })
})
