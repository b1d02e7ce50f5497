// The meta-server as local clients use it: the real kubectl and a client-node informer against
// 127.0.0.1, served from the node's cache that the meta-manager fills from downstream messages.
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node'
import { eventually, silentLogger } from '@edgemesh/common'
import { builtinResourceInfo, DefaultResourceRegistry } from '@edgemesh/kube/server'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetaManager } from '../../src/meta-manager/index.js'
import { MetaServer } from '../../src/meta-server/index.js'
import { downstream, pod, podDelete } from '../meta-manager/helpers.js'

function kubectl (kubeconfig: string, ...args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise(resolve => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''; let stderr = ''
    child.stdout.on('data', d => { stdout += String(d) })
    child.stderr.on('data', d => { stderr += String(d) })
    child.on('close', code => { resolve({ code, stdout, stderr }) })
  })
}

describe('meta-server', () => {
  let dir: string
  let store: SqliteStore
  let meta: MetaManager
  let server: MetaServer
  let kubeconfig: string
  let kc: KubeConfig

  const open = async (): Promise<void> => {
    store = sqliteStore({ dataDir: dir, compactIntervalMs: 0 })
    await store.start()
    const registry = new DefaultResourceRegistry(builtinResourceInfo())
    meta = new MetaManager({ store, registry, logger: silentLogger() })
    server = new MetaServer({ store, registry, logger: silentLogger() }, { port: 0 })
    await server.start()
    kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{ name: edge, cluster: { server: "http://127.0.0.1:${server.port}", insecure-skip-tls-verify: true } }]
users: [{ name: local, user: {} }]
contexts: [{ name: edge, context: { cluster: edge, user: local, namespace: shop } }]
current-context: edge
`)
    kc = new KubeConfig()
    kc.loadFromFile(kubeconfig)
  }
  const close = async (): Promise<void> => {
    await server?.stop()
    await store?.stop()
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meta-server-'))
    await open()
    await meta.apply(...downstream('insert', 'shop/pod/web-1', pod('web-1', '101')))
    await meta.apply(...downstream('insert', 'shop/pod/db-1', pod('db-1', '102', { metadata: { name: 'db-1', namespace: 'shop', uid: 'uid-db-1', resourceVersion: '102', labels: { app: 'db' } } })))
    await meta.apply(...downstream('insert', 'shop/service/web', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop', uid: 's1', resourceVersion: '103' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] } }))
  }, 60_000)

  afterAll(async () => {
    await close()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('serves kubectl the cached pods and services as Tables, with label selectors', async () => {
    const pods = await kubectl(kubeconfig, 'get', 'pods', '-o', 'wide')
    expect(pods.stderr).toBe('')
    expect(pods.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/)
    expect(pods.stdout).toMatch(/^web-1\s+0\/1\s+Running\s+0\s+\S+\s+10\.244\.1\.5\s+edge-a/m)
    const selected = await kubectl(kubeconfig, 'get', 'pods', '-l', 'app=db', '-o', 'name')
    expect(selected.stdout.trim()).toBe('pod/db-1')
    const svc = await kubectl(kubeconfig, 'get', 'svc', 'web')
    expect(svc.stdout).toMatch(/^web\s+ClusterIP\s+10\.96\.0\.20\s+<none>\s+80\/TCP/m)
  })

  it('answers writes 503 with a Status that says they belong to the cloud, and stores nothing', async () => {
    const before = await store.revision()
    const r = await kubectl(kubeconfig, 'delete', 'pod', 'web-1')
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/must go to the cloud API server/)
    await expect(kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'x' } } })).rejects.toMatchObject({ code: 503 })
    expect(await store.revision()).toBe(before)
  })

  it('feeds a client-node informer: what the meta-manager applies shows up as add, update and delete', async () => {
    const api = kc.makeApiClient(CoreV1Api)
    const informer = makeInformer(kc, '/api/v1/namespaces/shop/pods', async () => await api.listNamespacedPod({ namespace: 'shop' }))
    const seen: string[] = []
    informer.on('add', (p: V1Pod) => { seen.push(`add ${p.metadata?.name ?? ''}`) })
    informer.on('update', (p: V1Pod) => { seen.push(`update ${p.metadata?.name ?? ''} ${p.status?.phase ?? ''}`) })
    informer.on('delete', (p: V1Pod) => { seen.push(`delete ${p.metadata?.name ?? ''}`) })
    await informer.start()
    try {
      await eventually(() => seen.length >= 2, 10_000, 'initial adds')
      await meta.apply(...downstream('update', 'shop/pod/web-1', pod('web-1', '110', { status: { phase: 'Succeeded' } })))
      await meta.apply(...downstream('delete', 'shop/pod/db-1', podDelete('db-1', '111')))
      await meta.apply(...downstream('insert', 'shop/pod/web-2', pod('web-2', '112')))
      await eventually(() => seen.includes('add web-2'), 10_000, 'changes')
      expect(seen.sort()).toEqual(['add db-1', 'add web-1', 'add web-2', 'delete db-1', 'update web-1 Succeeded'])
    } finally {
      await informer.stop()
    }
  })

  it('serves the same objects and resourceVersions after a restart (node autonomy across reboots)', async () => {
    const before = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'shop' })
    await close()
    await open()
    const after = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'shop' })
    const view = (l: typeof before): string[] => l.items.map(p => `${p.metadata?.name ?? ''}@${p.metadata?.resourceVersion ?? ''}`).sort()
    expect(view(after)).toEqual(view(before))
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion)
  })
})
