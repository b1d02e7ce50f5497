import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { KubeObject } from '@edgemesh/common'
import { EVENTS, PODS, inNamespace, type Event, type Pod } from '@edgemesh/kube/machinery'
import { createNode, startCluster, waitFor, type Cluster } from '../controllers/helpers.js'

let c: Cluster
// Only the scheduler: these tests create bare pods.
beforeEach(async () => { c = await startCluster({ enabled: ['scheduler'], scheduler: { unschedulableRetryMs: 60_000 } }) })
afterEach(async () => { await c.close() })

const P = inNamespace(PODS, 'default')

function pod (name: string, spec: Record<string, unknown> = {}, containers: Array<Record<string, unknown>> = [{ name: 'c', image: 'x' }]): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers, ...spec } }
}

async function nodeOf (name: string, timeoutMs = 5_000): Promise<string> {
  return await waitFor(async () => (await c.client.get<Pod>(P, name)).spec?.nodeName ?? false, timeoutMs, `${name} scheduled`)
}

async function failedScheduling (name: string): Promise<Event> {
  return await waitFor(async () => (await c.client.list<Event>(inNamespace(EVENTS, 'default'))).items
    .find(e => e.involvedObject.name === name && e.reason === 'FailedScheduling') ?? false, 5_000, `FailedScheduling for ${name}`)
}

describe('scheduler', () => {
  it('places a pod only on a node whose taint it tolerates', async () => {
    await createNode(c.client, 'tainted', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })
    await createNode(c.client, 'plain', { ready: false })
    await c.client.create(P, pod('tolerant', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }))
    expect(await nodeOf('tolerant')).toBe('tainted')
  })

  it('leaves a pod Pending with a FailedScheduling event listing the reasons when nothing fits', async () => {
    await createNode(c.client, 'a', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] })
    await createNode(c.client, 'b', { labels: { zone: 'x' } })
    await createNode(c.client, 'c', { cpu: '500m' })
    await c.client.create(P, pod('stuck', { nodeSelector: { zone: 'y' } }, [{ name: 'c', image: 'x', resources: { requests: { cpu: '1' } } }]))
    const ev = await failedScheduling('stuck')
    expect(ev.type).toBe('Warning')
    expect(ev.message).toBe("0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}, 3 node(s) didn't match Pod's node affinity/selector.")
    const cond = await waitFor(async () => (await c.client.get<Pod>(P, 'stuck')).status?.conditions?.find(x => x.type === 'PodScheduled') ?? false)
    expect(cond.status).toBe('False')
    expect(cond.reason).toBe('Unschedulable')
    expect((await c.client.get<Pod>(P, 'stuck')).spec?.nodeName ?? '').toBe('')
  })

  it('schedules a pending pod as soon as a fitting node appears', async () => {
    await createNode(c.client, 'small', { cpu: '1', memory: '1Gi' })
    await c.client.create(P, pod('big', {}, [{ name: 'c', image: 'x', resources: { requests: { cpu: '2', memory: '2Gi' } } }]))
    await failedScheduling('big')
    await createNode(c.client, 'large', { cpu: '8', memory: '16Gi' })
    expect(await nodeOf('big')).toBe('large')
  })

  it('honours required node affinity with In, NotIn and Gt and matchFields', async () => {
    await createNode(c.client, 'n1', { labels: { disk: 'ssd', cores: '4' } })
    await createNode(c.client, 'n2', { labels: { disk: 'ssd', cores: '16' } })
    await createNode(c.client, 'n3', { labels: { disk: 'hdd', cores: '32' } })
    const affinity = (terms: unknown[]): Record<string, unknown> => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } })
    await c.client.create(P, pod('fast', affinity([{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }, { key: 'cores', operator: 'Gt', values: ['8'] }] }])))
    await c.client.create(P, pod('pinned', affinity([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }])))
    await c.client.create(P, pod('nossd', affinity([{ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }])))
    expect(await nodeOf('fast')).toBe('n2')
    expect(await nodeOf('pinned')).toBe('n1')
    expect(await nodeOf('nossd')).toBe('n3')
  })

  it('counts the requests of pods already bound when fitting the next one', async () => {
    await createNode(c.client, 'only', { cpu: '1', memory: '4Gi' })
    const req = [{ name: 'c', image: 'x', resources: { requests: { cpu: '600m' } } }]
    await c.client.create(P, pod('first', {}, req))
    expect(await nodeOf('first')).toBe('only')
    await c.client.create(P, pod('second', {}, req))
    const ev = await failedScheduling('second')
    expect(ev.message).toBe('0/1 nodes are available: 1 Insufficient cpu.')
  })

  it('records a Scheduled event and PodScheduled=True when it binds', async () => {
    await createNode(c.client, 'n1')
    await c.client.create(P, pod('ok'))
    await nodeOf('ok')
    const ev = await waitFor(async () => (await c.client.list<Event>(inNamespace(EVENTS, 'default'))).items.find(e => e.involvedObject.name === 'ok' && e.reason === 'Scheduled') ?? false)
    expect(ev.message).toBe('Successfully assigned default/ok to n1')
    const cond = (await c.client.get<Pod>(P, 'ok')).status?.conditions?.find(x => x.type === 'PodScheduled')
    expect(cond?.status).toBe('True')
  })

  it('ignores pods meant for another scheduler', async () => {
    await createNode(c.client, 'n1')
    await c.client.create(P, pod('other', { schedulerName: 'custom' }))
    await c.client.create(P, pod('mine'))
    await nodeOf('mine')
    expect((await c.client.get<Pod>(P, 'other')).spec?.nodeName ?? '').toBe('')
  })
})
