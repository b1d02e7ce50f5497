import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CloudCore } from '../../cloud-core/src/index.js'
import { Kubectl, kubectlMissing, startCloudCore, tempDir } from './harness.js'

const missing = kubectlMissing()
if (missing !== undefined) console.log(`skipping cloudcore restart e2e: ${missing}`)

describe.skipIf(missing !== undefined)('cloudcore restart on the same data dir', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let cc: CloudCore | undefined
  let before: { uid: string, rv: string, svcIP: string, caData: string }
  let k: Kubectl

  beforeAll(async () => {
    dir = await tempDir('kubectl-restart-')
    const data = join(dir.path, 'data')
    cc = await startCloudCore(data)
    k = new Kubectl(cc.kubeconfigPath, join(dir.path, 'cache-1'))
    await k.ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' }, data: { v: '1' } }))
    await k.ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kept' }, spec: { ports: [{ port: 80 }] } }))
    const cm = await k.json(['get', 'cm', 'kept'])
    const svc = await k.json(['get', 'svc', 'kept'])
    const caData = /certificate-authority-data: (\S+)/.exec(await readFile(cc.kubeconfigPath, 'utf8'))?.[1] ?? ''
    before = { uid: cm.metadata.uid, rv: cm.metadata.resourceVersion, svcIP: svc.spec.clusterIP, caData }
    await cc.stop()
    cc = await startCloudCore(data)
    // The port changed (port 0), so the kubeconfig was rewritten; a fresh cache avoids the old host key.
    k = new Kubectl(cc.kubeconfigPath, join(dir.path, 'cache-2'))
  })

  afterAll(async () => {
    await cc?.stop()
    await dir?.remove()
  })

  it('keeps objects with their uid and resourceVersion', async () => {
    const cm = await k.json(['get', 'cm', 'kept'])
    expect(cm.metadata.uid).toBe(before.uid)
    expect(cm.metadata.resourceVersion).toBe(before.rv)
    expect(cm.data).toEqual({ v: '1' })
  })

  it('keeps the cluster CA and the allocated ClusterIP', async () => {
    expect(/certificate-authority-data: (\S+)/.exec(await readFile(cc!.kubeconfigPath, 'utf8'))?.[1]).toBe(before.caData)
    expect((await k.json(['get', 'svc', 'kept'])).spec.clusterIP).toBe(before.svcIP)
  })

  it('resumes a watch from the last resourceVersion seen before the restart', async () => {
    await k.ok(['patch', 'cm', 'kept', '--type=merge', '-p', '{"data":{"v":"2"}}'])
    const w = k.stream(['get', '--raw', `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${before.rv}&fieldSelector=metadata.name%3Dkept`])
    try {
      const line = await w.waitFor(/"type":"MODIFIED"/)
      const ev = JSON.parse(line) as { object: { data: { v: string }, metadata: { resourceVersion: string } } }
      expect(ev.object.data.v).toBe('2')
      expect(Number(ev.object.metadata.resourceVersion)).toBeGreaterThan(Number(before.rv))
    } finally {
      w.stop()
    }
  })

  it('keeps revisions increasing across the restart', async () => {
    await k.ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after' } }))
    const after = await k.json(['get', 'cm', 'after'])
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.rv))
  })
})
