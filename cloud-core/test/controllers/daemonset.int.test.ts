import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { KubeObject } from '@edgemesh/common'
import { DAEMON_SETS, inNamespace, type DaemonSet, type Pod } from '@edgemesh/kube/machinery'
import { createNode, listPods, markReady, startCluster, waitFor, type Cluster } from './helpers.js'

let c: Cluster
beforeEach(async () => { c = await startCluster() })
afterEach(async () => { await c.close() })

const DS = inNamespace(DAEMON_SETS, 'kube-system')

function daemonSet (name: string, image: string, nodeSelector?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { ...(nodeSelector !== undefined ? { nodeSelector } : {}), containers: [{ name: 'agent', image }] } }
    }
  }
}

const podsOn = async (app: string): Promise<Pod[]> => (await listPods(c.client, 'kube-system', `app=${app}`)).filter(p => p.metadata.deletionTimestamp === undefined)

describe('daemonset controller', () => {
  it('runs one pod on each node matching the nodeSelector and adds one for a new matching node', async () => {
    await createNode(c.client, 'edge-1', { labels: { 'node-role.kubernetes.io/edge': '' } })
    await createNode(c.client, 'edge-2', { labels: { 'node-role.kubernetes.io/edge': '' }, ready: false })
    await createNode(c.client, 'cloud-1')
    await c.client.create(DS, daemonSet('mesh', 'edgemesh-agent:1', { 'node-role.kubernetes.io/edge': '' }))
    const pods = await waitFor(async () => { const ps = await podsOn('mesh'); return ps.length === 2 ? ps : false }, 10_000, '2 daemon pods')
    expect(pods.map(p => p.spec?.nodeName).sort()).toEqual(['edge-1', 'edge-2'])
    expect(pods[0]!.spec?.tolerations?.some(t => t.key === 'node.kubernetes.io/unreachable' && t.operator === 'Exists')).toBe(true)

    await createNode(c.client, 'edge-3', { labels: { 'node-role.kubernetes.io/edge': '' } })
    const after = await waitFor(async () => { const ps = await podsOn('mesh'); return ps.length === 3 ? ps : false }, 10_000, '3 daemon pods')
    expect(after.map(p => p.spec?.nodeName).sort()).toEqual(['edge-1', 'edge-2', 'edge-3'])
    const st = await waitFor(async () => { const d = await c.client.get<DaemonSet>(DS, "mesh"); return d.status?.desiredNumberScheduled === 3 && d.status.currentNumberScheduled === 3 ? d.status : false })
    expect(st.numberMisscheduled).toBe(0)
  })

  it('skips nodes whose NoSchedule taint the template does not tolerate', async () => {
    await createNode(c.client, 'a')
    await createNode(c.client, 'b', { taints: [{ key: 'special', effect: 'NoSchedule' }] })
    await c.client.create(DS, daemonSet('d', 'x:1'))
    await waitFor(async () => (await podsOn('d')).length === 1, 10_000, 'one pod')
    expect((await podsOn('d'))[0]!.spec?.nodeName).toBe('a')
  })

  it('removes the pod from a node that stops matching', async () => {
    await createNode(c.client, 'a', { labels: { run: 'yes' } })
    await c.client.create(DS, daemonSet('d2', 'x:1', { run: 'yes' }))
    await waitFor(async () => (await podsOn('d2')).length === 1, 10_000, 'one pod')
    const n = await c.client.get({ group: '', version: 'v1', resource: 'nodes' }, 'a')
    await c.client.update({ group: '', version: 'v1', resource: 'nodes' }, { ...n, metadata: { ...n.metadata, labels: { run: 'no' } } })
    await waitFor(async () => (await podsOn('d2')).length === 0, 10_000, 'pod removed')
  })

  it('replaces pods one node at a time when the template changes', async () => {
    for (const n of ['a', 'b', 'c']) await createNode(c.client, n)
    await c.client.create(DS, daemonSet('roll', 'agent:1'))
    let ip = 10
    const readyAll = async (): Promise<void> => {
      for (const p of await podsOn('roll')) {
        if (p.status?.conditions?.some(x => x.type === 'Ready' && x.status === 'True') !== true) await markReady(c.client, p, `10.0.0.${ip++}`)
      }
    }
    await waitFor(async () => { await readyAll(); const d = await c.client.get<DaemonSet>(DS, 'roll'); return d.status?.numberAvailable === 3 }, 10_000, 'all available')
    const d = await c.client.get<DaemonSet>(DS, 'roll')
    d.spec.template.spec!.containers[0]!.image = 'agent:2'
    await c.client.update(DS, d)
    let minAvailable = 3
    await waitFor(async () => {
      const ps = await podsOn('roll')
      minAvailable = Math.min(minAvailable, ps.filter(p => p.status?.conditions?.some(x => x.type === 'Ready' && x.status === 'True') === true).length)
      await readyAll()
      return ps.length === 3 && ps.every(p => p.spec?.containers[0]?.image === 'agent:2' && p.status?.podIP !== undefined)
    }, 15_000, 'rolled to agent:2')
    expect(minAvailable).toBeGreaterThanOrEqual(2)
  })
})
