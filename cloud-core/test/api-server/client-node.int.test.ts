import { CoreV1Api, KubeConfig, makeInformer, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ApiServer } from '../../src/api-server/server.js'
import { testCore, type TestCore } from './helpers/core.js'
import { makePki, startServer, type Pki } from './helpers/https.js'

let pki: Pki
let core: TestCore
let server: ApiServer
let kc: KubeConfig

beforeAll(async () => {
  pki = await makePki()
  core = await testCore()
  server = await startServer(core, pki)
  kc = new KubeConfig()
  const b64 = (s: string): string => Buffer.from(s).toString('base64')
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${server.port}`, caData: b64(pki.ca.certPem), tlsServerName: 'localhost', skipTLSVerify: false }],
    users: [{ name: 'u', certData: b64(pki.admin.certPem), keyData: b64(pki.admin.keyPem) }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x'
  })
})
afterAll(async () => {
  await server.stop()
  await core.close()
})

it('serves @kubernetes/client-node typed calls', async () => {
  const api = kc.makeApiClient(CoreV1Api)
  await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'typed' }, data: { a: '1' } } })
  const got = await api.readNamespacedConfigMap({ namespace: 'default', name: 'typed' })
  expect(got.data).toEqual({ a: '1' })
  await expect(api.readNamespacedConfigMap({ namespace: 'default', name: 'missing' })).rejects.toMatchObject({ code: 404 })
})

it('feeds a client-node informer with list then watch events', async () => {
  const api = kc.makeApiClient(CoreV1Api)
  const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/kube-system/configmaps', async () => await api.listNamespacedConfigMap({ namespace: 'kube-system' }))
  const seen: string[] = []
  informer.on('add', o => seen.push(`add:${o.metadata?.name ?? ''}`))
  informer.on('update', o => seen.push(`update:${o.metadata?.name ?? ''}`))
  informer.on('delete', o => seen.push(`delete:${o.metadata?.name ?? ''}`))
  await core.client.create({ group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-system' }, { metadata: { name: 'pre' }, data: {} })
  await informer.start()
  try {
    const until = async (n: number): Promise<void> => {
      const deadline = Date.now() + 10_000
      while (seen.length < n) {
        if (Date.now() > deadline) throw new Error(`informer saw only ${JSON.stringify(seen)}`)
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    }
    await until(1)
    const ref = { group: '', version: 'v1', resource: 'configmaps', namespace: 'kube-system' }
    await core.client.create(ref, { metadata: { name: 'live' }, data: {} })
    await core.client.patch(ref, 'live', 'merge', { data: { x: 'y' } })
    await core.client.delete(ref, 'live')
    await until(4)
    expect(seen).toEqual(['add:pre', 'add:live', 'update:live', 'delete:live'])
  } finally {
    await informer.stop()
  }
})

it('lets the mesh agent identity run informers on what an EdgeMesh agent reads, and nothing else', async () => {
  // An upstream agent's DNS lists namespaces and pods besides services and endpoint slices; a 403 on
  // namespaces made every cluster query SERVFAIL.
  const mesh = new KubeConfig()
  const b64 = (s: string): string => Buffer.from(s).toString('base64')
  mesh.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${server.port}`, caData: b64(pki.ca.certPem), tlsServerName: 'localhost', skipTLSVerify: false }],
    users: [{ name: 'mesh', certData: b64(pki.mesh.certPem), keyData: b64(pki.mesh.keyPem) }],
    contexts: [{ name: 'x', cluster: 'c', user: 'mesh' }],
    currentContext: 'x'
  })
  const api = mesh.makeApiClient(CoreV1Api)
  await core.client.create({ group: '', version: 'v1', resource: 'pods', namespace: 'default' }, { metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'x' }] } })
  const lists: Record<string, () => Promise<{ items: KubernetesObject[] }>> = {
    '/api/v1/namespaces': async () => await api.listNamespace(),
    '/api/v1/pods': async () => await api.listPodForAllNamespaces(),
    '/api/v1/services': async () => await api.listServiceForAllNamespaces()
  }
  for (const [path, list] of Object.entries(lists)) {
    const informer = makeInformer<KubernetesObject>(mesh, path, list)
    const errors: unknown[] = []
    informer.on('error', err => { errors.push(err) })
    await informer.start()
    try {
      const deadline = Date.now() + 10_000
      while (informer.list().length === 0 && path !== '/api/v1/services' && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
      expect(errors, path).toEqual([])
      if (path === '/api/v1/namespaces') expect(informer.list().map(n => n.metadata?.name)).toContain('default')
      if (path === '/api/v1/pods') expect(informer.list().map(n => n.metadata?.name)).toContain('p1')
    } finally {
      await informer.stop()
    }
  }
  await expect(api.listNode()).rejects.toMatchObject({ code: 403 })
  await expect(api.listConfigMapForAllNamespaces()).rejects.toMatchObject({ code: 403 })
})
