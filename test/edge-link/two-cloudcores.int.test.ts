// Two cloudcores on one etcd, started together (before: the second failed on "services kubernetes
// already exists", and each minted its own CA): one cluster CA (kubeedge #5922), a token from either
// works at both, and a node connected to the first keeps receiving its pods through the second
// after the first is gone — nothing lost, nothing applied twice.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, type KubeObject } from '@edgemesh/common'
import { builtinResourceInfo, DefaultResourceRegistry } from '@edgemesh/kube/server'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CloudCore } from '../../cloud-core/src/index.js'
import { loopbackCloudCore } from '../helpers/cloudcore.js'
import { ETCD_BIN, etcdAvailable, startEtcd, type EtcdServer } from '../../cloud-core/test/store/etcd-server.js'
import { EdgeHub, joinCluster, MetaManager, MetaServer, NodeReporter } from '../../edge-core/src/index.js'

const NODE = 'edge-ha'
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' }
const skip = etcdAvailable() ? false : `${ETCD_BIN} is not installed (scripts/ensure-deps.sh installs etcd-server)`
if (skip !== false) console.log(`skipping two-cloudcores: ${skip}`)

describe.skipIf(skip !== false)('two cloudcores on one etcd', () => {
  let dir: string
  let etcd: EtcdServer
  let a: CloudCore
  let b: CloudCore
  let edgeStore: SqliteStore
  let hub: EdgeHub
  let server: MetaServer
  let reporter: NodeReporter
  let applied = 0

  const cloudcore = (name: string, endpoint: string): CloudCore => loopbackCloudCore(join(dir, name), { store: { type: 'etcd', endpoints: [endpoint] }, log: { level: 'error' } })
  const pods = async (): Promise<string[]> => ((await (await fetch(`http://127.0.0.1:${server.port}/api/v1/namespaces/default/pods`)).json()) as { items: KubeObject[] }).items.map(p => p.metadata.name ?? '').sort()
  const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'x' }] } })

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'two-cloudcores-'))
    etcd = await startEtcd()
    a = cloudcore('a', etcd.endpoint)
    b = cloudcore('b', etcd.endpoint)
    await Promise.all([a.start(), b.start()])
  }, 90_000)

  afterAll(async () => {
    await reporter?.stop()
    await hub?.stop()
    await server?.stop()
    await edgeStore?.stop()
    await a?.stop()
    await b?.stop()
    await etcd?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('share one cluster CA, created once, so a token from one works at the other', async () => {
    expect(await readFile(join(dir, 'b', 'pki', 'ca.crt'), 'utf8')).toBe(await readFile(join(dir, 'a', 'pki', 'ca.crt'), 'utf8'))
    const creds = await joinCluster({ server: `https://127.0.0.1:${b.bootstrapPort}`, token: await a.issueJoinToken(), nodeName: NODE })
    edgeStore = sqliteStore({ dataDir: join(dir, 'edge'), compactIntervalMs: 0 })
    await edgeStore.start()
    const registry = new DefaultResourceRegistry(builtinResourceInfo())
    const meta = new MetaManager({ store: edgeStore, registry })
    server = new MetaServer({ store: edgeStore, registry }, { port: 0 })
    await server.start()
    // The first URL is cloudcore a; b is the failover.
    hub = new EdgeHub({ handler: { handle: async (...args: Parameters<MetaManager['handle']>) => { applied++; await meta.handle(...args) } } }, {
      urls: [`wss://127.0.0.1:${a.hubPort}`, `wss://127.0.0.1:${b.hubPort}`], nodeName: NODE, ...creds, backoffInitialMs: 20, backoffMaxMs: 200
    })
    await hub.start()
    reporter = new NodeReporter({ hub }, { nodeName: NODE, leaseRenewMs: 300 })
    await reporter.start()
    await eventually(async () => await a.core.client.get({ group: '', version: 'v1', resource: 'nodes' }, NODE).catch(() => undefined), 20_000, 'node registered')
  })

  it('keeps delivering through the second cloudcore after the first is stopped, without loss or duplicates', async () => {
    await a.core.client.create(PODS, pod('p1'))
    await eventually(async () => (await pods()).includes('p1'), 15_000, 'p1 through a')
    const before = await edgeStore.revision()
    await a.stop()
    await b.core.client.create(PODS, pod('p2'))
    await eventually(async () => (await pods()).includes('p2'), 20_000, 'p2 through b')
    await b.core.client.create(PODS, pod('p3'))
    await eventually(async () => (await pods()).includes('p3'), 15_000, 'p3 through b')
    expect(await pods()).toEqual(['p1', 'p2', 'p3'])
    // Exactly the two new pods were written at the edge: b knew from the watermarks in etcd what the node had.
    expect(await edgeStore.revision() - before).toBe(2)
    expect(applied).toBeGreaterThanOrEqual(3)
  })
})
