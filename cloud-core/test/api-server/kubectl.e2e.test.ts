import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { silentLogger } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiCore } from '../../src/api-server/api-core.js'
import type { ApiServer } from '../../src/api-server/server.js'
import { sqliteStore, type SqliteStore } from '../../src/store/sqlite-store.js'
import { makePki, startServer } from './helpers/https.js'

const run = promisify(execFile)
const hasKubectl = await run('kubectl', ['version', '--client']).then(() => true, () => false)
if (!hasKubectl) console.log('kubectl e2e skipped: kubectl is not on PATH (scripts/ensure-deps.sh installs it)')

let dir: string
let store: SqliteStore
let server: ApiServer

async function kubectl (...args: string[]): Promise<{ code: number, out: string, err: string }> {
  try {
    const r = await run('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], { timeout: 60_000 })
    return { code: 0, out: r.stdout, err: r.stderr }
  } catch (e) {
    const x = e as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof x.code === 'number' ? x.code : 1, out: x.stdout ?? '', err: x.stderr ?? '' }
  }
}

const DEPLOY = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
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

beforeAll(async () => {
  if (!hasKubectl) return
  dir = mkdtempSync(join(tmpdir(), 'h4-kubectl-'))
  store = sqliteStore({ dataDir: dir, compactIntervalMs: 0 })
  await store.start()
  const core = await createApiCore({ store, logger: silentLogger() })
  const pki = await makePki()
  server = await startServer(core, pki)
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
  await server.stop()
  await store.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('kubectl 1.32 against the api server', () => {
  it.skipIf(!hasKubectl)('lists namespaces as a table', async () => {
    const r = await kubectl('get', 'ns')
    expect(r.err).toBe('')
    expect(r.out).toMatch(/^NAME\s+STATUS\s+AGE/)
    expect(r.out).toContain('kube-system')
  })

  it.skipIf(!hasKubectl)('applies a deployment, re-applies it unchanged, then changes the image', async () => {
    writeFileSync(join(dir, 'd.yaml'), DEPLOY('nginx:1.25'))
    expect((await kubectl('apply', '-f', join(dir, 'd.yaml'))).out.trim()).toBe('deployment.apps/web created')
    expect((await kubectl('apply', '-f', join(dir, 'd.yaml'))).out.trim()).toBe('deployment.apps/web unchanged')
    writeFileSync(join(dir, 'd.yaml'), DEPLOY('nginx:1.26'))
    expect((await kubectl('apply', '-f', join(dir, 'd.yaml'))).out.trim()).toBe('deployment.apps/web configured')
    const img = await kubectl('get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[*].image}')
    expect(img.out).toBe('nginx:1.26')
  })

  it.skipIf(!hasKubectl)('server-side applies and scales', async () => {
    writeFileSync(join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: default}\ndata: {a: "1"}\n')
    expect((await kubectl('apply', '--server-side', '-f', join(dir, 'cm.yaml'))).out.trim()).toBe('configmap/ssa serverside-applied')
    expect((await kubectl('scale', 'deploy/web', '--replicas=4')).out.trim()).toBe('deployment.apps/web scaled')
    expect((await kubectl('get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}')).out).toBe('4')
  })

  it.skipIf(!hasKubectl)('reports unknown fields from the server under strict validation', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, namespace: default}\nbogus: 1\n')
    const r = await kubectl('apply', '-f', join(dir, 'bad.yaml'))
    expect(r.code).not.toBe(0)
    expect(r.err).toContain('unknown field "bogus"')
  })

  it.skipIf(!hasKubectl)('follows changes with get -w', async () => {
    writeFileSync(join(dir, 'w.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched, namespace: default}\ndata: {a: "1"}\n')
    await kubectl('apply', '-f', join(dir, 'w.yaml'))
    const child = spawn('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), 'get', 'configmap', 'watched', '-w', '--no-headers'])
    let out = ''
    const lines = async (n: number): Promise<void> => {
      const deadline = Date.now() + 30_000
      while (out.trim().split('\n').filter(l => l !== '').length < n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} lines, got: ${out}`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    try {
      await lines(1)
      await kubectl('patch', 'configmap', 'watched', '--type=merge', '-p', '{"data":{"b":"2"}}')
      await lines(2)
      expect(out.trim().split('\n').map(l => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['watched 1', 'watched 2'])
    } finally {
      child.kill()
    }
  })

  it.skipIf(!hasKubectl)('deletes and waits for the object to disappear', async () => {
    expect((await kubectl('delete', 'configmap', 'ssa')).out.trim()).toBe('configmap "ssa" deleted')
    const r = await kubectl('get', 'configmap', 'ssa')
    expect(r.err).toContain('NotFound')
  })
})
