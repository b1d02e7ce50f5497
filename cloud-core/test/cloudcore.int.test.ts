import { access, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { get as httpsGet } from 'node:https'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { certInfo, silentLogger } from '@edgemesh/common'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cloudCorePaths, createCloudCore, type CloudCore } from '../src/cloudcore.js'
import { resolveCloudCoreConfig } from '../src/config.js'

const canConnect = async (port: number): Promise<boolean> => await new Promise(resolve => {
  const s = connect(port, '127.0.0.1')
  s.once('connect', () => { s.destroy(); resolve(true) })
  s.once('error', () => { resolve(false) })
})

describe('createCloudCore', () => {
  let dir: string
  let cc: CloudCore | undefined

  const make = (): CloudCore => createCloudCore(resolveCloudCoreConfig({ dataDir: dir, apiServer: { bindAddress: '127.0.0.1', port: 0 }, cloudHub: { bindAddress: '127.0.0.1', port: 0 }, bootstrap: { bindAddress: '127.0.0.1', port: 0 }, controllers: { enabled: false } }), { logger: silentLogger() })

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'cloudcore-')) })
  afterEach(async () => {
    await cc?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('creates the CA, the serving and admin certificates and an admin kubeconfig on first start', async () => {
    cc = make()
    await cc.start()
    const p = cloudCorePaths(dir)
    for (const f of [p.caCert, p.caKey, p.serverCert, p.serverKey, p.adminCert, p.adminKey]) await access(f)
    expect((await stat(p.caKey)).mode & 0o777).toBe(0o600)
    const admin = certInfo(await readFile(p.adminCert, 'utf8'))
    expect(admin.commonName).toBe('kubernetes-admin')
    expect(admin.organizations).toEqual(['system:masters'])
    const serving = certInfo(await readFile(p.serverCert, 'utf8'))
    expect(serving.dnsNames).toContain('localhost')
    expect(serving.ipAddresses).toEqual(expect.arrayContaining(['127.0.0.1', '10.96.0.1']))
    const kc = await readFile(p.kubeconfig, 'utf8')
    expect(kc).toContain(`server: https://127.0.0.1:${cc.port}`)
    expect(kc).toContain('client-certificate-data:')
  })

  it('reuses the PKI on restart', async () => {
    cc = make()
    await cc.start()
    const ca = await readFile(cloudCorePaths(dir).caCert, 'utf8')
    const serving = await readFile(cloudCorePaths(dir).serverCert, 'utf8')
    await cc.stop()
    cc = make()
    await cc.start()
    expect(await readFile(cloudCorePaths(dir).caCert, 'utf8')).toBe(ca)
    expect(await readFile(cloudCorePaths(dir).serverCert, 'utf8')).toBe(serving)
  })

  it('creates the four system namespaces, the kubernetes service and the shipped CRDs', async () => {
    cc = make()
    await cc.start()
    const client = cc.core.client
    const ns = await client.list({ group: '', version: 'v1', resource: 'namespaces' })
    expect(ns.items.map(n => n.metadata.name).sort()).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system'])
    const svc = await client.get({ group: '', version: 'v1', resource: 'services', namespace: 'default' }, 'kubernetes')
    expect(svc.spec).toMatchObject({ clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, targetPort: cc.port }] })
    expect(cc.core.registry.lookup('devices.kubeedge.io', 'v1beta1', 'devices')?.kind).toBe('Device')
    expect(cc.core.registry.lookup('networking.istio.io', 'v1alpha3', 'destinationrules')?.kind).toBe('DestinationRule')
  })

  // Before: cloudcore built its own patcher without the PatchError → ApiError mapping, so in-process
  // callers (controllers) saw PATCH_* codes where HTTP clients saw API_* ones.
  it('gives in-process patch failures the same API error codes as HTTP clients', async () => {
    cc = make()
    await cc.start()
    const CMS = { group: '', version: 'v1', resource: 'configmaps', namespace: 'default' }
    await cc.core.client.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p' }, data: { a: '1' } })
    const bad = await cc.core.client.patch(CMS, 'p', 'json', [{ op: 'replace', path: '/data/missing/deeper', value: 'x' }]).catch((e: unknown) => e)
    expect(bad).toMatchObject({ name: 'ApiError', code: 'API_BAD_REQUEST' })
    const failedTest = await cc.core.client.patch(CMS, 'p', 'json', [{ op: 'test', path: '/data/a', value: '2' }]).catch((e: unknown) => e)
    expect(failedTest).toMatchObject({ name: 'ApiError', code: 'API_INVALID' })
    const smp = await cc.core.client.patch(CMS, 'p', 'strategic', { metadata: { $patch: 'bogus' } }).catch((e: unknown) => e)
    expect(smp).toMatchObject({ name: 'ApiError' })
  })

  it('registers a CRD created at runtime and forgets it when deleted', async () => {
    cc = make()
    await cc.start()
    const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' }
    await cc.core.client.create(CRDS, {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.example.io' },
      spec: { group: 'example.io', scope: 'Cluster', names: { plural: 'gadgets', kind: 'Gadget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] }
    })
    const reg = cc.core.registry
    await expect.poll(() => reg.lookup('example.io', 'v1', 'gadgets')?.namespaced).toBe(false)
    await cc.core.client.delete(CRDS, 'gadgets.example.io')
    await expect.poll(() => reg.lookup('example.io', 'v1', 'gadgets')).toBeUndefined()
  })

  it('serves API server and controller series from one registry at /metrics, surviving a restart', async () => {
    cc = createCloudCore(resolveCloudCoreConfig({ dataDir: dir, apiServer: { bindAddress: '127.0.0.1', port: 0 }, cloudHub: { bindAddress: '127.0.0.1', port: 0 }, bootstrap: { bindAddress: '127.0.0.1', port: 0 } }), { logger: silentLogger() })
    await cc.start()
    await cc.waitForSync()
    await cc.stop()
    await cc.start()
    const pki = cc.pki
    const scrape = async (): Promise<{ status: number, type: string, text: string }> => await new Promise((resolve, reject) => {
      httpsGet({ host: '127.0.0.1', port: cc!.port, path: '/metrics', ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem }, res => {
        let text = ''
        res.setEncoding('utf8').on('data', (c: string) => { text += c }).on('end', () => { resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text }) })
      }).on('error', reject)
    })
    await scrape()
    const m = await scrape()
    expect(m.status).toBe(200)
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(m.text).toMatch(/^edgemesh_apiserver_requests_total\{verb="get",resource="discovery",code="200"\} 1$/m)
    expect(m.text).toMatch(/^edgemesh_controller_reconciles_total\{controller="namespace"\} \d+$/m)
    // One sample per controller per scrape, even after stop and start.
    expect(m.text.match(/^edgemesh_controller_queue_depth\{controller="scheduler"\}/gm)).toHaveLength(1)
    expect(m.text.match(/^# TYPE edgemesh_apiserver_watchers gauge$/gm)).toHaveLength(1)
  })

  it('throws the typed CLOUDCORE_NOT_STARTED for its running parts before start', () => {
    cc = make()
    expect(() => cc!.core).toThrow(expect.objectContaining({ code: 'CLOUDCORE_NOT_STARTED', name: 'CloudCoreError' }))
    expect(() => cc!.pki).toThrow(expect.objectContaining({ code: 'CLOUDCORE_NOT_STARTED' }))
  })

  it('start and stop are idempotent and stop closes the port', async () => {
    cc = make()
    await Promise.all([cc.start(), cc.start()])
    const port = cc.port
    expect(await canConnect(port)).toBe(true)
    await cc.stop()
    await cc.stop()
    expect(await canConnect(port)).toBe(false)
  })
})
