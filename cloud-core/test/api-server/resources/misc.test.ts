import type { KubeObject } from '@edgemesh/common'
import { describe, expect, it } from 'vitest'
import { namespacesResource, nodesResource } from '../../../src/api-server/resources/cluster.js'
import { nodeCells } from '@edgemesh/kube/server'
import { configMapsResource, endpointSlicesResource, endpointsResource, eventsResource, leasesResource, secretsResource } from '../../../src/api-server/resources/core-misc.js'
import { builtinResources } from '../../../src/api-server/resources/index.js'
import { ctxWith, fakeServiceClient } from './fake-client.js'

const ctx = ctxWith(fakeServiceClient([]))
const obj = (fields: Record<string, unknown>, metadata: KubeObject['metadata'] = { name: 'x', namespace: 'default' }): KubeObject => ({ metadata, ...fields })

describe('builtin resources', () => {
  it('serves every kind once with a table', () => {
    const defs = builtinResources()
    const keys = defs.map(d => `${d.group}/${d.version}/${d.resource}`)
    expect(new Set(keys).size).toBe(keys.length)
    expect(keys).toContain('apps/v1/deployments')
    expect(keys).toContain('apiextensions.k8s.io/v1/customresourcedefinitions')
    for (const d of defs) expect(d.cells?.(obj({ spec: {}, status: {} }), new Date()).length, d.resource).toBe(d.columns?.length)
  })
})

describe('nodes and namespaces', () => {
  it('prints Ready, SchedulingDisabled, roles and node info', () => {
    const node = obj({
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '10.1.0.11' }],
        nodeInfo: { kubeletVersion: 'v1.32.0-kubeedge', osImage: 'Debian', kernelVersion: '6.1', containerRuntimeVersion: 'process://1' }
      }
    }, { name: 'edge-1', labels: { 'node-role.kubernetes.io/edge': '', 'node-role.kubernetes.io/agent': '' } })
    expect(nodeCells(node)).toEqual(['Ready,SchedulingDisabled', 'agent,edge', 'v1.32.0-kubeedge', '10.1.0.11', '<none>', 'Debian', '6.1', 'process://1'])
    expect(nodesResource().columns?.filter(c => (c.priority ?? 0) > 0).map(c => c.name)).toEqual(['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime'])
  })

  it('prints NotReady when the Ready condition is False or Unknown', () => {
    expect(nodeCells(obj({ status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }))[0]).toBe('NotReady')
  })

  it('gives a new namespace the kubernetes finalizer and phase Active', async () => {
    const ns = obj({}, { name: 'team-a' })
    await namespacesResource().prepareForCreate?.(ns, ctx)
    expect(ns.spec).toEqual({ finalizers: ['kubernetes'] })
    expect(ns.status).toEqual({ phase: 'Active' })
    expect(ns.metadata.finalizers).toEqual(['kubernetes'])
    expect(namespacesResource().cells?.({ ...ns, metadata: { ...ns.metadata, deletionTimestamp: 'now' } }, new Date())).toEqual(['Terminating'])
  })

  it('releases the namespace once the controller clears spec.finalizers during deletion', async () => {
    const old = obj({ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }, { name: 'team-b', finalizers: ['kubernetes'], deletionTimestamp: '2026-01-01T00:00:00Z' })
    const next = structuredClone(old)
    next.spec = { finalizers: [] }
    await namespacesResource().prepareForUpdate?.(next, old, ctx)
    expect(next.metadata.finalizers).toEqual([])
    expect(next.status).toEqual({ phase: 'Terminating' })
  })

  it('ignores spec.finalizers changes while the namespace is not being deleted', async () => {
    const old = obj({ spec: { finalizers: ['kubernetes'] } }, { name: 'team-c', finalizers: ['kubernetes'] })
    const next = structuredClone(old)
    next.spec = { finalizers: [] }
    await namespacesResource().prepareForUpdate?.(next, old, ctx)
    expect(next.spec).toEqual({ finalizers: ['kubernetes'] })
    expect(next.metadata.finalizers).toEqual(['kubernetes'])
  })
})

describe('configmaps, secrets, events and friends', () => {
  it('counts data and binaryData entries of a configmap', () => {
    expect(configMapsResource().cells?.(obj({ data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), new Date())).toEqual([3])
  })

  it('merges stringData into base64 data and defaults the type', async () => {
    const s = obj({ data: { a: 'eA==' }, stringData: { b: 'hello', a: 'y' } })
    await secretsResource().prepareForCreate?.(s, ctx)
    expect(s).toMatchObject({ type: 'Opaque', data: { a: 'eQ==', b: 'aGVsbG8=' } })
    expect(s.stringData).toBeUndefined()
    expect(secretsResource().cells?.(s, new Date())).toEqual(['Opaque', 2])
  })

  it('rejects secret data that is not base64', () => {
    expect(secretsResource().validate?.(obj({ data: { a: 'not base64!' } }), undefined).map(c => c.field)).toEqual(['data[a]'])
  })

  it('selects events by involvedObject fields, reason and type', () => {
    const ev = obj({ involvedObject: { kind: 'Deployment', name: 'web', namespace: 'default', uid: 'u1' }, reason: 'ScalingReplicaSet', type: 'Normal', message: 'm' })
    const fs = eventsResource().fieldSelectors ?? {}
    expect(['involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.uid', 'reason', 'type'].map(k => fs[k]?.(ev)))
      .toEqual(['Deployment', 'web', 'default', 'u1', 'ScalingReplicaSet', 'Normal'])
  })

  it('prints endpoints like kubectl, at most three', () => {
    const ep = obj({ subsets: [{ addresses: [{ ip: '1.1.1.1' }, { ip: '2.2.2.2' }], ports: [{ port: 80 }, { port: 81 }] }] })
    expect(endpointsResource().cells?.(ep, new Date())).toEqual(['1.1.1.1:80,1.1.1.1:81,2.2.2.2:80 + 1 more...'])
  })

  it('prints ADDRESSTYPE, PORTS and ENDPOINTS of an endpointslice', () => {
    const slice = obj({ addressType: 'IPv4', ports: [{ port: 8080 }], endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }] })
    expect(endpointSlicesResource().cells?.(slice, new Date())).toEqual(['IPv4', '8080', '10.0.0.1,10.0.0.2'])
  })

  it('prints the lease holder', () => {
    expect(leasesResource().cells?.(obj({ spec: { holderIdentity: 'edge-1' } }), new Date())).toEqual(['edge-1'])
  })
})

describe('event table', () => {
  it('prints LAST SEEN as an age', () => {
    const ev = obj({ lastTimestamp: '2026-01-01T00:00:00Z', type: 'Warning', reason: 'FailedScheduling', involvedObject: { kind: 'Pod', name: 'p' }, message: 'no nodes' })
    expect(eventsResource().cells?.(ev, new Date('2026-01-01T00:03:00Z'))).toEqual(['3m', 'Warning', 'FailedScheduling', 'pod/p', 'no nodes'])
  })
})
