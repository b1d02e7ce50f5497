import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { silentLogger } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiCore } from '../../src/api-server/api-core.js'
import type { ApiServer } from '../../src/api-server/server.js'
import { createControllerManager, type ControllerManager } from '../../src/controllers/index.js'
import type { ObjectClient } from '@edgemesh/kube/machinery'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { makePki, startServer } from '../api-server/helpers/https.js'
import { createNode, listPods, markReady } from './helpers.js'

const run = promisify(execFile)
const hasKubectl = await run('kubectl', ['version', '--client']).then(() => true, () => false)
if (!hasKubectl) console.log('rollout status e2e skipped: kubectl is not on PATH (scripts/ensure-deps.sh installs it)')

let dir: string
let store: SqliteStore
let server: ApiServer
let manager: ControllerManager
let client: ObjectClient
const kubeletStop = new AbortController()

async function kubectl (...args: string[]): Promise<{ code: number, out: string, err: string }> {
  try {
    const r = await run('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], { timeout: 60_000 })
    return { code: 0, out: r.stdout, err: r.stderr }
  } catch (e) {
    const x = e as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof x.code === 'number' ? x.code : 1, out: x.stdout ?? '', err: x.stderr ?? '' }
  }
}

/** The test's kubelet: every bound pod becomes Running and Ready shortly after it appears. */
async function kubeletLoop (signal: AbortSignal): Promise<void> {
  let ip = 10
  while (!signal.aborted) {
    for (const p of await listPods(client).catch(() => [])) {
      const ready = p.status?.conditions?.some(x => x.type === 'Ready' && x.status === 'True') === true
      if ((p.spec?.nodeName ?? '') !== '' && !ready && p.metadata.deletionTimestamp === undefined) {
        await markReady(client, p, `10.244.9.${ip++ % 250}`).catch(() => undefined)
      }
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

const DEPLOY = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: ${image}
`

let kubelet: Promise<void> | undefined
beforeAll(async () => {
  if (!hasKubectl) return
  dir = mkdtempSync(join(tmpdir(), 'h6-rollout-'))
  store = sqliteStore({ dataDir: dir, compactIntervalMs: 0 })
  await store.start()
  const core = await createApiCore({ store, logger: silentLogger() })
  client = core.client
  const pki = await makePki()
  server = await startServer(core, pki)
  manager = createControllerManager({ client, logger: silentLogger(), resources: () => core.registry.all(), options: { nodeLifecycle: { nodeMonitorGracePeriodMs: 600_000 } } })
  await manager.start()
  for (const n of ['n1', 'n2']) await createNode(client, n)
  kubelet = kubeletLoop(kubeletStop.signal)
  const b64 = (s: string): string => Buffer.from(s).toString('base64')
  writeFileSync(join(dir, 'kubeconfig'), `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:${server.port}", certificate-authority-data: ${b64(pki.ca.certPem)}, tls-server-name: localhost}
users:
- name: admin
  user: {client-certificate-data: ${b64(pki.admin.certPem)}, client-key-data: ${b64(pki.admin.keyPem)}}
contexts:
- name: c
  context: {cluster: c, user: admin, namespace: default}
current-context: c
`)
})
afterAll(async () => {
  if (!hasKubectl) return
  kubeletStop.abort()
  await kubelet
  await manager.stop()
  await server.stop()
  await store.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('kubectl rollout status against the controllers', () => {
  it.skipIf(!hasKubectl)('reports a new deployment as successfully rolled out', async () => {
    writeFileSync(join(dir, 'web.yaml'), DEPLOY('nginx:1.25'))
    const applied = await kubectl('apply', '-f', join(dir, 'web.yaml'))
    expect(applied.err).toBe('')
    const r = await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s')
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toContain('deployment "web" successfully rolled out')
  })

  it.skipIf(!hasKubectl)('waits for a template change to roll out and then succeeds', async () => {
    writeFileSync(join(dir, 'web.yaml'), DEPLOY('nginx:1.26'))
    expect((await kubectl('apply', '-f', join(dir, 'web.yaml'))).code).toBe(0)
    const r = await kubectl('rollout', 'status', 'deployment/web', '--timeout=30s')
    expect(r.code).toBe(0)
    expect(r.out).toContain('successfully rolled out')
    const pods = await listPods(client, 'default', 'app=web')
    expect(pods.filter(p => p.metadata.deletionTimestamp === undefined).every(p => p.spec?.containers[0]?.image === 'nginx:1.26')).toBe(true)
    const history = await kubectl('rollout', 'history', 'deployment/web')
    expect(history.out).toMatch(/^2\s/m)
  })
})
