// 1,000 simulated edge nodes (real TLS + WebSocket clients speaking the hub protocol) connect to one
// cloudcore at once — more than its handshake bound, so some are turned away and retry — and each
// receives exactly its own pod.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { simulatedNodes, type SimulatedNode } from '../helpers/simulated-nodes.js'
import type { CloudCore } from '../../cloud-core/src/index.js'
import { loopbackCloudCore } from '../helpers/cloudcore.js'

const COUNT = 1_000
const NODES = { group: '', version: 'v1', resource: 'nodes' }
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' }

describe(`${COUNT} simulated edge nodes on one cloudcore`, () => {
  let dir: string
  let cc: CloudCore
  let nodes: SimulatedNode[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thousand-nodes-'))
    cc = loopbackCloudCore(dir, { bootstrap: { enabled: false }, log: { level: 'error' } })
    await cc.start()
    await cc.waitForSync()
    nodes = await simulatedNodes({ ca: cc.pki.ca, count: COUNT, urls: [`wss://127.0.0.1:${cc.hubPort}`] })
    for (const n of nodes) await cc.core.client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: n.name, labels: { 'node-role.kubernetes.io/edge': '' } } })
  }, 180_000)

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.hub.stop() }))
    await cc?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  }, 120_000)

  it('all connect at once and each receives its own pod, and only that pod', async () => {
    await Promise.all(nodes.map(async n => { await n.hub.start() }))
    await eventually(() => nodes.every(n => n.hub.isConnected()), 120_000, 'connections')
    for (const n of nodes) {
      await cc.core.client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${n.name}`, namespace: 'default' }, spec: { nodeName: n.name, containers: [{ name: 'c', image: 'x' }] } })
    }
    await eventually(() => nodes.every(n => n.objects.has(`default/pod/pod-${n.name}`)), 120_000, 'every pod delivered')
    for (const n of nodes) {
      const pods = [...n.objects.keys()].filter(k => k.startsWith('default/pod/'))
      expect(pods, n.name).toEqual([`default/pod/pod-${n.name}`])
      expect(n.objects.has(`/node/${n.name}`), n.name).toBe(true)
    }
    expect(await cc.metrics.value('edgemesh_cloudhub_connected_nodes')).toBe(COUNT)
  }, 300_000)
})
