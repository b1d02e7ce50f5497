import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { validateMetadataShape } from '@edgemesh/kube/machinery'
import type { ApiServer } from '../../src/api-server/server.js'
import { fakeValidator, testCore, type TestCore } from './helpers/core.js'
import { caller, makePki, startServer, type Caller, type Pki } from './helpers/https.js'

let pki: Pki
let core: TestCore
let server: ApiServer
let admin: Caller

beforeAll(async () => {
  pki = await makePki()
  core = await testCore({ validator: fakeValidator })
  server = await startServer(core, pki)
  admin = caller(server.port, pki, { cert: pki.admin })
  await admin('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'target' }, data: { a: '1' } } })
})
afterAll(async () => {
  await server.stop()
  await core.close()
})

const PATCH_TYPES = ['application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json', 'application/json', 'application/yaml', 'text/plain']
const nameish = fc.oneof(fc.constantFrom('target', 'x', '../x', 'a/b', '%2e', '', 'UPPER', 'ok-1'), fc.string({ maxLength: 12 }))
const body = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 64 }),
  fc.record({ apiVersion: fc.constantFrom('v1', 'apps/v1', 'x'), kind: fc.constantFrom('ConfigMap', 'Pod', ''), metadata: fc.oneof(fc.record({ name: nameish, resourceVersion: fc.constantFrom('', '1', 'abc'), labels: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), fc.jsonValue()), finalizers: fc.oneof(fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }), fc.jsonValue()) }, { requiredKeys: ['name'] }), fc.jsonValue()), data: fc.jsonValue() }, { requiredKeys: [] }).map(o => JSON.stringify(o))
)

it('survives random create and patch bodies with consistent stored objects', async () => {
  await fc.assert(fc.asyncProperty(fc.boolean(), nameish, body, fc.constantFrom(...PATCH_TYPES), async (isCreate, name, raw, contentType) => {
    const path = isCreate ? '/api/v1/namespaces/default/configmaps' : `/api/v1/namespaces/default/configmaps/${encodeURIComponent(name)}`
    const r = await admin(isCreate ? 'POST' : 'PATCH', path, { raw, contentType })
    expect(r.status).toBeGreaterThanOrEqual(200)
    expect(r.status).toBeLessThan(500)
    expect(r.headers['content-type']).toBe('application/json')
    if (r.status >= 400) expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', code: r.status })
  }), { numRuns: 80 })
  const list = await core.store.list('/registry/')
  for (const e of list.entries) {
    const obj = JSON.parse(e.value) as { metadata: { name: string, uid: string, resourceVersion?: string } }
    expect(e.key.endsWith(`/${obj.metadata.name}`)).toBe(true)
    expect(obj.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(obj.metadata.resourceVersion).toBeUndefined()
    expect(validateMetadataShape(obj.metadata)).toEqual([])
    expect(e.modRevision).toBeLessThanOrEqual(list.revision)
  }
  const api = await admin('GET', '/api/v1/namespaces/default/configmaps')
  expect(api.status).toBe(200)
  for (const item of api.json.items as Array<{ metadata: { name: string, resourceVersion: string } }>) {
    const entry = await core.store.get(`/registry/core/configmaps/default/${item.metadata.name}`)
    expect(item.metadata.resourceVersion).toBe(String(entry?.modRevision))
  }
})
