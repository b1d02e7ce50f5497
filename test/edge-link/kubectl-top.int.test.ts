// `kubectl top` for an edge node: a real EdgeHub joined to a real cloudcore reports the usage of real
// child processes (a busy loop and an idle one) standing in for the containers of pods bound to the
// node, and the real kubectl reads it back through metrics.k8s.io.
import { request } from 'node:https'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, issueCert, nodeMetricsResource, type KubeObject } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CloudCore } from '../../cloud-core/src/index.js'
import { EdgeHub, MetricsReporter, NodeReporter, type ContainerProcess } from '../../edge-core/src/index.js'
import { BUSY, groupProcess, IDLE, type UsageProcess } from '../../edge-core/test/node-metrics/usage-processes.js'
import { loopbackCloudCore } from '../helpers/cloudcore.js'
import { Kubectl, kubectlMissing } from '../kubectl/harness.js'

const NODE = 'edge-top1'
const OTHER = 'edge-top2'
const NS = 'top'
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS }
const missing = kubectlMissing()
if (missing !== undefined) console.log(`skipping kubectl top: ${missing}`)

/** millicores from a kubectl top cell (`950m`, `1`). */
const millis = (cell: string): number => cell.endsWith('m') ? Number(cell.slice(0, -1)) : Number(cell) * 1000

describe.skipIf(missing !== undefined)('kubectl top for an edge node', () => {
  let dir: string
  let cc: CloudCore
  let hub: EdgeHub
  let reporter: NodeReporter
  let metrics: MetricsReporter
  let kubectl: Kubectl
  let nodeCert: { certPem: string, keyPem: string }
  const procs: UsageProcess[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubectl-top-'))
    cc = loopbackCloudCore(join(dir, 'cloud'))
    await cc.start()
    await cc.waitForSync()
    kubectl = new Kubectl(cc.kubeconfigPath, join(dir, 'kube-cache'))
    nodeCert = await issueCert(cc.pki.ca, { commonName: `system:node:${NODE}`, organizations: ['system:nodes'] }, { usage: 'client' })
    hub = new EdgeHub({ handler: { handle: async () => {} } }, {
      urls: [`wss://127.0.0.1:${cc.hubPort}`], nodeName: NODE, certPem: nodeCert.certPem, keyPem: nodeCert.keyPem, caPem: cc.pki.ca.certPem, backoffInitialMs: 20, backoffMaxMs: 200
    })
    await hub.start()
    reporter = new NodeReporter({ hub }, { nodeName: NODE, leaseRenewMs: 500 })
    await reporter.start()

    const client = cc.core.client
    await client.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })
    const containers: ContainerProcess[] = []
    for (const [name, node, script] of [['busy', NODE, BUSY], ['idle', NODE, IDLE], ['elsewhere', OTHER, BUSY]] as const) {
      const pod = await client.create<KubeObject>(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { app: name } }, spec: { nodeName: node, containers: [{ name: 'main', image: 'node:20' }] } })
      const p = await groupProcess(script)
      procs.push(p)
      // The node claims the pod bound elsewhere too: the cloud must refuse that one.
      containers.push({ namespace: NS, pod: name, uid: pod.metadata.uid!, container: 'main', pid: p.pid })
    }
    await eventually(async () => await client.get({ group: '', version: 'v1', resource: 'nodes' }, NODE).catch(() => undefined), 15_000, 'node registered')
    metrics = new MetricsReporter({ hub, source: { containers: () => containers } }, { nodeName: NODE, reportMs: 1000 })
    await metrics.start()
  }, 60_000)

  afterAll(async () => {
    for (const p of procs) p.kill()
    await metrics?.stop()
    await reporter?.stop()
    await hub?.stop()
    await cc?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('lists nodes and pods in metrics.k8s.io for kubectl api-resources', async () => {
    const out = await kubectl.ok(['api-resources', '--api-group=metrics.k8s.io', '--no-headers'])
    expect(out).toMatch(/^nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics\s*$/m)
    expect(out).toMatch(/^pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics\s*$/m)
    // The plain names still mean the core kinds.
    expect((await kubectl.ok(['get', 'pod', '-n', NS, '-o', 'name'])).split('\n').sort()).toEqual(['', 'pod/busy', 'pod/elsewhere', 'pod/idle'])
    expect(await kubectl.ok(['get', 'node', NODE, '-o', 'jsonpath={.kind}'])).toBe('Node')
  })

  it('shows the edge node in kubectl top nodes', async () => {
    const out = await eventually(async () => {
      const r = await kubectl.run(['top', 'nodes', '--no-headers'])
      return r.code === 0 && new RegExp(`^${NODE}\\s+\\d+m?\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`, 'm').test(r.stdout) ? r.stdout : undefined
    }, 30_000, 'node in kubectl top nodes')
    expect(out).toContain(NODE)
  })

  it('shows the busy pod using more CPU than the idle one, and not the pod bound to another node', async () => {
    // Two reports at least, so both pods have a rate over a window after the processes settled.
    const rows = await eventually(async () => {
      const r = await kubectl.run(['top', 'pods', '-n', NS, '--no-headers'])
      if (r.code !== 0) return undefined
      const m = new Map(r.stdout.trim().split('\n').map(l => l.trim().split(/\s+/)).map(f => [f[0]!, f] as const))
      const busy = m.get('busy')
      const idle = m.get('idle')
      return busy !== undefined && idle !== undefined && millis(busy[1]!) > millis(idle[1]!) && millis(busy[1]!) >= 200 ? m : undefined
    }, 30_000, 'busy above idle in kubectl top pods')
    expect(millis(rows.get('idle')![1]!)).toBeLessThan(100)
    expect(rows.get('busy')![2]).toMatch(/^\d+Mi$/)
    expect(rows.has('elsewhere')).toBe(false)
    const r = await kubectl.run(['top', 'pod', 'elsewhere', '-n', NS])
    expect(r.code).not.toBe(0)
  })

  it('shows containers with --containers and filters with -l', async () => {
    const out = await kubectl.ok(['top', 'pods', '-n', NS, '--containers', '--no-headers'])
    expect(out).toMatch(/^busy\s+main\s+\d+m\s+\d+Mi\s*$/m)
    expect(out).toMatch(/^idle\s+main\s+\d+m\s+\d+Mi\s*$/m)
    const only = await kubectl.ok(['top', 'pods', '-n', NS, '-l', 'app=busy', '--no-headers'])
    expect(only.trim().split('\n').map(l => l.split(/\s+/)[0])).toEqual(['busy'])
    const all = await kubectl.ok(['top', 'pods', '-A', '--no-headers'])
    expect(all).toMatch(new RegExp(`^${NS}\\s+busy\\s`, 'm'))
  })

  it('refuses a usage report the node makes for another node', async () => {
    const report = { node: { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name: OTHER }, timestamp: new Date().toISOString(), window: '1s', usage: { cpu: '1n', memory: '1Ki' } }, pods: [] }
    // Acked (so the node does not resend it) but not kept.
    await hub.send({ operation: 'update', resource: nodeMetricsResource(OTHER), content: report })
    const r = await kubectl.run(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/nodes/${OTHER}`])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/NotFound|not found/)
  })

  it('does not let a node credential read the metrics API', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: cc.port, path: '/apis/metrics.k8s.io/v1beta1/nodes', ca: cc.pki.ca.certPem, cert: nodeCert.certPem, key: nodeCert.keyPem }, res => { res.resume(); resolve(res.statusCode ?? 0) })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(403)
    const pods = await cc.core.client.list<KubeObject>({ group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', namespace: NS })
    expect(pods.items.map(p => p.metadata.name).sort()).toEqual(['busy', 'idle'])
  })
})
