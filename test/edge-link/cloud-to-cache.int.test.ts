// The cloud side and the edge side of the edge link assembled from their parts, all real: the cloud's
// API core over SQLite, the edge-controller on its informers, the cloud-hub with ObjectSync
// watermarks in the cluster store, TLS on loopback, the edge-hub, the meta-manager writing the
// node's SQLite cache, and the meta-server reading it. What the edge serves is read over HTTP as a
// local client would.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCA, eventually, issueCert, silentLogger, type CertificateAuthority, type KeyAndCert, type KubeObject } from '@edgemesh/common'
import { InformerFactory } from '@edgemesh/kube/client'
import { builtinResourceInfo, DefaultResourceRegistry } from '@edgemesh/kube/server'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiCore, type ApiCore } from '../../cloud-core/src/api-server/api-core.js'
import { builtinResources, ServiceAllocator } from '../../cloud-core/src/api-server/resources/index.js'
import { CloudHub, StoreWatermarkStore } from '../../cloud-core/src/cloud-hub/index.js'
import { EdgeController } from '../../cloud-core/src/edge-controller/index.js'
import { EdgeHub, MetaManager, MetaServer } from '../../edge-core/src/index.js'

const NODE = 'edge-1'
const ref = (resource: string, namespace?: string, group = ''): { group: string, version: string, resource: string, namespace?: string } => ({ group, version: 'v1', resource, ...(namespace !== undefined ? { namespace } : {}) })

let ca: CertificateAuthority
let serving: KeyAndCert
let nodeCert: KeyAndCert

class Cloud {
  core!: ApiCore
  store!: SqliteStore
  hub!: CloudHub
  controller!: EdgeController
  informers!: InformerFactory
  constructor (readonly dir: string) {}
  async start (hubPort = 0): Promise<void> {
    this.store ??= sqliteStore({ dataDir: this.dir, compactIntervalMs: 0 })
    if (!this.store.isStarted()) await this.store.start()
    this.core ??= await createApiCore({ store: this.store, logger: silentLogger(), resources: builtinResources({ allocator: new ServiceAllocator({}) }), validation: false })
    await this.startHub(hubPort)
  }

  /** A fresh hub and edge-controller over the same store: what a second cloudcore (or a restart) is. */
  async startHub (port = 0): Promise<void> {
    this.informers = new InformerFactory({ client: this.core.client, logger: silentLogger() })
    const hub: CloudHub = new CloudHub({ caPem: ca.certPem, serving, watermarks: new StoreWatermarkStore(this.store), source: { list: async node => await this.controller.list(node) } }, { port, host: '127.0.0.1', resendMs: 500 })
    this.hub = hub
    this.controller = new EdgeController({ informers: this.informers, hub, logger: silentLogger() })
    await this.controller.start()
    await hub.start()
  }

  async stopHub (): Promise<void> {
    await this.hub.stop()
    await this.controller.stop()
    await this.informers.stop()
  }
}

class Edge {
  store!: SqliteStore
  hub!: EdgeHub
  meta!: MetaManager
  server!: MetaServer
  /** Downstream messages handed to the meta-manager since the last start (resends included). */
  received = 0
  constructor (readonly dir: string) {}
  async start (hubPort: number): Promise<void> {
    this.received = 0
    this.store = sqliteStore({ dataDir: this.dir, compactIntervalMs: 0 })
    await this.store.start()
    const registry = new DefaultResourceRegistry(builtinResourceInfo())
    this.meta = new MetaManager({ store: this.store, registry })
    this.server = new MetaServer({ store: this.store, registry }, { port: 0 })
    await this.server.start()
    const handler = { handle: async (...a: Parameters<MetaManager['handle']>) => { this.received++; await this.meta.handle(...a) } }
    this.hub = new EdgeHub({ handler }, { urls: [`wss://127.0.0.1:${hubPort}`], nodeName: NODE, certPem: nodeCert.certPem, keyPem: nodeCert.keyPem, caPem: ca.certPem, backoffInitialMs: 20, backoffMaxMs: 200 })
    await this.hub.start()
  }

  async stop (): Promise<void> {
    await this.hub?.stop()
    await this.server?.stop()
    await this.store?.stop()
  }

  /** Names the meta-server lists for a collection path, e.g. /api/v1/namespaces/shop/pods. */
  async names (path: string): Promise<string[]> {
    const r = await fetch(`http://127.0.0.1:${this.server.port}${path}`)
    const list = await r.json() as { items: KubeObject[] }
    return list.items.map(o => o.metadata.name ?? '').sort()
  }
}

describe('cloud objects reach the node cache and its meta-server', () => {
  let dir: string
  let cloud: Cloud
  let edge: Edge

  const client = (): ApiCore['client'] => cloud.core.client
  const pod = (name: string, node: string, uses: { cm?: string, secret?: string } = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', labels: { app: 'web' } },
    spec: {
      nodeName: node,
      containers: [{
        name: 'c',
        image: 'nginx',
        ...(uses.secret !== undefined ? { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: uses.secret, key: 'pw' } } }] } : {})
      }],
      ...(uses.cm !== undefined ? { volumes: [{ name: 'cfg', configMap: { name: uses.cm } }] } : {})
    }
  })
  const settled = async (what: string): Promise<void> => {
    await eventually(() => cloud.hub.connectedNodes().includes(NODE) && cloud.hub.queueDepth(NODE) === 0, 15_000, what)
  }

  beforeAll(async () => {
    ca = await createCA()
    serving = await issueCert(ca, { commonName: 'cloudhub', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
    nodeCert = await issueCert(ca, { commonName: `system:node:${NODE}`, organizations: ['system:nodes'] }, { usage: 'client' })
    dir = await mkdtemp(join(tmpdir(), 'cloud-to-cache-'))
    cloud = new Cloud(join(dir, 'cloud'))
    await cloud.start()
    const c = client()
    await c.create(ref('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } })
    await c.create(ref('nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'node-role.kubernetes.io/edge': '' } } })
    await c.create(ref('nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'other', labels: { 'node-role.kubernetes.io/edge': '' } } })
    await c.create(ref('configmaps', 'shop'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg-a', namespace: 'shop' }, data: { k: '1' } })
    await c.create(ref('configmaps', 'shop'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg-unused', namespace: 'shop' }, data: { k: '1' } })
    await c.create(ref('secrets', 'shop'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pw-a', namespace: 'shop' }, data: { pw: 'c2VjcmV0' } })
    await c.create(ref('secrets', 'shop'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pw-other', namespace: 'shop' }, data: { pw: 'b3RoZXI=' } })
    await c.create(ref('pods', 'shop'), pod('web-1', NODE, { cm: 'cfg-a', secret: 'pw-a' }))
    await c.create(ref('pods', 'shop'), pod('elsewhere', 'other', { secret: 'pw-other' }))
    await c.create(ref('services', 'shop'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } })
    edge = new Edge(join(dir, 'edge'))
    await edge.start(cloud.hub.port)
  }, 60_000)

  afterAll(async () => {
    await edge?.stop()
    await cloud?.stopHub()
    await cloud?.store.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('sends a node its Node, its pods, what they reference and the services — and no other Secret', async () => {
    await settled('first sync')
    expect(await edge.names('/api/v1/namespaces/shop/pods')).toEqual(['web-1'])
    expect(await edge.names('/api/v1/namespaces/shop/configmaps')).toEqual(['cfg-a'])
    expect(await edge.names('/api/v1/namespaces/shop/secrets')).toEqual(['pw-a'])
    expect(await edge.names('/api/v1/namespaces/shop/services')).toEqual(['web'])
    expect(await edge.names('/api/v1/nodes')).toEqual([NODE])
  })

  it('follows live changes: a pod bound later, a reference added, an update, a delete', async () => {
    const c = client()
    await c.create(ref('pods', 'shop'), pod('web-2', NODE, { secret: 'pw-other' }))
    const cm = await c.get(ref('configmaps', 'shop'), 'cfg-a')
    await c.update(ref('configmaps', 'shop'), { ...cm, data: { k: '2' } })
    await eventually(async () => (await edge.names('/api/v1/namespaces/shop/secrets')).includes('pw-other'), 10_000, 'newly referenced secret')
    await eventually(async () => {
      const r = await (await fetch(`http://127.0.0.1:${edge.server.port}/api/v1/namespaces/shop/configmaps/cfg-a`)).json() as { data?: { k?: string } }
      return r.data?.k === '2'
    }, 10_000, 'configmap update')
    await c.delete(ref('pods', 'shop'), 'web-2', { gracePeriodSeconds: 0 })
    await eventually(async () => !(await edge.names('/api/v1/namespaces/shop/secrets')).includes('pw-other'), 10_000, 'secret no longer referenced')
    expect(await edge.names('/api/v1/namespaces/shop/pods')).toEqual(['web-1'])
  })

  it('converges after changes made while the node was offline, and its cache answers meanwhile', async () => {
    await settled('before going offline')
    await edge.hub.stop()
    const c = client()
    await c.create(ref('pods', 'shop'), pod('web-3', NODE, { cm: 'cfg-unused' }))
    await c.delete(ref('pods', 'shop'), 'web-1', { gracePeriodSeconds: 0 })
    await c.create(ref('services', 'shop'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: { ports: [{ port: 81 }] } })
    // Offline: the meta-server still serves the last state.
    expect(await edge.names('/api/v1/namespaces/shop/pods')).toEqual(['web-1'])
    await edge.hub.start()
    await settled('resync')
    await eventually(async () => JSON.stringify(await edge.names('/api/v1/namespaces/shop/pods')) === '["web-3"]', 10_000, 'pods converge')
    expect(await edge.names('/api/v1/namespaces/shop/configmaps')).toEqual(['cfg-unused'])
    expect(await edge.names('/api/v1/namespaces/shop/secrets')).toEqual([])
    expect(await edge.names('/api/v1/namespaces/shop/services')).toEqual(['api', 'web'])
  })

  it('resends nothing the node already has when it reconnects to another cloud-hub on the same store', async () => {
    await settled('before the switch')
    const before = await edge.store.revision()
    await cloud.stopHub()
    await cloud.startHub()
    await edge.stop()
    await edge.start(cloud.hub.port)
    await settled('after the switch')
    // Watermarks in the store: the new hub knew what the node had, so nothing was sent or written again.
    expect(edge.received).toBe(0)
    expect(await edge.store.revision()).toBe(before)
    await client().create(ref('pods', 'shop'), pod('web-4', NODE))
    await eventually(async () => (await edge.names('/api/v1/namespaces/shop/pods')).includes('web-4'), 10_000, 'live change through the new hub')
  })
})
