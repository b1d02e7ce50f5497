// A server built from kube alone, as edge-core's meta-server will be: the built-in kinds' info (no
// cloud write strategies), RestStorage over the SQLite store, plain HTTP on loopback. The real kubectl
// lists and prints Tables from it exactly as from the cloud.
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiError } from '../../src/machinery/errors.js'
import type { RequestUser } from '../../src/machinery/types.js'
import { ApiServer } from '../../src/server/api-server.js'
import { builtinResourceInfo } from '../../src/server/builtin/index.js'
import { DefaultResourceRegistry } from '../../src/server/registry.js'
import { RestStorage } from '../../src/server/rest-storage.js'
import { sqliteStore, type SqliteStore } from '../../src/storage/sqlite-store.js'

const ADMIN: RequestUser = { name: 'edge-local', groups: ['system:masters', 'system:authenticated'] }

function kubectl (kubeconfig: string, cacheDir: string, ...args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise(resolve => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''; let stderr = ''
    child.stdout.on('data', d => { stdout += String(d) })
    child.stderr.on('data', d => { stderr += String(d) })
    child.on('close', code => { resolve({ code, stdout, stderr }) })
  })
}

describe('a cache server from kube parts alone', () => {
  let dir: string
  let store: SqliteStore
  let server: ApiServer
  let storage: RestStorage
  let registry: DefaultResourceRegistry
  let kubeconfig: string
  const denied: string[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-cache-'))
    store = sqliteStore({ dataDir: dir })
    await store.start()
    registry = new DefaultResourceRegistry(builtinResourceInfo())
    storage = new RestStorage({ store, logger: silentLogger() })
    server = new ApiServer({
      registry,
      backend: storage,
      logger: silentLogger(),
      authenticate: () => ADMIN,
      authorizer: { authorize: async (user, a) => { if (a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch' && a.verb !== 'create') { denied.push(`${user.name} ${a.verb} ${a.resource}`); throw new ApiError('Forbidden', `${a.resource} is read-only here`) } } }
    }, { port: 0, host: '127.0.0.1' })
    await server.start()
    kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{ name: edge, cluster: { server: "http://127.0.0.1:${server.port}" } }]
users: [{ name: local, user: {} }]
contexts: [{ name: edge, context: { cluster: edge, user: local } }]
current-context: edge
`)
    const ns = registry.lookup('', 'v1', 'namespaces')!
    await storage.create(ns, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } })
    const pods = registry.lookup('', 'v1', 'pods')!
    await storage.create(pods, 'shop', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } },
      spec: { nodeName: 'edge-a', containers: [{ name: 'web', image: 'nginx' }] },
      status: { phase: 'Running', podIP: '10.244.1.5', containerStatuses: [{ name: 'web', ready: true, restartCount: 2, state: { running: {} } }] }
    })
    const svcs = registry.lookup('', 'v1', 'services')!
    await storage.create(svcs, 'shop', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] } })
  }, 60_000)

  afterAll(async () => {
    await server?.stop()
    await store?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('prints pods with the kube-apiserver columns (status, restarts, IP, node)', async () => {
    const r = await kubectl(kubeconfig, join(dir, 'cache'), 'get', 'pods', '-n', 'shop', '-o', 'wide')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const [header, row] = r.stdout.trim().split('\n')
    expect(header).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/)
    expect(row).toMatch(/^web-1\s+1\/1\s+Running\s+2\s+\S+\s+10\.244\.1\.5\s+edge-a\s+<none>\s+<none>$/)
  })

  it('prints a service as stored, without a ClusterIP allocator behind it', async () => {
    const r = await kubectl(kubeconfig, join(dir, 'cache'), 'get', 'svc', 'web', '-n', 'shop')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/web\s+ClusterIP\s+10\.96\.0\.20\s+<none>\s+80\/TCP/)
  })

  it('selects by label and field the way kubectl asks', async () => {
    const r = await kubectl(kubeconfig, join(dir, 'cache'), 'get', 'pods', '-A', '-l', 'app=web', '--field-selector', 'spec.nodeName=edge-a', '-o', 'name')
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe('pod/web-1')
    const none = await kubectl(kubeconfig, join(dir, 'cache'), 'get', 'pods', '-A', '--field-selector', 'spec.nodeName=edge-b', '-o', 'name')
    expect(none.stdout.trim()).toBe('')
  })

  it('asks its authorizer, so a cache server can refuse writes', async () => {
    const r = await kubectl(kubeconfig, join(dir, 'cache'), 'delete', 'pod', 'web-1', '-n', 'shop')
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('pods is read-only here')
    expect(denied).toContain('edge-local delete pods')
  })
})
