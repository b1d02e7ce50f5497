import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCA, issueCert } from '@edgemesh/common'
import type { ResourceDefinition } from '@edgemesh/kube/machinery'
import { OpenApiPublisher, OpenApiValidator, SchemaIndex, applyCrd } from '../../src/openapi/index.js'
import { crd } from './fixtures.js'

// Serves only what kubectl needs for explain and server-side validation, from a real HTTPS
// socket, and drives the real kubectl (see notes/kubectl-needs.md for the dispatcher traps).
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0
if (!hasKubectl) console.log('kubectl not on PATH: skipping kubectl explain/validation integration tests')

const resources: ResourceDefinition[] = [
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', singular: 'deployment', namespaced: true, shortNames: ['deploy'], subresources: ['status', 'scale'] },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap', namespaced: true, shortNames: ['cm'] },
  { group: 'devices.kubeedge.io', version: 'v1beta1', resource: 'devices', kind: 'Device', singular: 'device', namespaced: true }
]

interface Seen { method: string, url: string }

function send (res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache, private' })
  res.end(typeof body === 'string' ? body : JSON.stringify(body))
}

describe('kubectl against the OpenAPI v3 documents', () => {
  let server: Server
  let dir: string
  let kubeconfig: string
  const seen: Seen[] = []
  const index = new SchemaIndex()
  applyCrd(index, crd)
  const publisher = new OpenApiPublisher({ index, resources: () => resources })
  const validator = new OpenApiValidator({ index })

  beforeAll(async () => {
    if (!hasKubectl) return
    dir = mkdtempSync(join(tmpdir(), 'openapi-kubectl-'))
    const ca = await createCA({ commonName: 'test-ca' })
    const tls = await issueCert(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
    server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x')
      seen.push({ method: req.method ?? '', url: req.url ?? '' })
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const p = url.pathname
        if (p === '/version') return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' })
        if (p === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'] })
        if (p === '/apis') return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: ['apps/v1', 'devices.kubeedge.io/v1beta1'].map(gv => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: gv.split('/')[1] }], preferredVersion: { groupVersion: gv, version: gv.split('/')[1] } })) })
        if (p === '/api/v1' || p === '/apis/apps/v1' || p === '/apis/devices.kubeedge.io/v1beta1') {
          const gv = p === '/api/v1' ? 'v1' : p.slice('/apis/'.length)
          const list = resources.filter(r => (r.group === '' ? 'v1' : `${r.group}/${r.version}`) === gv)
            .map(r => ({ name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], shortNames: r.shortNames ?? [] }))
          return send(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: list })
        }
        if (p === '/openapi/v3') return send(res, 200, publisher.rootJson())
        if (p.startsWith('/openapi/v3/')) {
          const doc = publisher.document(p.slice('/openapi/v3/'.length))
          if (doc !== undefined) return send(res, 200, doc.json)
        }
        if (req.method === 'POST' && p === '/apis/apps/v1/namespaces/default/deployments') {
          const obj = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
          const result = validator.validate({ group: 'apps', version: 'v1', kind: 'Deployment' }, obj)
          if (url.searchParams.get('fieldValidation') === 'Strict' && result.unknownFields.length > 0) {
            return send(res, 400, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'BadRequest', code: 400, message: `strict decoding error: ${result.unknownFields.map(f => `unknown field "${f}"`).join(', ')}` })
          }
          return send(res, 201, obj)
        }
        send(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'the server could not find the requested resource' })
      })
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const addr = server.address()
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0
    kubeconfig = join(dir, 'kubeconfig')
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: t',
      'clusters:', '- name: t', '  cluster:', `    server: https://127.0.0.1:${port}`, '    insecure-skip-tls-verify: true',
      'users:', '- name: u', '  user:', '    token: test',
      'contexts:', '- name: t', '  context:', '    cluster: t', '    user: u', '    namespace: default'
    ].join('\n'))
  })

  afterAll(async () => {
    if (server !== undefined) await new Promise<void>(resolve => server.close(() => resolve()))
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  const kubectl = async (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> =>
    await new Promise(resolve => {
      execFile('kubectl', [...args, '--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache')], { env: { ...process.env, HOME: dir, KUBECACHEDIR: join(dir, 'cache') }, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : (typeof err.code === 'number' ? err.code : 1), stdout, stderr })
      })
    })

  it.skipIf(!hasKubectl)('explains deployment.spec.replicas from the apps/v1 document', async () => {
    const r = await kubectl('explain', 'deployment.spec.replicas')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/FIELD:\s+replicas\s+<integer>/)
    expect(r.stdout).toContain('Number of desired pods')
  })

  it.skipIf(!hasKubectl)('explains nested container fields recursively through $ref and allOf', async () => {
    const r = await kubectl('explain', 'deployment.spec.template.spec.containers', '--recursive')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('imagePullPolicy')
    expect(r.stdout).toContain('containerPort')
  })

  it.skipIf(!hasKubectl)('explains a custom resource from its CRD schema', async () => {
    const r = await kubectl('explain', 'device.spec.nodeName')
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/FIELD:\s+nodeName\s+<string>/)
    expect(r.stdout).toContain('devices.kubeedge.io')
  })

  it.skipIf(!hasKubectl)('makes kubectl create ask the server for strict validation instead of failing on missing v2', async () => {
    const file = join(dir, 'ok.yaml')
    writeFileSync(file, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n')
    const r = await kubectl('create', '-f', file)
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('deployment.apps/web created')
    const post = seen.find(s => s.method === 'POST')
    expect(post?.url).toContain('fieldValidation=Strict')
  })

  it.skipIf(!hasKubectl)('shows the unknown nested field the validator found', async () => {
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n        bogus: 1\n')
    const r = await kubectl('create', '-f', file)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('unknown field "spec.template.spec.containers[0].bogus"')
  })
})
