import { describe, expect, it } from 'vitest'
import { testPod as pod } from '@edgemesh/kube/testing'
import { podCells } from '@edgemesh/kube/server'
import { defaultPullPolicy, podsResource, qosClass } from '../../../src/api-server/resources/pods.js'
import { ctxWith, fakeServiceClient } from './fake-client.js'


describe('pods resource', () => {
  const def = podsResource()

  it('fills restartPolicy, dnsPolicy, schedulerName, grace period and container defaults', async () => {
    const p = pod({ containers: [{ name: 'c', image: 'nginx' }, { name: 'd', image: 'busybox:1.36' }] })
    await def.prepareForCreate?.(p, ctxWith(fakeServiceClient([])))
    expect(p.spec).toMatchObject({
      restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30,
      containers: [
        { imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' },
        { imagePullPolicy: 'IfNotPresent' }
      ]
    })
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' })
  })

  it('derives imagePullPolicy from the tag the way the kubelet does', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always')
    expect(defaultPullPolicy('nginx:latest')).toBe('Always')
    expect(defaultPullPolicy('registry:5000/nginx')).toBe('Always')
    expect(defaultPullPolicy('registry:5000/nginx:1.2')).toBe('IfNotPresent')
    expect(defaultPullPolicy('nginx@sha256:abc')).toBe('IfNotPresent')
  })

  it('classifies QoS from requests and limits', () => {
    expect(qosClass({ containers: [{ resources: { limits: { cpu: '1', memory: '1Gi' } } }] })).toBe('Guaranteed')
    expect(qosClass({ containers: [{ resources: { requests: { cpu: '1' } } }] })).toBe('Burstable')
  })

  it('requires at least one container with a name and an image', () => {
    const causes = def.validate?.(pod({ containers: [{ name: 'x' }] }), undefined) ?? []
    expect(causes.map(c => c.field)).toEqual(['spec.containers[0].image'])
    expect((def.validate?.(pod({ containers: [] }), undefined) ?? []).map(c => c.field)).toEqual(['spec.containers'])
  })

  it('serves field selectors for spec.nodeName, status.phase and spec.schedulerName', () => {
    const p = pod({ nodeName: 'n1', schedulerName: 'default-scheduler' }, { phase: 'Running' })
    expect(def.fieldSelectors?.['spec.nodeName']?.(p)).toBe('n1')
    expect(def.fieldSelectors?.['status.phase']?.(p)).toBe('Running')
    expect(def.fieldSelectors?.['spec.schedulerName']?.(p)).toBe('default-scheduler')
  })

  it('prints READY, STATUS, RESTARTS and the wide columns', () => {
    const p = pod({ nodeName: 'edge-1', containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] }, {
      phase: 'Running', podIP: '10.244.1.5',
      containerStatuses: [{ name: 'a', ready: true, restartCount: 2, state: { running: {} } }, { name: 'b', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } }]
    })
    expect(podCells(p)).toEqual(['1/2', 'CrashLoopBackOff', 3, '10.244.1.5', 'edge-1', '<none>', '<none>'])
  })

  it('shows Terminating for a pod with a deletionTimestamp', () => {
    const p = pod({}, { phase: 'Running' })
    p.metadata.deletionTimestamp = '2026-01-01T00:00:00Z'
    expect(podCells(p)[1]).toBe('Terminating')
  })
})

