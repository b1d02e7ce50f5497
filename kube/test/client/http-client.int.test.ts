// HttpObjectClient against a real server built from kube parts (RestStorage over SQLite), over
// HTTPS with a client certificate from a kubeconfig, and over plain HTTP as an edge meta-server is.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { createCA, issueCert, silentLogger, type KubeObject, type WatchEvent } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpObjectClient, httpClientFromKubeconfig } from '../../src/client/http-client.js'
import { ApiError } from '../../src/machinery/errors.js'
import { ApiServer } from '../../src/server/api-server.js'
import { builtinResourceInfo } from '../../src/server/builtin/index.js'
import { DefaultResourceRegistry } from '../../src/server/registry.js'
import { RestStorage } from '../../src/server/rest-storage.js'
import { sqliteStore, type SqliteStore } from '../../src/storage/sqlite-store.js'

const CMS = { group: '', version: 'v1', resource: 'configmaps', namespace: 'default' }
const cm = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data: { v: '1' } })

describe('HttpObjectClient', () => {
  let dir: string
  let store: SqliteStore
  let https: ApiServer
  let http: ApiServer
  let client: HttpObjectClient
  const seenUsers: string[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'http-client-'))
    store = sqliteStore({ dataDir: dir, compactIntervalMs: 0 })
    await store.start()
    const registry = new DefaultResourceRegistry(builtinResourceInfo())
    const storage = new RestStorage({ store, logger: silentLogger() })
    await storage.ensureSystemNamespaces()
    const ca = await createCA()
    const serving = await issueCert(ca, { commonName: 'api', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
    const user = await issueCert(ca, { commonName: 'alice', organizations: ['system:masters'] }, { usage: 'client' })
    const parts = {
      registry,
      backend: storage,
      logger: silentLogger(),
      authorizer: { authorize: async () => {} }
    }
    https = new ApiServer({
      ...parts,
      authenticate: req => {
        const cn = (req.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN
        if (typeof cn !== 'string') throw new ApiError('Unauthorized', 'Unauthorized')
        seenUsers.push(cn)
        return { name: cn, groups: ['system:masters'] }
      }
    }, { port: 0, host: '127.0.0.1', tls: { key: serving.keyPem, cert: serving.certPem, ca: ca.certPem } })
    http = new ApiServer({ ...parts, authenticate: () => ({ name: 'local', groups: [] }) }, { port: 0, host: '127.0.0.1' })
    await https.start()
    await http.start()
    const b64 = (s: string): string => Buffer.from(s).toString('base64')
    const kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:${https.port}", certificate-authority-data: ${b64(ca.certPem)} } }]
users: [{ name: alice, user: { client-certificate-data: ${b64(user.certPem)}, client-key-data: ${b64(user.keyPem)} } }]
contexts: [{ name: x, context: { cluster: c, user: alice } }]
current-context: x
`)
    client = await httpClientFromKubeconfig(kubeconfig)
  }, 60_000)

  afterAll(async () => {
    await https?.stop()
    await http?.stop()
    await store?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('creates, gets, lists with a selector, updates, patches and deletes over HTTPS with the kubeconfig\'s client certificate', async () => {
    const created = await client.create(CMS, cm('a', { app: 'x' }))
    await client.create(CMS, cm('b'))
    expect(created.metadata.resourceVersion).toMatch(/^\d+$/)
    expect(seenUsers).toContain('alice')
    expect((await client.get(CMS, 'a')).data).toEqual({ v: '1' })
    expect((await client.list(CMS, { labelSelector: 'app=x' })).items.map(o => o.metadata.name)).toEqual(['a'])
    const updated = await client.update(CMS, { ...created, data: { v: '2' } })
    expect(updated.data).toEqual({ v: '2' })
    const patched = await client.patch(CMS, 'a', 'merge', { data: { w: '3' } })
    expect(patched.data).toEqual({ v: '2', w: '3' })
    await client.delete(CMS, 'b')
    expect((await client.list(CMS)).items.map(o => o.metadata.name)).toEqual(['a'])
  })

  it('turns the server\'s Status into the same ApiError codes as in-process', async () => {
    await expect(client.get(CMS, 'missing')).rejects.toMatchObject({ name: 'ApiError', code: 'API_NOT_FOUND', httpStatus: 404 })
    await expect(client.create(CMS, cm('a'))).rejects.toMatchObject({ code: 'API_ALREADY_EXISTS' })
    const stale = { ...cm('a'), metadata: { ...cm('a').metadata, resourceVersion: '1' } }
    await expect(client.update(CMS, stale)).rejects.toMatchObject({ code: 'API_CONFLICT' })
    await expect(client.get({ group: 'apps', resource: 'deployments' }, 'x')).rejects.toMatchObject({ code: 'CONTROLLER_REF_INCOMPLETE' })
  })

  it('watches from a resourceVersion and stops when its signal aborts', async () => {
    const list = await client.list(CMS)
    const ac = new AbortController()
    const events: Array<WatchEvent['type']> = []
    const done = (async () => {
      for await (const ev of client.watch(CMS, { resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
        events.push(ev.type)
        if (events.length === 2) ac.abort()
      }
    })()
    await client.create(CMS, cm('w'))
    await client.delete(CMS, 'w')
    await done
    expect(events).toEqual(['ADDED', 'DELETED'])
  })

  it('talks plain HTTP to a loopback server (an edge meta-server)', async () => {
    const local = new HttpObjectClient({ server: `http://127.0.0.1:${http.port}` })
    expect((await local.list(CMS)).items.map(o => o.metadata.name)).toEqual(['a'])
  })
})
