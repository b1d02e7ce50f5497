import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { KubeObject } from '@edgemesh/common'
import { DEPLOYMENTS, ENDPOINTS, ENDPOINT_SLICES, REPLICA_SETS, SERVICES, inNamespace, type Deployment, type EndpointSlice, type Endpoints, type Pod, type ReplicaSet } from '@edgemesh/kube/machinery'
import { createNode, deployment, listPods, markReady, startCluster, waitFor, type Cluster } from './helpers.js'

let c: Cluster
beforeEach(async () => { c = await startCluster() })
afterEach(async () => { await c.close() })

const D = inNamespace(DEPLOYMENTS, 'default')
const RS = inNamespace(REPLICA_SETS, 'default')

/** Plays kubelet for every bound pod that is not ready yet; returns how many it touched. */
async function kubelet (ipBase: number): Promise<number> {
  let n = 0
  for (const p of await listPods(c.client)) {
    const ready = p.status?.conditions?.some(x => x.type === 'Ready' && x.status === 'True') === true
    if ((p.spec?.nodeName ?? '') !== '' && !ready && p.metadata.deletionTimestamp === undefined) {
      await markReady(c.client, p, `10.244.${ipBase}.${(n++) + 10 + Math.floor(Math.random() * 200)}`)
    }
  }
  return n
}

async function rolledOut (name: string): Promise<Deployment | false> {
  const d = await c.client.get<Deployment>(D, name)
  const s = d.status
  if (s === undefined || (s.observedGeneration ?? 0) < (d.metadata.generation ?? 1)) return false
  const want = d.spec.replicas ?? 1
  // The same checks kubectl rollout status makes.
  if ((s.updatedReplicas ?? 0) < want || (s.replicas ?? 0) > (s.updatedReplicas ?? 0) || (s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0)) return false
  return d
}

describe('deployment, replicaset, scheduler and endpoints together', () => {
  it('schedules a 3-replica deployment across 3 nodes and publishes the ready pods as endpoints', async () => {
    for (const n of ['n1', 'n2', 'n3']) await createNode(c.client, n)
    await c.client.create(D, deployment('web', 3, 'nginx:1.25'))
    await c.client.create(inNamespace(SERVICES, 'default'), {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }
    } as KubeObject)
    const pods = await waitFor(async () => {
      const ps = (await listPods(c.client, 'default', 'app=web')).filter(p => (p.spec?.nodeName ?? '') !== '')
      return ps.length === 3 ? ps : false
    }, 10_000, '3 scheduled pods')
    expect(new Set(pods.map(p => p.spec?.nodeName)).size).toBe(3)
    expect(pods.every(p => p.metadata.generateName?.startsWith('web-') === true)).toBe(true)

    await markReady(c.client, pods[0]!, '10.244.0.10')
    await markReady(c.client, pods[1]!, '10.244.0.11')
    await markReady(c.client, pods[2]!, '10.244.0.12', false)

    const slice = await waitFor(async () => {
      const s = (await c.client.list<EndpointSlice>(inNamespace(ENDPOINT_SLICES, 'default'), { labelSelector: 'kubernetes.io/service-name=web' })).items
      return s.length === 1 && s[0]!.endpoints.length === 3 ? s[0] : false
    }, 10_000, 'endpointslice with 3 endpoints')
    expect(slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io')
    expect(slice.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }])
    const ready = slice.endpoints.filter(e => e.conditions?.ready === true).map(e => e.addresses[0]).sort()
    expect(ready).toEqual(['10.244.0.10', '10.244.0.11'])
    expect(slice.endpoints.every(e => e.nodeName !== undefined && e.targetRef?.kind === 'Pod')).toBe(true)

    const ep = await waitFor(async () => {
      const e = await c.client.get<Endpoints>(inNamespace(ENDPOINTS, 'default'), 'web')
      return e.subsets?.[0]?.notReadyAddresses?.length === 1 ? e : false
    }, 10_000, 'endpoints')
    expect(ep.subsets?.[0]?.addresses?.map(a => a.ip).sort()).toEqual(['10.244.0.10', '10.244.0.11'])
    expect(ep.subsets?.[0]?.notReadyAddresses?.[0]?.ip).toBe('10.244.0.12')
    expect(ep.subsets?.[0]?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }])
  })

  it('rolls out a new template within maxSurge and maxUnavailable and reports it as complete', async () => {
    for (const n of ['n1', 'n2', 'n3']) await createNode(c.client, n)
    await c.client.create(D, deployment('api', 3, 'api:1', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }))
    let ipBase = 1
    await waitFor(async () => { await kubelet(ipBase); return await rolledOut('api') }, 15_000, 'first rollout')

    let maxPods = 0
    let minReady = Number.POSITIVE_INFINITY
    const d = await c.client.get<Deployment>(D, 'api')
    d.spec.template.spec!.containers[0]!.image = 'api:2'
    await c.client.update(D, d)
    ipBase = 2
    const done = await waitFor(async () => {
      const pods = (await listPods(c.client, 'default', 'app=api')).filter(p => p.metadata.deletionTimestamp === undefined)
      maxPods = Math.max(maxPods, pods.length)
      minReady = Math.min(minReady, pods.filter(p => p.status?.conditions?.some(x => x.type === 'Ready' && x.status === 'True') === true).length)
      await kubelet(ipBase)
      return await rolledOut('api')
    }, 20_000, 'second rollout')

    expect(maxPods).toBeLessThanOrEqual(4)
    expect(minReady).toBeGreaterThanOrEqual(3)
    expect(done.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2')
    expect(done.status?.conditions?.find(x => x.type === 'Progressing')?.reason).toBe('NewReplicaSetAvailable')
    expect(done.status?.conditions?.find(x => x.type === 'Available')?.status).toBe('True')
    const sets = (await c.client.list<ReplicaSet>(RS)).items
    expect(sets).toHaveLength(2)
    const byImage = new Map(sets.map(s => [s.spec.template?.spec?.containers[0]?.image, s]))
    expect(byImage.get('api:2')?.spec.replicas).toBe(3)
    expect(byImage.get('api:1')?.spec.replicas).toBe(0)
    const pods: Pod[] = await waitFor(async () => { const ps = await listPods(c.client, 'default', 'app=api'); return ps.length === 3 ? ps : false })
    expect(pods.every(p => p.spec?.containers[0]?.image === 'api:2')).toBe(true)
  })

  it('scales a deployment down and removes the surplus pods', async () => {
    await createNode(c.client, 'n1')
    await c.client.create(D, deployment('s', 4, 'x:1'))
    await waitFor(async () => (await listPods(c.client, 'default', 'app=s')).length === 4, 10_000, '4 pods')
    const d = await c.client.get<Deployment>(D, 's')
    await c.client.update(D, { ...d, spec: { ...d.spec, replicas: 1 } })
    await waitFor(async () => (await listPods(c.client, 'default', 'app=s')).length === 1, 10_000, '1 pod')
    const st = await waitFor(async () => { const x = await c.client.get<Deployment>(D, 's'); return x.status?.replicas === 1 ? x.status : false })
    expect(st.observedGeneration).toBe(2)
  })

  it('garbage-collects the replicasets and pods of a deleted deployment', async () => {
    await createNode(c.client, 'n1')
    await c.client.create(D, deployment('gone', 2, 'x:1'))
    await waitFor(async () => (await listPods(c.client, 'default', 'app=gone')).length === 2, 10_000, '2 pods')
    await c.client.delete(D, 'gone')
    await waitFor(async () => (await c.client.list(RS)).items.length === 0 && (await listPods(c.client, 'default', 'app=gone')).length === 0, 10_000, 'cascade')
  })

  it('replaces all pods at once with the Recreate strategy, never running old and new together', async () => {
    await createNode(c.client, 'n1')
    await c.client.create(D, deployment('rc', 2, 'r:1', { strategy: { type: 'Recreate' } }))
    await waitFor(async () => { await kubelet(5); return await rolledOut('rc') }, 10_000, 'first rollout')
    const d = await c.client.get<Deployment>(D, 'rc')
    d.spec.template.spec!.containers[0]!.image = 'r:2'
    await c.client.update(D, d)
    let mixed = false
    await waitFor(async () => {
      const images = new Set((await listPods(c.client, 'default', 'app=rc')).map(p => p.spec?.containers[0]?.image))
      if (images.size > 1) mixed = true
      await kubelet(6)
      return await rolledOut('rc')
    }, 15_000, 'recreate rollout')
    expect(mixed).toBe(false)
    expect((await listPods(c.client, 'default', 'app=rc')).every(p => p.spec?.containers[0]?.image === 'r:2')).toBe(true)
  })

  it('keeps only revisionHistoryLimit old replica sets', async () => {
    await createNode(c.client, 'n1')
    await c.client.create(D, deployment('h', 1, 'h:0', { revisionHistoryLimit: 1, strategy: { type: 'Recreate' } }))
    for (let v = 1; v <= 3; v++) {
      await waitFor(async () => { await kubelet(7); return await rolledOut('h') }, 10_000, `rollout ${v}`)
      const d = await c.client.get<Deployment>(D, 'h')
      d.spec.template.spec!.containers[0]!.image = `h:${v}`
      await c.client.update(D, d)
    }
    const done = await waitFor(async () => { await kubelet(7); return await rolledOut('h') }, 10_000, 'last rollout')
    expect(done.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4')
    const sets = await waitFor(async () => { const x = (await c.client.list<ReplicaSet>(RS, { labelSelector: 'app=h' })).items; return x.length === 2 ? x : false }, 10_000, 'old sets cleaned up')
    expect(sets.map(s => s.metadata.annotations?.['deployment.kubernetes.io/revision']).sort()).toEqual(['3', '4'])
  })

  it('deletes the pods and replica sets before the deployment in foreground deletion', async () => {
    await createNode(c.client, 'n1')
    await c.client.create(D, deployment('fg', 2, 'x:1'))
    await waitFor(async () => (await listPods(c.client, 'default', 'app=fg')).length === 2, 10_000, '2 pods')
    const pending = await c.client.delete<Deployment>(D, 'fg', { propagationPolicy: 'Foreground' })
    expect(pending?.metadata.deletionTimestamp).toBeDefined()
    await waitFor(async () => {
      try { await c.client.get(D, 'fg'); return false } catch { return true }
    }, 10_000, 'deployment gone')
    expect(await listPods(c.client, 'default', 'app=fg')).toHaveLength(0)
    expect((await c.client.list(RS, { labelSelector: 'app=fg' })).items).toHaveLength(0)
  })
})
