import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger, type KubeObject } from '@edgemesh/common'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApiCore, type ApiCore } from '../../../src/api-server/api-core.js'
import { builtinResources } from '../../../src/api-server/resources/index.js'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'

const SERVICES = { group: '', version: 'v1', resource: 'services', namespace: 'default' }

describe('service allocation through the real storage', () => {
  let dir: string
  let store: SqliteStore
  let core: ApiCore

  const boot = async (): Promise<void> => {
    store = sqliteStore({ dataDir: dir })
    await store.start()
    core = await createApiCore({ store, logger: silentLogger(), resources: builtinResources({ serviceCIDR: '10.0.0.0/24', nodePortRange: '31000-31099' }) })
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svc-alloc-'))
    await boot()
  })

  afterEach(async () => {
    await store.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const svc = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } })

  it('gives 30 concurrently created services 30 different ClusterIPs and NodePorts', async () => {
    const created = await Promise.all(Array.from({ length: 30 }, async (_, i) => await core.client.create(SERVICES, svc(`s${i}`, { type: 'NodePort' }))))
    const ips = created.map(s => (s.spec as { clusterIP: string }).clusterIP)
    const ports = created.map(s => (s.spec as { ports: Array<{ nodePort: number }> }).ports[0]?.nodePort)
    expect(new Set(ips).size).toBe(30)
    expect(new Set(ports).size).toBe(30)
    for (const ip of ips) expect(ip).toMatch(/^10\.0\.0\.\d+$/)
  })

  it('rejects a second service asking for a ClusterIP that is taken, also after a restart', async () => {
    await core.client.create(SERVICES, svc('first', { clusterIP: '10.0.0.77' }))
    await store.stop()
    await boot()
    await expect(core.client.create(SERVICES, svc('second', { clusterIP: '10.0.0.77' }))).rejects.toMatchObject({ httpStatus: 422, reason: 'Invalid' })
  })

  it('frees the ClusterIP of a deleted service for a new request', async () => {
    await core.client.create(SERVICES, svc('gone', { clusterIP: '10.0.0.88' }))
    await core.client.delete(SERVICES, 'gone')
    const again = await core.client.create(SERVICES, svc('reuse', { clusterIP: '10.0.0.88' }))
    expect((again.spec as { clusterIP: string }).clusterIP).toBe('10.0.0.88')
  })

  it('keeps the clusterIP when an update leaves it out', async () => {
    const s = await core.client.create(SERVICES, svc('upd'))
    const next = structuredClone(s)
    delete (next.spec as Record<string, unknown>).clusterIP
    delete (next.spec as Record<string, unknown>).clusterIPs
    const updated = await core.client.update(SERVICES, next)
    expect((updated.spec as { clusterIP: string }).clusterIP).toBe((s.spec as { clusterIP: string }).clusterIP)
  })
})
