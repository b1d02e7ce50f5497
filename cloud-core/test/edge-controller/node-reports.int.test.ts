import { createMessage, parseEdgeResource } from '@edgemesh/common/hub-protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NodeReports } from '../../src/edge-controller/index.js'
import { NodeMetricsCache } from '../../src/metrics-api/index.js'
import { builtinResources, ServiceAllocator } from '../../src/api-server/resources/index.js'
import { testCore, type TestCore } from '../api-server/helpers/core.js'

const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' }
const NODES = { group: '', version: 'v1', resource: 'nodes' }
const report = (resource: string, content: unknown, operation: 'insert' | 'update' | 'delete' = 'update'): Parameters<NodeReports['apply']> =>
  ['edge-a', createMessage({ operation, resource, content, source: 'edgehub' }), parseEdgeResource(resource)]

describe('NodeReports', () => {
  let core: TestCore
  let reports: NodeReports
  beforeEach(async () => {
    core = await testCore({ resources: builtinResources({ allocator: new ServiceAllocator({}) }), validation: false } as Parameters<typeof testCore>[0])
    reports = new NodeReports({ client: core.client })
    for (const [name, node] of [['mine', 'edge-a'], ['theirs', 'edge-b']]) {
      await core.client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] } })
    }
  })
  afterEach(async () => { await core.close() })

  it('registers the node as an edge node with its status, then updates only the status', async () => {
    await reports.apply(...report('null/node/edge-a', { metadata: { name: 'edge-a', labels: { zone: 'z1' } }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.9' }] } }, 'insert'))
    let n = await core.client.get(NODES, 'edge-a')
    expect(n.metadata.labels).toEqual({ zone: 'z1', 'node-role.kubernetes.io/edge': '' })
    expect(n.status).toMatchObject({ addresses: [{ address: '10.0.0.9' }] })
    await reports.apply(...report('null/node/edge-a', { metadata: { name: 'edge-a', labels: { zone: 'changed' } }, spec: { unschedulable: true }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.10' }] } }))
    n = await core.client.get(NODES, 'edge-a')
    expect(n.status).toMatchObject({ addresses: [{ address: '10.0.0.10' }] })
    expect(n.metadata.labels?.zone).toBe('z1')
    expect((n.spec as { unschedulable?: boolean } | undefined)?.unschedulable).toBeUndefined()
  })

  it('writes the status of its own pods and refuses another node\'s pod with EDGE_UPSTREAM_FORBIDDEN', async () => {
    await reports.apply(...report('default/pod/mine', { status: { phase: 'Running' } }))
    expect((await core.client.get(PODS, 'mine')).status).toMatchObject({ phase: 'Running' })
    await expect(reports.apply(...report('default/pod/theirs', { status: { phase: 'Failed' } }))).rejects.toMatchObject({ code: 'EDGE_UPSTREAM_FORBIDDEN' })
    expect(((await core.client.get(PODS, 'theirs')).status as { phase?: string } | undefined)?.phase).not.toBe('Failed')
  })

  it('drops a late status about an earlier pod of the same name (uid differs) instead of writing it onto the new pod', async () => {
    const live = await core.client.get(PODS, 'mine')
    await reports.apply(...report('default/pod/mine', { metadata: { uid: 'uid-of-a-deleted-pod' }, status: { phase: 'Failed' } }))
    expect(((await core.client.get(PODS, 'mine')).status as { phase?: string } | undefined)?.phase).not.toBe('Failed')
    await reports.apply(...report('default/pod/mine', { metadata: { uid: live.metadata.uid }, status: { phase: 'Running' } }))
    expect((await core.client.get(PODS, 'mine')).status).toMatchObject({ phase: 'Running' })
  })

  it('refuses other nodes, other leases, other kinds and deletes, and handle() acks them without writing', async () => {
    const refused = [
      report('null/node/edge-b', { status: {} }),
      report('kube-node-lease/lease/edge-b', { spec: {} }),
      report('default/lease/edge-a', { spec: {} }),
      report('default/secret/s', { data: {} }),
      report('default/pod/mine', { status: {} }, 'delete'),
      report('default/pod/mine', 'text')
    ]
    const rev = await core.store.revision()
    for (const r of refused) {
      await expect(reports.apply(...r), r[1].route.resource).rejects.toMatchObject({ name: 'EdgeControllerError' })
      await expect(reports.handle(...r)).resolves.toBeUndefined()
    }
    expect(await core.store.revision()).toBe(rev)
  })

  it('answers a report on a pod deleted meanwhile with an ack (nothing to write)', async () => {
    await expect(reports.handle(...report('default/pod/gone', { status: { phase: 'Running' } }))).resolves.toBeUndefined()
  })
})

describe('NodeReports: usage reports', () => {
  let core: TestCore
  let cache: NodeMetricsCache
  let reports: NodeReports
  const API = 'metrics.k8s.io/v1beta1'
  const usage = { cpu: '1000n', memory: '4Ki' }
  const podMetrics = (name: string, namespace = 'default'): unknown => ({ apiVersion: API, kind: 'PodMetrics', metadata: { name, namespace }, timestamp: '2026-01-01T00:00:00Z', window: '15s', containers: [{ name: 'c', usage }] })
  const usageReport = (node: string, pods: unknown[]): unknown => ({ node: { apiVersion: API, kind: 'NodeMetrics', metadata: { name: node }, timestamp: '2026-01-01T00:00:00Z', window: '15s', usage }, pods })

  beforeEach(async () => {
    core = await testCore({ resources: builtinResources({ allocator: new ServiceAllocator({}) }), validation: false } as Parameters<typeof testCore>[0])
    cache = new NodeMetricsCache()
    reports = new NodeReports({ client: core.client, metricsCache: cache })
    await core.client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'edge-a', labels: { zone: 'z1' } } })
    for (const [name, node] of [['mine', 'edge-a'], ['theirs', 'edge-b']] as const) {
      await core.client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: name } }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] } })
    }
  })
  afterEach(async () => { await core.close() })

  it('keeps the usage of its own pods with their labels and drops a pod bound to another node', async () => {
    await reports.apply(...report('null/nodemetrics/edge-a', usageReport('edge-a', [podMetrics('mine'), podMetrics('theirs'), podMetrics('gone')])))
    expect(cache.node('edge-a')?.metadata).toEqual({ name: 'edge-a', labels: { zone: 'z1' } })
    expect(cache.pods().map(p => p.metadata)).toEqual([{ name: 'mine', namespace: 'default', labels: { app: 'mine' } }])
  })

  it('refuses a usage report for another node, by resource or by content', async () => {
    await expect(reports.apply(...report('null/nodemetrics/edge-b', usageReport('edge-b', [])))).rejects.toMatchObject({ code: 'EDGE_UPSTREAM_FORBIDDEN' })
    await expect(reports.apply(...report('null/nodemetrics/edge-a', usageReport('edge-b', [])))).rejects.toMatchObject({ code: 'EDGE_UPSTREAM_FORBIDDEN' })
    expect(cache.nodes()).toEqual([])
  })

  it('refuses a malformed or oversized usage report as EDGE_UPSTREAM_INVALID', async () => {
    await expect(reports.apply(...report('null/nodemetrics/edge-a', { node: { metadata: { name: 'edge-a' } }, pods: [] }))).rejects.toMatchObject({ code: 'EDGE_UPSTREAM_INVALID' })
    const many = Array.from({ length: 501 }, (_, i) => podMetrics(`p${i}`))
    await expect(reports.apply(...report('null/nodemetrics/edge-a', usageReport('edge-a', many)))).rejects.toMatchObject({ code: 'EDGE_UPSTREAM_INVALID' })
    const bad = { ...(usageReport('edge-a', []) as Record<string, unknown>), node: { apiVersion: API, kind: 'NodeMetrics', metadata: { name: 'edge-a' }, timestamp: '2026-01-01T00:00:00Z', window: '15s', usage: { cpu: '1; rm', memory: '1Ki' } } }
    await expect(reports.apply(...report('null/nodemetrics/edge-a', bad))).rejects.toMatchObject({ code: 'EDGE_UPSTREAM_INVALID' })
    expect(cache.nodes()).toEqual([])
  })
})
