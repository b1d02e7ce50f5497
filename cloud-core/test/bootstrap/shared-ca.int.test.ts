import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCA } from '@edgemesh/common'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CLUSTER_CA_KEY, syncClusterCA, type ClusterCAFiles } from '../../src/bootstrap/index.js'

describe('syncClusterCA', () => {
  let dir: string
  let store: SqliteStore
  const files = (name: string): ClusterCAFiles => {
    const pki = join(dir, name, 'pki')
    return { caCert: join(pki, 'ca.crt'), caKey: join(pki, 'ca.key'), issued: [join(pki, 'apiserver.crt')], marker: join(pki, 'ca.published') }
  }
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shared-ca-'))
    store = sqliteStore({ dataDir: join(dir, 'store'), compactIntervalMs: 0 })
    await store.start()
  })
  afterEach(async () => {
    await store.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('publishes the first data dir\'s CA and gives every later one the same CA', async () => {
    expect(await syncClusterCA(store, files('a'))).toBe('published')
    expect(await syncClusterCA(store, files('b'))).toBe('adopted')
    expect(await syncClusterCA(store, files('a'))).toBe('unchanged')
    expect(await readFile(files('b').caCert, 'utf8')).toBe(await readFile(files('a').caCert, 'utf8'))
    expect(JSON.parse((await store.get(CLUSTER_CA_KEY))!.value).certPem).toBe(await readFile(files('a').caCert, 'utf8'))
  })

  // kubeedge #5922: cloudcores starting together each minted a CA, and every edge then failed.
  it('mints one CA when many data dirs race on one store', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, async (_, i) => await syncClusterCA(store, files(`r${i}`))))
    expect(results.filter(r => r === 'published')).toHaveLength(1)
    const certs = new Set(await Promise.all(Array.from({ length: 8 }, async (_, i) => await readFile(files(`r${i}`).caCert, 'utf8'))))
    expect(certs.size).toBe(1)
  })

  it('replaces a local CA that was never the cluster\'s (keadm init on a second machine) and drops what it signed', async () => {
    await syncClusterCA(store, files('a'))
    const b = files('b')
    const own = await createCA()
    await mkdir(join(dir, 'b', 'pki'), { recursive: true })
    await writeFile(b.caCert, own.certPem)
    await writeFile(b.caKey, own.keyPem)
    await writeFile(b.issued[0]!, 'signed by the local CA')
    expect(await syncClusterCA(store, b)).toBe('adopted')
    expect(await readFile(b.caCert, 'utf8')).toBe(await readFile(files('a').caCert, 'utf8'))
    expect(existsSync(b.issued[0]!)).toBe(false)
  })

  it('refuses with BOOTSTRAP_CA_CONFLICT when this data dir\'s CA was already a cluster\'s and the store holds another', async () => {
    await syncClusterCA(store, files('a'))
    const other = sqliteStore({ dataDir: join(dir, 'store2'), compactIntervalMs: 0 })
    await other.start()
    try {
      await syncClusterCA(other, files('x'))
      // files('a') is marked as published to `store`; pointing it at a store with another CA is refused.
      await expect(syncClusterCA(other, files('a'))).rejects.toMatchObject({ code: 'BOOTSTRAP_CA_CONFLICT' })
    } finally {
      await other.stop()
    }
  })
})
