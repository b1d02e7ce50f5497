import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hasCode, type KubeObject } from '@edgemesh/common'
import { LEASES, NODES, PODS, inNamespace, type Node, type Pod } from '@edgemesh/kube/machinery'
import { createNode, markReady, startCluster, waitFor, type Cluster } from './helpers.js'

let c: Cluster
beforeEach(async () => {
  c = await startCluster({ enabled: ['node-lifecycle'], nodeLifecycle: { nodeMonitorGracePeriodMs: 800, nodeMonitorPeriodMs: 100, podEvictionTimeoutMs: 300 } })
})
afterEach(async () => { await c.close() })

const L = inNamespace(LEASES, 'kube-node-lease')
const P = inNamespace(PODS, 'default')

async function renew (node: string): Promise<void> {
  const spec = { holderIdentity: node, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') }
  try {
    const l = await c.client.get(L, node)
    await c.client.update(L, { ...l, spec })
  } catch (err) {
    if (!hasCode(err, 'API_NOT_FOUND')) throw err
    await c.client.create(L, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: node, namespace: 'kube-node-lease' }, spec } as KubeObject)
  }
}

async function boundPod (name: string, node: string): Promise<Pod> {
  const p = await c.client.create<Pod>(P, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] } })
  return await markReady(c.client, p, '10.1.1.1')
}

const readyOf = (n: Node): string | undefined => n.status?.conditions?.find(x => x.type === 'Ready')?.status
const hasUnreachableTaint = (n: Node): boolean => n.spec?.taints?.some(t => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute') === true
const podGone = async (name: string): Promise<boolean> => {
  try { await c.client.get(P, name); return false } catch (err) { if (hasCode(err, 'API_NOT_FOUND')) return true; throw err }
}

describe('node lifecycle controller', () => {
  it('marks an edge node Unknown and tainted after the grace period but keeps its pods', async () => {
    await createNode(c.client, 'edge', { labels: { 'node-role.kubernetes.io/edge': '' } })
    await renew('edge')
    await boundPod('edge-app', 'edge')
    const n = await waitFor(async () => { const x = await c.client.get<Node>(NODES, 'edge'); return readyOf(x) === 'Unknown' && hasUnreachableTaint(x) ? x : false }, 5_000, 'edge node unknown')
    expect(n.status?.conditions?.find(x => x.type === 'Ready')?.reason).toBe('NodeStatusUnknown')
    await waitFor(async () => (await c.client.get<Pod>(P, 'edge-app')).status?.conditions?.find(x => x.type === 'Ready')?.status === 'False', 5_000, 'pod not ready')
    // Well past the eviction timeout, the pod is still there: edge autonomy.
    await new Promise(resolve => setTimeout(resolve, 700))
    expect(await podGone('edge-app')).toBe(false)
  })

  it('evicts pods from a non-edge node after the eviction timeout', async () => {
    await createNode(c.client, 'cloud')
    await renew('cloud')
    await boundPod('cloud-app', 'cloud')
    await waitFor(async () => await podGone('cloud-app'), 5_000, 'pod evicted')
  })

  it('removes the unreachable taint when the lease is renewed again', async () => {
    await createNode(c.client, 'flaky', { labels: { 'node-role.kubernetes.io/edge': '' } })
    await renew('flaky')
    await waitFor(async () => hasUnreachableTaint(await c.client.get<Node>(NODES, 'flaky')), 5_000, 'tainted')
    await renew('flaky')
    await waitFor(async () => !hasUnreachableTaint(await c.client.get<Node>(NODES, 'flaky')), 5_000, 'taint removed')
  })

  it('leaves a node alone while its lease keeps being renewed', async () => {
    await createNode(c.client, 'healthy')
    const until = Date.now() + 1500
    while (Date.now() < until) { await renew('healthy'); await new Promise(resolve => setTimeout(resolve, 200)) }
    const n = await c.client.get<Node>(NODES, 'healthy')
    expect(readyOf(n)).toBe('True')
    expect(hasUnreachableTaint(n)).toBe(false)
  })
})
