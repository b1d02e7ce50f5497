// cloudcore as it ships (API server, controllers, bootstrap and cloud-hub in one process) and an edge
// node built from edge-core's parts: join with a token, connect with the certificate it got, and
// serve what the cloud assigns to it from the node's own meta-server.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { request } from 'node:https'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, type KubeObject } from '@edgemesh/common'
import { builtinResourceInfo, DefaultResourceRegistry } from '@edgemesh/kube/server'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CloudCore } from '../../cloud-core/src/index.js'
import { loopbackCloudCore } from '../helpers/cloudcore.js'
import { EdgeHub, joinCluster, MetaManager, MetaServer, NodeReporter, type NodeCredentials } from '../../edge-core/src/index.js'

const NODE = 'edge-j1'
const run = promisify(execFile)

describe('cloudcore with its edge link', () => {
  let dir: string
  let cc: CloudCore
  let creds: NodeCredentials
  let edgeStore: SqliteStore
  let hub: EdgeHub
  let server: MetaServer
  let reporter: NodeReporter

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloudcore-join-'))
    cc = loopbackCloudCore(join(dir, 'cloud'))
    await cc.start()
    await cc.waitForSync()
  }, 60_000)

  afterAll(async () => {
    await reporter?.stop()
    await hub?.stop()
    await server?.stop()
    await edgeStore?.stop()
    await cc?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('joins with a token from cloudcore and gets a node certificate', async () => {
    creds = await joinCluster({ server: `https://127.0.0.1:${cc.bootstrapPort}`, token: await cc.issueJoinToken(), nodeName: NODE })
    expect(creds.certPem).toContain('BEGIN CERTIFICATE')
  })

  it('registers itself, renews its lease, receives the pods scheduled to it and serves them from its meta-server', async () => {
    const client = cc.core.client
    edgeStore = sqliteStore({ dataDir: join(dir, 'edge'), compactIntervalMs: 0 })
    await edgeStore.start()
    const registry = new DefaultResourceRegistry(builtinResourceInfo())
    server = new MetaServer({ store: edgeStore, registry }, { port: 0 })
    await server.start()
    hub = new EdgeHub({ handler: new MetaManager({ store: edgeStore, registry }) }, {
      urls: [`wss://127.0.0.1:${cc.hubPort}`], nodeName: NODE, certPem: creds.certPem, keyPem: creds.keyPem, caPem: creds.caPem, backoffInitialMs: 20, backoffMaxMs: 200
    })
    await hub.start()
    reporter = new NodeReporter({ hub }, { nodeName: NODE, leaseRenewMs: 200, addresses: [{ type: 'InternalIP', address: '10.1.2.3' }] })
    await reporter.start()
    const lease = await eventually(async () => await client.get({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease' }, NODE).catch(() => undefined), 15_000, 'lease')
    expect(lease.spec).toMatchObject({ holderIdentity: NODE, leaseDurationSeconds: 40 })
    await client.create({ group: '', version: 'v1', resource: 'pods', namespace: 'default' }, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello', namespace: 'default' }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'edgemesh/echo-server' }] }
    })
    const names = async (): Promise<string[]> => ((await (await fetch(`http://127.0.0.1:${server.port}/api/v1/namespaces/default/pods`)).json()) as { items: KubeObject[] }).items.map(p => p.metadata.name ?? '')
    await eventually(async () => (await names()).includes('hello'), 15_000, 'pod at the edge')
    // The kubernetes Service (and its endpoints) reach the node for the mesh agent.
    const svcs = await (await fetch(`http://127.0.0.1:${server.port}/api/v1/namespaces/default/services`)).json() as { items: KubeObject[] }
    expect(svcs.items.map(s => s.metadata.name)).toContain('kubernetes')
  })

  it('shows the node Ready, as an edge node, to kubectl', async () => {
    const r = await run('kubectl', ['--kubeconfig', cc.kubeconfigPath, 'get', 'nodes', '-o', 'wide'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(new RegExp(`^${NODE}\\s+Ready\\s+edge\\s+v1\\.30\\.0-edgecore\\s+\\S+\\s+10\\.1\\.2\\.3\\s`, 'm'))
  })

  it('refuses a node report about another node, acks it, and writes nothing', async () => {
    await hub.send({ operation: 'insert', resource: 'null/node/someone-else', content: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'someone-else' }, status: {} } })
    await hub.send({ operation: 'update', resource: 'kube-node-lease/lease/someone-else', content: { spec: {} } })
    await expect(cc.core.client.get({ group: '', version: 'v1', resource: 'nodes' }, 'someone-else')).rejects.toMatchObject({ code: 'API_NOT_FOUND' })
    await expect(cc.core.client.get({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease' }, 'someone-else')).rejects.toMatchObject({ code: 'API_NOT_FOUND' })
  })

  // Before: a report the API refused (422) was thrown back to the hub, which then never acked it, so
  // the node resent it every 5 s forever.
  it('acks a node report the API refuses as invalid instead of making the node resend it forever', async () => {
    const bad = { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE }, status: { capacity: { cpu: 'lots' }, nodeInfo: 'not an object' } }
    await hub.send({ operation: 'update', resource: `null/node/${NODE}`, content: bad }, AbortSignal.timeout(10_000))
    const node = await cc.core.client.get({ group: '', version: 'v1', resource: 'nodes' }, NODE)
    expect((node.status as { nodeInfo?: unknown }).nodeInfo).not.toBe('not an object')
  })

  it('reports the connected node in its /metrics', async () => {
    const pki = cc.pki
    const text = await new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port: cc.port, path: '/metrics', ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem }, res => {
        let t = ''
        res.setEncoding('utf8').on('data', (c: string) => { t += c }).on('end', () => { resolve(t) })
      }).on('error', reject).end()
    })
    expect(text).toMatch(/^edgemesh_cloudhub_connected_nodes 1$/m)
    expect(text).toMatch(/^edgemesh_cloudhub_queue_depth\{node="edge-j1"\} 0$/m)
  })
})
