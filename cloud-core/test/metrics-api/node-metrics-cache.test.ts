import { MetricsRegistry } from '@edgemesh/common'
import { describe, expect, it } from 'vitest'
import { MetricsBackend, metricsResources, NodeMetricsCache, type NodeUsage } from '../../src/metrics-api/index.js'

const API = 'metrics.k8s.io/v1beta1'
const usage = { cpu: '5m', memory: '10Ki' }
function report (node: string, pods: Array<[string, string, Record<string, string>?]>, window = '15s'): NodeUsage {
  return {
    node: { apiVersion: API, kind: 'NodeMetrics', metadata: { name: node }, timestamp: '2026-01-01T00:00:00Z', window, usage },
    pods: pods.map(([namespace, name, labels]) => ({ apiVersion: API, kind: 'PodMetrics', metadata: { name, namespace, ...(labels !== undefined ? { labels } : {}) }, timestamp: '2026-01-01T00:00:00Z', window, containers: [{ name: 'c', usage }] }))
  }
}

describe('NodeMetricsCache', () => {
  it('keeps the latest report per node: a new report replaces the old one\'s pods', () => {
    const c = new NodeMetricsCache()
    c.put('n1', report('n1', [['a', 'p1'], ['a', 'p2']]))
    c.put('n1', report('n1', [['a', 'p2']]))
    expect(c.pods().map(p => p.metadata.name)).toEqual(['p2'])
    expect(c.pod('a', 'p1')).toBeUndefined()
  })

  it('expires an entry after max(ttl, 3 windows) without a new report', () => {
    let now = 0
    const c = new NodeMetricsCache({ clock: () => now }, { ttlMs: 1000 })
    c.put('n1', report('n1', [['a', 'p']], '1s'))
    c.put('n2', report('n2', [], '60s'))
    now = 2999
    expect(c.nodes().map(n => n.metadata.name)).toEqual(['n1', 'n2'])
    now = 3000
    expect(c.node('n1')).toBeUndefined()
    expect(c.pods('a')).toEqual([])
    expect(c.node('n2')).toBeDefined()
  })

  it('forgets a deleted node with its pods, and a deleted pod alone', () => {
    const c = new NodeMetricsCache()
    c.put('n1', report('n1', [['a', 'p1'], ['b', 'p2']]))
    c.put('n2', report('n2', [['a', 'p3']]))
    c.deletePod('b', 'p2')
    expect(c.pods().map(p => p.metadata.name).sort()).toEqual(['p1', 'p3'])
    c.deleteNode('n1')
    expect(c.pods().map(p => p.metadata.name)).toEqual(['p3'])
    expect(c.nodes().map(n => n.metadata.name)).toEqual(['n2'])
  })

  it('holds at most maxNodes, evicting the node reported longest ago', () => {
    const c = new NodeMetricsCache({}, { maxNodes: 2 })
    c.put('n1', report('n1', [['a', 'p1']]))
    c.put('n2', report('n2', []))
    c.put('n1', report('n1', [['a', 'p1']]))
    c.put('n3', report('n3', []))
    expect(c.nodes().map(n => n.metadata.name).sort()).toEqual(['n1', 'n3'])
  })

  it('gives a pod that moved to the node that reported it last', () => {
    const c = new NodeMetricsCache()
    c.put('n1', report('n1', [['a', 'p']]))
    c.put('n2', report('n2', [['a', 'p']]))
    c.put('n1', report('n1', []))
    expect(c.pods()).toHaveLength(1)
    expect(c.pod('a', 'p')).toBeDefined()
  })

  it('samples its sizes into the metrics registry', async () => {
    const m = new MetricsRegistry()
    const c = new NodeMetricsCache({ metrics: m })
    c.put('n1', report('n1', [['a', 'p1'], ['a', 'p2']]))
    const text = await m.render()
    expect(text).toMatch(/edgemesh_metricscache_nodes 1/)
    expect(text).toMatch(/edgemesh_metricscache_pods 2/)
  })
})

describe('MetricsBackend', () => {
  const [nodesDef, podsDef] = metricsResources() as [ReturnType<typeof metricsResources>[number], ReturnType<typeof metricsResources>[number]]
  const cache = new NodeMetricsCache()
  cache.put('n1', report('n1', [['a', 'web', { app: 'web' }], ['a', 'db', { app: 'db' }], ['b', 'web', { app: 'web' }]]))
  const backend = new MetricsBackend({ cache, now: () => new Date('2026-02-03T04:05:06.789Z') })

  it('lists pods by namespace and label selector, with creationTimestamp now', async () => {
    const list = await backend.list(podsDef, 'a', { labelSelector: 'app=web' })
    expect(list).toMatchObject({ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetricsList' })
    expect(list.items.map(p => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['a/web'])
    expect(list.items[0]!.metadata.creationTimestamp).toBe('2026-02-03T04:05:06Z')
    expect((await backend.list(podsDef, undefined, { labelSelector: 'app in (web)' })).items).toHaveLength(2)
    expect((await backend.list(podsDef, undefined, { fieldSelector: 'metadata.namespace=b' })).items.map(p => p.metadata.name)).toEqual(['web'])
  })

  it('gets a node and answers NotFound for one without usage', async () => {
    expect(await backend.get(nodesDef, undefined, 'n1')).toMatchObject({ kind: 'NodeMetrics', usage })
    await expect(backend.get(nodesDef, undefined, 'n9')).rejects.toMatchObject({ code: 'API_NOT_FOUND' })
    await expect(backend.get(podsDef, 'a', 'nope')).rejects.toMatchObject({ code: 'API_NOT_FOUND' })
  })

  it('refuses writes with MethodNotAllowed', async () => {
    await expect(backend.create(podsDef)).rejects.toMatchObject({ code: 'API_METHOD_NOT_ALLOWED' })
  })
})
