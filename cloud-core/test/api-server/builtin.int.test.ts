import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiCore, type ApiCore } from '../../src/api-server/api-core.js'
import type { ApiServer } from '../../src/api-server/server.js'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { caller, makePki, startServer, type Caller, type Pki } from './helpers/https.js'

// The default wiring: built-in resources, OpenAPI validation, strategic merge and server-side apply.
let dir: string
let store: SqliteStore
let core: ApiCore
let server: ApiServer
let pki: Pki
let admin: Caller

const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments'
const deployment = (image: string, containers = [{ name: 'nginx', image }]): Record<string, unknown> => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } }
})

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'h4-builtin-'))
  store = sqliteStore({ dataDir: dir, compactIntervalMs: 0 })
  await store.start()
  core = await createApiCore({ store, logger: silentLogger() })
  pki = await makePki()
  server = await startServer(core, pki)
  admin = caller(server.port, pki, { cert: pki.admin })
})
afterAll(async () => {
  await server.stop()
  await store.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('api server with the built-in wiring', () => {
  it('creates a Deployment and rejects unknown fields with the real schema', async () => {
    expect((await admin('POST', `${DEPLOYS}?fieldValidation=Strict`, { body: deployment('nginx:1.25') })).status).toBe(201)
    const bad = await admin('POST', `${DEPLOYS}?fieldValidation=Strict`, { body: { ...deployment('x'), metadata: { name: 'bad' }, spec: { ...(deployment('x').spec as object), bogus: true } } })
    expect(bad.status).toBe(400)
    expect(bad.json.message).toBe('strict decoding error: unknown field "spec.bogus"')
  })

  it('drops unknown fields under fieldValidation=Warn and says so', async () => {
    const r = await admin('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pruned' }, data: { a: '1' }, bogus: 1 } })
    expect(r.status).toBe(201)
    expect(r.headers.warning).toBe('299 - "unknown field \\"bogus\\""')
    expect(r.json.bogus).toBeUndefined()
    expect((await admin('GET', '/api/v1/namespaces/default/configmaps/pruned')).json.bogus).toBeUndefined()
  })

  it('merges container lists by name under strategic merge patch', async () => {
    await admin('PATCH', DEPLOYS + '/web', { raw: JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } } } }), contentType: 'application/strategic-merge-patch+json' })
    const r = await admin('GET', DEPLOYS + '/web')
    expect(r.json.spec.template.spec.containers.map((c: { name: string }) => c.name).sort()).toEqual(['nginx', 'sidecar'])
    expect(r.json.metadata.generation).toBe(2)
  })

  it('creates with server-side apply and records the field manager', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { a: '1' } }
    const r = await admin('PATCH', '/api/v1/namespaces/default/configmaps/ssa?fieldManager=kubectl&fieldValidation=Strict&force=false', { raw: JSON.stringify(cm), contentType: 'application/apply-patch+yaml' })
    expect(r.status).toBe(201)
    expect(r.json.metadata.managedFields[0].manager).toBe('kubectl')
    const again = await admin('PATCH', '/api/v1/namespaces/default/configmaps/ssa?fieldManager=kubectl&force=false', { raw: JSON.stringify({ ...cm, data: { a: '2' } }), contentType: 'application/apply-patch+yaml' })
    expect(again.status).toBe(200)
    expect(again.json.data).toEqual({ a: '2' })
  })

  it('answers an apply that takes another manager\'s field with 409 FieldManagerConflict causes', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa2' }, data: { a: '1' } }
    await admin('PATCH', '/api/v1/namespaces/default/configmaps/ssa2?fieldManager=one', { raw: JSON.stringify(cm), contentType: 'application/apply-patch+yaml' })
    const r = await admin('PATCH', '/api/v1/namespaces/default/configmaps/ssa2?fieldManager=two', { raw: JSON.stringify({ ...cm, data: { a: '2' } }), contentType: 'application/apply-patch+yaml' })
    expect(r.status).toBe(409)
    expect(r.json.details.causes[0].reason).toBe('FieldManagerConflict')
  })

  it('records field ownership for ordinary writes that name a fieldManager', async () => {
    const r = await admin('POST', '/api/v1/namespaces/default/configmaps?fieldManager=kubectl-client-side-apply', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned' }, data: { a: '1' } } })
    expect(r.json.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'kubectl-client-side-apply', operation: 'Update', fieldsType: 'FieldsV1' })])
    const p = await admin('PATCH', '/api/v1/namespaces/default/configmaps/owned?fieldManager=kubectl-patch', { raw: '{"data":{"b":"2"}}', contentType: 'application/merge-patch+json' })
    expect(p.json.metadata.managedFields.map((m: { manager: string }) => m.manager)).toEqual(['kubectl-client-side-apply', 'kubectl-patch'])
  })

  it('serves /openapi/v3 with a document per group version', async () => {
    const root = await admin('GET', '/openapi/v3')
    const url = root.json.paths['apis/apps/v1'].serverRelativeURL as string
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=/)
    const doc = await admin('GET', url)
    expect(doc.status).toBe(200)
    expect(doc.json.openapi).toMatch(/^3\./)
  })

  it('allocates a ClusterIP through the Service strategy', async () => {
    const r = await admin('POST', '/api/v1/namespaces/default/services', { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } })
    expect(r.status).toBe(201)
    expect(r.json.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
  })
})
