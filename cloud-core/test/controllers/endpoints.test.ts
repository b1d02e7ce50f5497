import { describe, expect, it } from 'vitest'
import { desiredSlices, desiredSubsets, podEndpoints, resolvePorts } from '../../src/controllers/endpoints-controller.js'
import type { Pod, Service } from '@edgemesh/kube/machinery'
import { rankForDeletion } from '../../src/controllers/replicaset-controller.js'

const svc: Service = { metadata: { name: 's', namespace: 'd' }, spec: { selector: { app: 'a' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }, { name: 'm', port: 9000, targetPort: 9090 }] } }
const pod = (name: string, ip: string | undefined, ready: boolean, extra: Partial<Pod['metadata']> = {}, port = 8080): Pod => ({
  metadata: { name, namespace: 'd', uid: `u-${name}`, labels: { app: 'a' }, ...extra },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: port }] }] },
  status: { phase: 'Running', ...(ip !== undefined ? { podIP: ip } : {}), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] }
})

describe('endpoint computation', () => {
  it('resolves named target ports against container ports', () => {
    expect(resolvePorts(svc.spec!.ports!, pod('p', '1.1.1.1', true))).toEqual([
      { name: 'web', port: 8080, protocol: 'TCP' }, { name: 'm', port: 9090, protocol: 'TCP' }
    ])
  })
  it('skips pods without an IP and pods of other apps', () => {
    const other = { ...pod('o', '1.1.1.9', true), metadata: { name: 'o', namespace: 'd', labels: { app: 'b' } } }
    expect(podEndpoints(svc, [pod('a', undefined, true), other, pod('b', '1.1.1.2', true)]).map(e => e.ip)).toEqual(['1.1.1.2'])
  })
  it('splits ready and not-ready addresses and leaves terminating pods out of Endpoints', () => {
    const eps = podEndpoints(svc, [pod('a', '10.0.0.1', true), pod('b', '10.0.0.2', false), pod('c', '10.0.0.3', true, { deletionTimestamp: '2024-01-01T00:00:00Z' })])
    const [subset] = desiredSubsets(svc, eps)
    expect(subset?.addresses?.map(a => a.ip)).toEqual(['10.0.0.1'])
    expect(subset?.notReadyAddresses?.map(a => a.ip)).toEqual(['10.0.0.2'])
    expect(subset?.addresses?.[0]?.targetRef).toEqual({ kind: 'Pod', namespace: 'd', name: 'a', uid: 'u-a' })
  })
  it('marks terminating pods in slices with ready=false and terminating=true', () => {
    const eps = podEndpoints(svc, [pod('c', '10.0.0.3', true, { deletionTimestamp: '2024-01-01T00:00:00Z' })])
    const [slice] = [...desiredSlices(svc, eps).values()]
    expect(slice?.endpoints[0]?.conditions).toEqual({ ready: false, serving: true, terminating: true })
    expect(slice?.endpoints[0]?.nodeName).toBe('n1')
  })
  it('groups pods whose named port resolves differently into separate subsets and slices', () => {
    const eps = podEndpoints(svc, [pod('a', '10.0.0.1', true, {}, 8080), pod('b', '10.0.0.2', true, {}, 8081)])
    expect(desiredSubsets(svc, eps)).toHaveLength(2)
    expect(desiredSlices(svc, eps).size).toBe(2)
  })
  it('puts IPv6 endpoints into their own slice', () => {
    const eps = podEndpoints(svc, [pod('a', '10.0.0.1', true), pod('b', 'fd00::1', true)])
    expect([...desiredSlices(svc, eps).values()].map(s => s.addressType).sort()).toEqual(['IPv4', 'IPv6'])
  })
})

describe('replicaset scale-down order', () => {
  it('removes unscheduled, then pending, then not-ready, then the newest pods first', () => {
    const base = (name: string, ts: string, o: { node?: string, phase?: string, ready?: boolean }): Pod => ({
      metadata: { name, creationTimestamp: ts },
      spec: { ...(o.node !== undefined ? { nodeName: o.node } : {}), containers: [] },
      status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] }
    })
    const ranked = rankForDeletion([
      base('old-ready', '2024-01-01T00:00:00Z', { node: 'n' }),
      base('new-ready', '2024-01-03T00:00:00Z', { node: 'n' }),
      base('notready', '2024-01-01T00:00:00Z', { node: 'n', ready: false }),
      base('pending', '2024-01-01T00:00:00Z', { node: 'n', phase: 'Pending', ready: false }),
      base('unscheduled', '2024-01-01T00:00:00Z', { phase: 'Pending', ready: false })
    ]).map(p => p.metadata.name)
    expect(ranked).toEqual(['unscheduled', 'pending', 'notready', 'new-ready', 'old-ready'])
  })
})
