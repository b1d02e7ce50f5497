import type { KubeObject } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiServer } from '../../src/api-server/server.js'
import { fakeValidator, testCore, type TestCore } from './helpers/core.js'
import { caller, makePki, startServer, watchLines, type Caller, type Pki } from './helpers/https.js'

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'
const AGG_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'
const CMS = '/api/v1/namespaces/default/configmaps'

let pki: Pki
let core: TestCore
let server: ApiServer
let admin: Caller
const token = 'tok-0123456789abcdef'

beforeAll(async () => {
  pki = await makePki()
  core = await testCore({ validator: fakeValidator, bookmarkIntervalMs: 100 })
  core.registry.register({
    group: 'test.edgemesh.io', version: 'v1', resource: 'explodes', kind: 'Explode', singular: 'explode', namespaced: true,
    prepareForCreate: () => { throw new Error('kaboom') }
  })
  server = await startServer(core, pki, { bodyLimit: 64 * 1024 }, new Map([[token, { name: 'tok-user', groups: ['system:masters'] }]]))
  admin = caller(server.port, pki, { cert: pki.admin })
})
afterAll(async () => {
  await server.stop()
  await core.close()
})

const cmBody = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' }, ...extra })

describe('discovery', () => {
  it('reports version 1.32 so the kubectl dispatcher picks its built-in kubectl', async () => {
    const r = await admin('GET', '/version?timeout=5s')
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0' })
    expect(r.headers['cache-control']).toBe('no-cache, private')
    expect(r.headers['content-type']).toBe('application/json')
  })

  it('serves legacy /api and /apis for plain JSON accepts', async () => {
    expect((await admin('GET', '/api')).json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] })
    const apis = await admin('GET', '/apis', { accept: 'application/json, */*' })
    expect(apis.json.kind).toBe('APIGroupList')
    expect(apis.json.groups.map((g: { name: string }) => g.name)).toEqual(['apps', 'coordination.k8s.io', 'test.edgemesh.io'])
    expect(apis.json.groups[0].preferredVersion).toEqual({ groupVersion: 'apps/v1', version: 'v1' })
  })

  it('serves aggregated discovery with the exact content type kubectl requires', async () => {
    const r = await admin('GET', '/apis?timeout=32s', { accept: AGG_ACCEPT })
    expect(r.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')
    const apps = r.json.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'apps')
    const deploy = apps.versions[0].resources.find((x: { resource: string }) => x.resource === 'deployments')
    expect(deploy).toMatchObject({ responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, scope: 'Namespaced', shortNames: ['deploy'] })
    expect(deploy.subresources).toContainEqual({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] })
    const core1 = await admin('GET', '/api', { accept: AGG_ACCEPT })
    expect(core1.json.items[0].metadata.name).toBe('')
    expect(core1.json.items[0].versions[0].resources.map((x: { resource: string }) => x.resource)).toContain('pods')
  })

  it('lists resources and subresources for a group version', async () => {
    const r = await admin('GET', '/apis/apps/v1')
    expect(r.json).toMatchObject({ kind: 'APIResourceList', groupVersion: 'apps/v1' })
    expect(r.json.resources).toContainEqual(expect.objectContaining({ name: 'deployments', namespaced: true, kind: 'Deployment', shortNames: ['deploy'] }))
    expect(r.json.resources).toContainEqual(expect.objectContaining({ name: 'deployments/scale', group: 'autoscaling', version: 'v1', kind: 'Scale' }))
    const v1 = await admin('GET', '/api/v1')
    expect(v1.json.resources).toContainEqual(expect.objectContaining({ name: 'pods/status', kind: 'Pod' }))
    expect((await admin('GET', '/apis/nope/v1')).status).toBe(404)
  })

  it('answers /openapi/v2 with 404 so kubectl uses its compiled-in types', async () => {
    expect((await admin('GET', '/openapi/v2')).status).toBe(404)
  })
})

describe('resource verbs over HTTPS', () => {
  it('creates, gets, updates with conflict detection and deletes', async () => {
    const c = await admin('POST', `${CMS}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict`, { body: cmBody('crud') })
    expect(c.status).toBe(201)
    expect(c.json.metadata.resourceVersion).toMatch(/^\d+$/)
    const g = await admin('GET', `${CMS}/crud`)
    expect(g.json.data).toEqual({ k: 'v' })
    const u = await admin('PUT', `${CMS}/crud`, { body: { ...g.json, data: { k: 'v2' } } })
    expect(u.status).toBe(200)
    const stale = await admin('PUT', `${CMS}/crud`, { body: { ...g.json, data: { k: 'v3' } } })
    expect(stale.status).toBe(409)
    expect(stale.json).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 })
    const d = await admin('DELETE', `${CMS}/crud`, { body: { propagationPolicy: 'Background' } })
    expect(d.json).toMatchObject({ kind: 'Status', status: 'Success' })
    const gone = await admin('GET', `${CMS}/crud`)
    expect(gone.status).toBe(404)
    expect(gone.json.message).toBe('configmaps "crud" not found')
  })

  it('answers a duplicate create with 409 AlreadyExists', async () => {
    await admin('POST', CMS, { body: cmBody('dup') })
    const r = await admin('POST', CMS, { body: cmBody('dup') })
    expect(r.status).toBe(409)
    expect(r.json.reason).toBe('AlreadyExists')
  })

  it('generates names from generateName', async () => {
    const r = await admin('POST', CMS, { body: { metadata: { generateName: 'gen-' }, data: {} } })
    expect(r.status).toBe(201)
    expect(r.json.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/)
  })

  it('accepts YAML bodies', async () => {
    const r = await admin('POST', CMS, { raw: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yml\ndata:\n  a: "1"\n', contentType: 'application/yaml' })
    expect(r.status).toBe(201)
    expect(r.json.data).toEqual({ a: '1' })
  })

  it('does not persist dryRun=All writes', async () => {
    const before = await core.store.revision()
    const r = await admin('POST', `${CMS}?dryRun=All`, { body: cmBody('dry') })
    expect(r.status).toBe(201)
    expect(await core.store.revision()).toBe(before)
    expect((await admin('GET', `${CMS}/dry`)).status).toBe(404)
  })

  it('patches with merge patch and through the status and scale subresources', async () => {
    await admin('POST', '/apis/apps/v1/namespaces/default/deployments', { body: { metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } } } } })
    const p = await admin('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { raw: '{"spec":{"replicas":5}}', contentType: 'application/merge-patch+json' })
    expect(p.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 5 }, status: { selector: 'app=web' } })
    const s = await admin('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/status', { raw: '{"status":{"readyReplicas":5}}', contentType: 'application/merge-patch+json' })
    expect(s.json.status).toEqual({ readyReplicas: 5 })
    expect(s.json.metadata.generation).toBe(2)
    const l = await admin('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { raw: '{"metadata":{"labels":{"x":"y"}}}', contentType: 'application/merge-patch+json' })
    expect(l.json.metadata.labels).toEqual({ x: 'y' })
  })

  it('keeps an object with finalizers until they are removed', async () => {
    await admin('POST', CMS, { body: { ...cmBody('fin'), metadata: { name: 'fin', finalizers: ['example.com/x'] } } })
    const d = await admin('DELETE', `${CMS}/fin`)
    expect(d.json.metadata.deletionTimestamp).toBeDefined()
    expect((await admin('GET', `${CMS}/fin`)).status).toBe(200)
    await admin('PATCH', `${CMS}/fin`, { raw: '{"metadata":{"finalizers":null}}', contentType: 'application/merge-patch+json' })
    expect((await admin('GET', `${CMS}/fin`)).status).toBe(404)
  })

  it('paginates lists with limit and continue', async () => {
    for (const n of ['pa', 'pb', 'pc']) await admin('POST', '/api/v1/namespaces/kube-system/configmaps', { body: cmBody(n) })
    const p1 = await admin('GET', '/api/v1/namespaces/kube-system/configmaps?limit=2')
    expect(p1.json.items.map((i: KubeObject) => i.metadata.name)).toEqual(['pa', 'pb'])
    const p2 = await admin('GET', `/api/v1/namespaces/kube-system/configmaps?limit=2&continue=${encodeURIComponent(p1.json.metadata.continue)}`)
    expect(p2.json.items.map((i: KubeObject) => i.metadata.name)).toEqual(['pc'])
    expect(p2.json.metadata.continue).toBeUndefined()
  })

  it('filters by label and field selectors across namespaces', async () => {
    await admin('POST', CMS, { body: { ...cmBody('lab1'), metadata: { name: 'lab1', labels: { team: 'a' } } } })
    await admin('POST', '/api/v1/namespaces/kube-system/configmaps', { body: { ...cmBody('lab2'), metadata: { name: 'lab2', labels: { team: 'a' } } } })
    const all = await admin('GET', `/api/v1/configmaps?labelSelector=${encodeURIComponent('team in (a)')}`)
    expect(all.json.items.map((i: KubeObject) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(['default/lab1', 'kube-system/lab2'])
    const one = await admin('GET', `/api/v1/configmaps?labelSelector=team%3Da&fieldSelector=metadata.namespace%3Dkube-system`)
    expect(one.json.items).toHaveLength(1)
    expect((await admin('GET', '/api/v1/configmaps?labelSelector=%3D%3D%3D')).status).toBe(400)
  })

  it('returns Tables with kubectl-formatted ages and PartialObjectMetadata rows', async () => {
    await admin('POST', CMS, { body: { ...cmBody('tbl'), metadata: { name: 'tbl', labels: { l: '1' } } } })
    const r = await admin('GET', `${CMS}?limit=500`, { accept: TABLE_ACCEPT })
    expect(r.json).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' })
    expect(r.json.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Data', 'Age'])
    const row = r.json.rows.find((x: { cells: unknown[] }) => x.cells[0] === 'tbl')
    expect(row.cells[1]).toBe(1)
    expect(row.cells[2]).toMatch(/^\d+s$/)
    expect(row.object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'tbl', labels: { l: '1' } } })
    const full = await admin('GET', `${CMS}/tbl?includeObject=Object`, { accept: TABLE_ACCEPT })
    expect(full.json.rows[0].object.kind).toBe('ConfigMap')
  })

  it('orders priority-0 columns before Age and wide columns after it', async () => {
    await admin('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'pod1' }, spec: { nodeName: 'n1' } } })
    const r = await admin('GET', '/api/v1/namespaces/default/pods/pod1', { accept: TABLE_ACCEPT })
    expect(r.json.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Status', 'Age', 'Node'])
    expect(r.json.columnDefinitions[3].priority).toBe(1)
    expect(r.json.rows[0].cells[3]).toBe('n1')
  })

  it('deletes a collection by label selector', async () => {
    for (const n of ['dc1', 'dc2', 'dc3']) await admin('POST', CMS, { body: { ...cmBody(n), metadata: { name: n, labels: { dc: n === 'dc3' ? 'keep' : 'drop' } } } })
    const r = await admin('DELETE', `${CMS}?labelSelector=dc%3Ddrop`)
    expect(r.status).toBe(200)
    expect(r.json.items.map((i: KubeObject) => i.metadata.name)).toEqual(['dc1', 'dc2'])
    expect((await admin('GET', `${CMS}?labelSelector=dc`)).json.items.map((i: KubeObject) => i.metadata.name)).toEqual(['dc3'])
  })

  it('binds a pod once and refuses a second binding', async () => {
    await admin('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'unbound' }, spec: {} } })
    const b = await admin('POST', '/api/v1/namespaces/default/pods/unbound/binding', { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'unbound' }, target: { kind: 'Node', name: 'n2' } } })
    expect(b.status).toBe(201)
    expect((await admin('GET', '/api/v1/namespaces/default/pods/unbound')).json.spec.nodeName).toBe('n2')
    expect((await admin('POST', '/api/v1/namespaces/default/pods/unbound/binding', { body: { target: { name: 'n3' } } })).status).toBe(409)
  })
})

describe('watch over HTTPS', () => {
  it('streams ordered events from a resourceVersion, one JSON object per line', async () => {
    const start = await admin('POST', CMS, { body: cmBody('w1') })
    const rv = start.json.metadata.resourceVersion as string
    const res = await watchLines(server.port, pki, `${CMS}?watch=true&resourceVersion=${rv}`, 3, {
      onOpen: async () => {
        await admin('POST', CMS, { body: cmBody('w2') })
        await admin('PATCH', `${CMS}/w1`, { raw: '{"data":{"k":"x"}}', contentType: 'application/merge-patch+json' })
        await admin('DELETE', `${CMS}/w2`)
      }
    })
    expect(res.status).toBe(200)
    expect(res.events.map(e => `${e.type}:${e.object.metadata.name}`)).toEqual(['ADDED:w2', 'MODIFIED:w1', 'DELETED:w2'])
  })

  it('sends the current object as a synthetic ADDED at resourceVersion 0 on the legacy /watch path', async () => {
    await admin('POST', CMS, { body: cmBody('w0') })
    const res = await watchLines(server.port, pki, '/api/v1/watch/namespaces/default/configmaps?fieldSelector=metadata.name%3Dw0&resourceVersion=0', 1)
    expect(res.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'w0' } } })
  })

  it('sends one-row Tables when watching with the Table accept header', async () => {
    await admin('POST', CMS, { body: cmBody('wt') })
    const res = await watchLines(server.port, pki, `${CMS}?watch=true&fieldSelector=metadata.name%3Dwt&resourceVersion=0`, 1, { accept: TABLE_ACCEPT })
    expect(res.events[0].object.kind).toBe('Table')
    expect(res.events[0].object.rows[0].cells[0]).toBe('wt')
  })

  it('sends bookmarks and honours timeoutSeconds', async () => {
    const rv = (await admin('GET', CMS)).json.metadata.resourceVersion as string
    const t0 = Date.now()
    const res = await watchLines(server.port, pki, `${CMS}?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${rv}`, 1000)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(res.events.length).toBeGreaterThan(0)
    expect(res.events.every(e => e.type === 'BOOKMARK')).toBe(true)
  })

  it('ends a watch from a compacted revision with an ERROR event carrying 410 Expired', async () => {
    const a = await admin('POST', CMS, { body: cmBody('old') })
    await admin('PATCH', `${CMS}/old`, { raw: '{"data":{"k":"1"}}', contentType: 'application/merge-patch+json' })
    await core.store.compact(await core.store.revision())
    const res = await watchLines(server.port, pki, `${CMS}?watch=true&resourceVersion=${String(a.json.metadata.resourceVersion)}`, 5)
    expect(res.events).toHaveLength(1)
    expect(res.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })
  })

  it('counts open watchers in /metrics', async () => {
    const m = await admin('GET', '/metrics')
    expect(m.text).toContain('edgemesh_apiserver_requests_total{verb="create",resource="configmaps",code="201"}')
    expect(m.text).toMatch(/edgemesh_apiserver_watchers \d+/)
  })
})

describe('authentication and authorization', () => {
  it('answers 401 without credentials and with a certificate from another CA', async () => {
    const anon = await caller(server.port, pki)('GET', '/api/v1/namespaces')
    expect(anon.status).toBe(401)
    expect(anon.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 })
    expect((await caller(server.port, pki, { cert: pki.foreign })('GET', '/api/v1/namespaces')).status).toBe(401)
    expect((await caller(server.port, pki, { token: 'wrong-token-xxxxxxxx' })('GET', '/api/v1/namespaces')).status).toBe(401)
  })

  it('accepts a bearer token from the token map', async () => {
    expect((await caller(server.port, pki, { token })('GET', '/api/v1/namespaces')).status).toBe(200)
  })

  it('prefers a verified client certificate over a bad bearer token', async () => {
    expect((await caller(server.port, pki, { cert: pki.admin, token: 'wrong-token-xxxxxxxx' })('GET', '/api/v1/namespaces')).status).toBe(200)
  })

  it('serves health endpoints without credentials', async () => {
    expect((await caller(server.port, pki)('GET', '/healthz')).text).toBe('ok')
  })

  it('lets a node write its own Node and forbids writing another node', async () => {
    const node = caller(server.port, pki, { cert: pki.node1 })
    expect((await node('POST', '/api/v1/nodes', { body: { metadata: { name: 'n1' } } })).status).toBe(201)
    const other = await node('POST', '/api/v1/nodes', { body: { metadata: { name: 'n2' } } })
    expect(other.status).toBe(403)
    expect(other.json.reason).toBe('Forbidden')
    expect((await node('GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200)
    expect((await node('POST', CMS, { body: cmBody('by-node') })).status).toBe(403)
  })

  it('lets a node update the status of pods bound to it only', async () => {
    await admin('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'on-n1' }, spec: { nodeName: 'n1' } } })
    await admin('POST', '/api/v1/namespaces/default/pods', { body: { metadata: { name: 'on-n9' }, spec: { nodeName: 'n9' } } })
    const node = caller(server.port, pki, { cert: pki.node1 })
    const patch = { raw: '{"status":{"phase":"Running"}}', contentType: 'application/merge-patch+json' }
    expect((await node('PATCH', '/api/v1/namespaces/default/pods/on-n1/status', patch)).status).toBe(200)
    expect((await node('PATCH', '/api/v1/namespaces/default/pods/on-n9/status', patch)).status).toBe(403)
  })

  it('lets the mesh agent read services but not configmaps, and others nothing', async () => {
    const mesh = caller(server.port, pki, { cert: pki.mesh })
    expect((await mesh('GET', '/api/v1/services')).status).toBe(200)
    expect((await mesh('GET', '/api/v1/configmaps')).status).toBe(403)
    expect((await caller(server.port, pki, { cert: pki.plain })('GET', '/api/v1/services')).status).toBe(403)
  })
})

describe('bad input', () => {
  async function unchanged (fn: () => Promise<void>): Promise<void> {
    const before = await core.store.revision()
    await fn()
    expect(await core.store.revision()).toBe(before)
    expect((await admin('GET', '/healthz')).status).toBe(200)
  }

  it('rejects malformed JSON with 400', async () => {
    await unchanged(async () => {
      const r = await admin('POST', CMS, { raw: '{"metadata": {', contentType: 'application/json' })
      expect(r.status).toBe(400)
      expect(r.json.reason).toBe('BadRequest')
    })
  })

  it('rejects malformed YAML with 400', async () => {
    await unchanged(async () => {
      expect((await admin('POST', CMS, { raw: 'metadata: [\n  name: x', contentType: 'application/yaml' })).status).toBe(400)
    })
  })

  it('rejects an apiVersion or kind that does not match the URL', async () => {
    await unchanged(async () => {
      const r = await admin('POST', CMS, { body: { ...cmBody('wrongv'), apiVersion: 'apps/v1' } })
      expect(r.status).toBe(400)
      expect(r.json.message).toContain('does not match the expected API version')
      expect((await admin('POST', CMS, { body: { ...cmBody('wrongk'), kind: 'Secret' } })).status).toBe(400)
    })
  })

  it('rejects unknown fields under fieldValidation=Strict with a strict decoding error', async () => {
    await unchanged(async () => {
      const r = await admin('POST', '/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict', { body: { metadata: { name: 'strict' }, spec: { bogus: 1 } } })
      expect(r.status).toBe(400)
      expect(r.json.message).toBe('strict decoding error: unknown field "spec.bogus"')
    })
  })

  it('warns about unknown fields under fieldValidation=Warn', async () => {
    const r = await admin('POST', '/apis/apps/v1/namespaces/default/deployments?fieldValidation=Warn', { body: { metadata: { name: 'warned' }, spec: { bogus: 1 } } })
    expect(r.status).toBe(201)
    expect(r.headers.warning).toBe('299 - "unknown field \\"spec.bogus\\""')
  })

  it('warns rather than rejects unknown fields when fieldValidation is absent, as kube-apiserver does', async () => {
    const r = await admin('POST', '/apis/apps/v1/namespaces/default/deployments', { body: { metadata: { name: 'nofv' }, spec: { bogus: 1 } } })
    expect(r.status).toBe(201)
    expect(r.headers.warning).toContain('unknown field')
  })

  it('rejects a body over the limit with 413', async () => {
    await unchanged(async () => {
      const r = await admin('POST', CMS, { body: cmBody('big', { data: { k: 'x'.repeat(70 * 1024) } }) })
      expect(r.status).toBe(413)
      expect(r.json.reason).toBe('RequestEntityTooLarge')
    })
  })

  it('rejects names with path traversal in the URL and in the body', async () => {
    await unchanged(async () => {
      expect((await admin('GET', `${CMS}/..%2F..%2Fsecrets`)).status).toBe(400)
      expect((await admin('GET', '/api/v1/namespaces/../configmaps/x')).status).toBe(400)
      expect((await admin('PUT', `${CMS}/a%2Fb`, { body: cmBody('a/b') })).status).toBe(400)
      expect((await admin('POST', CMS, { body: cmBody('../x') })).status).toBe(422)
    })
  })

  it('rejects protobuf bodies with 415 and a clear message', async () => {
    await unchanged(async () => {
      const r = await admin('POST', CMS, { raw: Buffer.from([0x6b, 0x38, 0x73, 0x00]), contentType: 'application/vnd.kubernetes.protobuf' })
      expect(r.status).toBe(415)
      expect(r.json.message).toContain('application/json')
    })
  })

  it('turns unexpected errors into a 500 InternalError Status and keeps serving', async () => {
    await unchanged(async () => {
      const r = await admin('POST', '/apis/test.edgemesh.io/v1/namespaces/default/explodes', { body: { metadata: { name: 'x' } } })
      expect(r.status).toBe(500)
      expect(r.json).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 })
    })
  })

  it('answers unknown resources with 404 and unknown methods with 405', async () => {
    expect((await admin('GET', '/api/v1/namespaces/default/widgets')).status).toBe(404)
    expect((await admin('PUT', CMS, { body: cmBody('x') })).status).toBe(405)
  })
})
