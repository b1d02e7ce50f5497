import type { KubeObject } from '@edgemesh/common'
import { silentLogger } from '@edgemesh/common'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deploymentsInfo } from '../../src/server/builtin/workloads.js'
import { fallbackPatcher } from '../../src/server/patcher.js'
import { RestStorage } from '../../src/server/rest-storage.js'
import { sqliteStore, type SqliteStore } from '../../src/storage/sqlite-store.js'

const gvk = { group: 'apps', version: 'v1', kind: 'Deployment' }
const obj = (): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 1 } })

describe('fallback patcher', () => {
  it('merge patch with a __proto__ member does not touch the prototype of the result', async () => {
    const patch = JSON.parse('{"spec":{"__proto__":{"polluted":true}}}') as unknown
    const out = await fallbackPatcher('merge', obj(), patch, { gvk })
    const spec = out.spec as Record<string, unknown>
    expect(Object.getPrototypeOf(spec)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.hasOwn(spec, '__proto__')).toBe(true)
  })

  it('json patch through the fallback is held to the operation cap', async () => {
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/kind', value: 'Deployment' }))
    await expect(Promise.resolve().then(() => fallbackPatcher('json', obj(), ops, { gvk }))).rejects.toMatchObject({ code: 'PATCH_INVALID' })
  })

  it('json patch through the fallback is held to the copy-size cap', async () => {
    const ops = [{ op: 'add', path: '/spec/x', value: 'y'.repeat(1024) }, ...Array.from({ length: 30 }, (_, i) => ({ op: 'copy', from: '/spec', path: `/spec/k${i}` }))]
    await expect(Promise.resolve().then(() => fallbackPatcher('json', obj(), ops, { gvk }))).rejects.toMatchObject({ code: 'PATCH_INVALID' })
  })
})

describe('scale subresource patches', () => {
  let dir: string
  let store: SqliteStore
  let storage: RestStorage
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-scale-'))
    store = sqliteStore({ dataDir: dir })
    await store.start()
    storage = new RestStorage({ store, logger: silentLogger() })
    await storage.create({ ...deploymentsInfo() }, 'default', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } }
    })
  })
  afterAll(async () => {
    await store?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('deployments/scale json patch that doubles the document by copy is refused quickly, not run to exhaustion', async () => {
    const ops = Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '/status', path: `/status/k${i}` }))
    const started = Date.now()
    await expect(storage.patchScale(deploymentsInfo(), 'default', 'web', 'json', ops)).rejects.toMatchObject({ code: 'PATCH_INVALID' })
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('deployments/scale accepts an ordinary json patch', async () => {
    const scale = await storage.patchScale(deploymentsInfo(), 'default', 'web', 'json', [{ op: 'replace', path: '/spec/replicas', value: 3 }])
    expect((scale.spec as { replicas: number }).replicas).toBe(3)
  })
})
