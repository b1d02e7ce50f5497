import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createCA, issueCert } from '@edgemesh/common'
import type { KubeObject } from '@edgemesh/common'
import { adminKubeconfig, type CloudCore } from '../../cloud-core/src/index.js'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { eventually, Kubectl, kubectlMissing, startCloudCore, tempDir } from './harness.js'

const missing = kubectlMissing()
if (missing !== undefined) console.log(`skipping kubectl e2e: ${missing}`)

const deployment = (name: string, image: string, replicas = 1): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: main
        image: ${image}
        ports: [{containerPort: 80}]
`

describe.skipIf(missing !== undefined)('kubectl against cloudcore', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let cc: CloudCore
  let k: Kubectl
  let n = 0

  beforeAll(async () => {
    dir = await tempDir('kubectl-e2e-')
    cc = await startCloudCore(join(dir.path, 'data'))
    await cc.waitForSync()
  })

  afterAll(async () => {
    await cc?.stop()
    await dir?.remove()
  })

  beforeEach(async () => {
    // A fresh discovery cache per test: no test depends on what an earlier one cached.
    k = new Kubectl(cc.kubeconfigPath, join(dir.path, `cache-${n++}`))
  })

  const file = async (name: string, text: string): Promise<string> => {
    const p = join(dir.path, name)
    await writeFile(p, text)
    return p
  }

  it('apply creates, reports unchanged on a re-apply and configured after a change', async () => {
    const f = await file('apply.yaml', deployment('apply-me', 'nginx:1.26'))
    expect(await k.ok(['apply', '-f', f])).toContain('deployment.apps/apply-me created')
    expect(await k.ok(['apply', '-f', f])).toContain('deployment.apps/apply-me unchanged')
    await writeFile(f, deployment('apply-me', 'nginx:1.27'))
    expect(await k.ok(['apply', '-f', f])).toContain('deployment.apps/apply-me configured')
    const d = await k.json(['get', 'deploy', 'apply-me'])
    expect(d.spec.template.spec.containers[0].image).toBe('nginx:1.27')
    expect(d.metadata.generation).toBe(2)
  })

  it('get prints objects as yaml, json and a wide table', async () => {
    await k.ok(['create', 'configmap', 'shown', '--from-literal=a=1', '--dry-run=client', '-o', 'yaml'])
      .then(async y => await k.ok(['apply', '-f', '-'], y))
    const yaml = await k.ok(['get', 'cm', 'shown', '-o', 'yaml'])
    expect(yaml).toMatch(/kind: ConfigMap/)
    expect(yaml).toMatch(/a: "1"/)
    const json = await k.json(['get', 'cm', 'shown'])
    expect(json.metadata.resourceVersion).toMatch(/^\d+$/)
    const wide = await k.ok(['get', 'svc', 'kubernetes', '-o', 'wide'])
    expect(wide.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR/)
    expect(wide).toMatch(/kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/)
  })

  it('get -w prints a change made after it started', async () => {
    await k.ok(['create', 'configmap', 'watched', '--from-literal=v=1', '--dry-run=client', '-o', 'json']).then(async j => await k.ok(['create', '-f', '-'], j))
    const w = k.stream(['get', 'cm', 'watched', '-w', '-o', 'jsonpath={.data.v}{"\\n"}'])
    try {
      await w.waitFor(/^1$/)
      await k.ok(['patch', 'cm', 'watched', '--type=merge', '-p', '{"data":{"v":"2"}}'])
      expect(await w.waitFor(/^2$/)).toBe('2')
    } finally {
      w.stop()
    }
  })

  it('describe shows a deployment with its selector, strategy and replica sets', async () => {
    await k.ok(['apply', '-f', '-'], deployment('described', 'nginx:1.27', 1))
    await eventually(async () => (await k.json(['get', 'rs', '-l', 'app=described'])).items.length > 0 ? true : undefined, 20_000, 'replicaset')
    const out = await k.ok(['describe', 'deployment', 'described'])
    expect(out).toMatch(/^Name:\s+described/m)
    expect(out).toMatch(/^Selector:\s+app=described/m)
    expect(out).toMatch(/^StrategyType:\s+RollingUpdate/m)
    expect(out).toMatch(/NewReplicaSet:\s+described-\w+/)
  })

  it('label and annotate change metadata', async () => {
    await k.ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tagged' }, data: { x: 'y' } }))
    await k.ok(['label', 'cm', 'tagged', 'tier=front'])
    await k.ok(['annotate', 'cm', 'tagged', 'owner=team-a'])
    const cm = await k.json(['get', 'cm', 'tagged'])
    expect(cm.metadata.labels).toEqual({ tier: 'front' })
    expect(cm.metadata.annotations.owner).toBe('team-a')
    expect(await k.ok(['get', 'cm', '-l', 'tier=front', '-o', 'name'])).toBe('configmap/tagged\n')
  })

  it('patch applies json, merge and strategic patches', async () => {
    await k.ok(['apply', '-f', '-'], deployment('patched', 'nginx:1.27'))
    await k.ok(['patch', 'deploy', 'patched', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3}]'])
    await k.ok(['patch', 'deploy', 'patched', '--type=merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}'])
    // Strategic: containers merge by name, so the sidecar is added next to main instead of replacing it.
    await k.ok(['patch', 'deploy', 'patched', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}'])
    const d = await k.json(['get', 'deploy', 'patched'])
    expect(d.spec.replicas).toBe(3)
    expect(d.metadata.labels.merged).toBe('yes')
    expect(d.spec.template.spec.containers.map((c: { name: string }) => c.name).sort()).toEqual(['main', 'sidecar'])
  })

  it('apply --server-side creates and then updates an object, recording the field manager', async () => {
    const cm = (v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: "${v}"}\n`
    expect(await k.ok(['apply', '--server-side', '-f', '-'], cm('1'))).toContain('configmap/ssa serverside-applied')
    expect(await k.ok(['apply', '--server-side', '-f', '-'], cm('2'))).toContain('configmap/ssa serverside-applied')
    const live = await k.json(['get', 'configmap', 'ssa', '--show-managed-fields'])
    expect(live.data).toEqual({ a: '2' })
    expect(live.metadata.managedFields.map((m: { manager: string, operation: string }) => `${m.manager}/${m.operation}`)).toContain('kubectl/Apply')
  })

  it('strict field validation rejects an unknown field and stores nothing', async () => {
    const r = await k.run(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\nbogus: 1\n')
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('unknown field "bogus"')
    expect((await k.run(['get', 'configmap', 'bad'])).stderr).toContain('NotFound')
  })

  it('scale sets the replica count through the scale subresource', async () => {
    await k.ok(['apply', '-f', '-'], deployment('scaled', 'nginx:1.27'))
    expect(await k.ok(['scale', 'deploy', 'scaled', '--replicas=4'])).toContain('deployment.apps/scaled scaled')
    expect((await k.json(['get', 'deploy', 'scaled'])).spec.replicas).toBe(4)
  })

  it('rollout status waits until the controllers report the deployment available', async () => {
    // A ready node for the scheduler, and a stand-in kubelet that marks bound pods Running and Ready.
    const client = cc.core.client
    const NODES = { group: '', version: 'v1', resource: 'nodes' }
    const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' }
    await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'edge-1', labels: { 'kubernetes.io/hostname': 'edge-1' } }, spec: {} })
    await client.patch(NODES, 'edge-1', 'merge', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }], allocatable: { cpu: '8', memory: '16Gi', pods: '110' }, capacity: { cpu: '8', memory: '16Gi', pods: '110' } } }, { subresource: 'status' })
    const stop = new AbortController()
    const kubelet = (async () => {
      while (!stop.signal.aborted) {
        const pods = await client.list<KubeObject>(PODS, { labelSelector: 'app=rolled' })
        for (const p of pods.items) {
          const spec = p.spec as { nodeName?: string, containers: Array<{ name: string, image: string }> }
          const phase = (p.status as { phase?: string } | undefined)?.phase
          if (spec.nodeName === undefined || phase === 'Running' || p.metadata.deletionTimestamp !== undefined) continue
          const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
          await client.patch(PODS, p.metadata.name ?? '', 'merge', {
            status: {
              phase: 'Running',
              podIP: '10.244.0.10',
              conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }, { type: 'PodScheduled', status: 'True', lastTransitionTime: now }],
              containerStatuses: spec.containers.map(c => ({ name: c.name, image: c.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } }))
            }
          }, { subresource: 'status' }).catch(() => {})
        }
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    })()
    try {
      await k.ok(['apply', '-f', '-'], deployment('rolled', 'nginx:1.27', 2))
      const r = await k.run(['rollout', 'status', 'deployment/rolled', '--timeout=60s'])
      expect(r.stderr).toBe('')
      expect(r.stdout).toContain('deployment "rolled" successfully rolled out')
      expect(await k.ok(['get', 'pods', '-l', 'app=rolled', '-o', 'wide'])).toMatch(/1\/1\s+Running\s+0\s+\S+\s+10\.244\.0\.10\s+edge-1/)
    } finally {
      stop.abort()
      await kubelet
    }
  })

  it('delete removes a deployment and, with background cascade, its replica sets and pods', async () => {
    await k.ok(['apply', '-f', '-'], deployment('doomed', 'nginx:1.27', 2))
    await eventually(async () => (await k.json(['get', 'pods', '-l', 'app=doomed'])).items.length === 2 ? true : undefined, 20_000, 'pods of doomed')
    expect(await k.ok(['delete', 'deployment', 'doomed', '--cascade=background'])).toContain('deployment.apps "doomed" deleted')
    expect((await k.run(['get', 'deploy', 'doomed'])).stderr).toContain('NotFound')
    await eventually(async () => {
      const rs = (await k.json(['get', 'rs', '-l', 'app=doomed'])).items.length
      const pods = (await k.json(['get', 'pods', '-l', 'app=doomed'])).items.filter((p: KubeObject) => p.metadata.deletionTimestamp === undefined).length
      return rs === 0 && pods === 0 ? true : undefined
    }, 30_000, 'garbage collection of doomed')
  })

  it('delete with --cascade=orphan leaves the replica sets behind', async () => {
    await k.ok(['apply', '-f', '-'], deployment('orphaner', 'nginx:1.27', 1))
    await eventually(async () => (await k.json(['get', 'rs', '-l', 'app=orphaner'])).items.length === 1 ? true : undefined, 20_000, 'replicaset of orphaner')
    await k.ok(['delete', 'deployment', 'orphaner', '--cascade=orphan'])
    const rs = await eventually(async () => {
      const items = (await k.json(['get', 'rs', '-l', 'app=orphaner'])).items as KubeObject[]
      return items.length === 1 && (items[0]?.metadata.ownerReferences ?? []).length === 0 ? items : undefined
    }, 20_000, 'orphaned replicaset')
    expect(rs[0]?.metadata.name).toMatch(/^orphaner-/)
  })

  it('deleting a namespace removes what is inside it, then the namespace', async () => {
    await k.ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'short-lived' } }))
    await k.ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inside', namespace: 'short-lived' } }))
    expect(await k.ok(['delete', 'namespace', 'short-lived', '--timeout=30s'])).toContain('namespace "short-lived" deleted')
    expect((await k.run(['get', 'namespace', 'short-lived'])).stderr).toContain('NotFound')
    expect((await cc.core.client.list({ group: '', version: 'v1', resource: 'configmaps', namespace: 'short-lived' })).items).toEqual([])
  })

  it('explain describes a field from the OpenAPI document', async () => {
    const out = await k.ok(['explain', 'deployment.spec.replicas'])
    expect(out).toMatch(/KIND:\s+Deployment/)
    expect(out).toMatch(/FIELD:\s+replicas\s+<integer>/)
  })

  it('api-resources lists built-in kinds and the shipped CRDs', async () => {
    const out = await k.ok(['api-resources'])
    expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m)
    expect(out).toMatch(/^devices\s+devices\.kubeedge\.io\/v1beta1\s+true\s+Device$/m)
    expect(out).toMatch(/^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m)
  })

  it('creates custom resources of a shipped CRD', async () => {
    const dr = { apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule', metadata: { name: 'web-lb' }, spec: { host: 'web', trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true } } } } }
    expect(await k.ok(['apply', '-f', '-'], JSON.stringify(dr))).toContain('destinationrule.networking.istio.io/web-lb created')
    expect(await k.ok(['get', 'destinationrules.v1beta1.networking.istio.io'])).toMatch(/web-lb\s+web\s+\d+s/)
  })

  it('serves the custom resources of a CRD applied with kubectl, with its printer columns', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.io' },
      spec: {
        group: 'example.io', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
        versions: [{
          name: 'v1', served: true, storage: true,
          additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', description: 'What the widget should be.', properties: { size: { type: 'integer', description: 'How big.' } } } } } }
        }]
      }
    }
    expect(await k.ok(['apply', '-f', '-'], JSON.stringify(crd))).toContain('customresourcedefinition.apiextensions.k8s.io/widgets.example.io created')
    await k.ok(['wait', '--for=condition=Established', 'crd/widgets.example.io', '--timeout=20s'])
    await eventually(async () => (await k.run(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } }))).code === 0 ? true : undefined, 20_000, 'widget created')
    expect(await k.ok(['get', 'wd'])).toMatch(/^NAME\s+SIZE\s+AGE\nw1\s+3\s+\d+s\n$/)
    const bad = await k.run(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 3, colour: 'red' } }))
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/unknown field "spec.colour"/)
  })

  it('allocates a ClusterIP and a NodePort for a NodePort service', async () => {
    // `kubectl create service` posts protobuf, which the server does not speak; -f sends JSON.
    await k.ok(['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--dry-run=client', '-o', 'json']).then(async j => await k.ok(['create', '-f', '-'], j))
    const svc = await k.json(['get', 'svc', 'np'])
    expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/)
    expect(svc.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000)
    expect(await k.ok(['get', 'svc', 'np'])).toMatch(new RegExp(`np\\s+NodePort\\s+${svc.spec.clusterIP.replace(/\./g, '\\.')}\\s+<none>\\s+80:${svc.spec.ports[0].nodePort}/TCP`))
  })

  it('refuses a client certificate from another CA', async () => {
    const other = await createCA({ commonName: 'impostor-ca' })
    const admin = await issueCert(other, { commonName: 'kubernetes-admin', organizations: ['system:masters'] }, { usage: 'client' })
    const bad = join(dir.path, 'impostor.kubeconfig')
    await writeFile(bad, adminKubeconfig(`https://127.0.0.1:${cc.port}`, { ca: cc.pki.ca, server: cc.pki.server, admin }))
    const r = await new Kubectl(bad, join(dir.path, 'cache-impostor')).run(['get', 'pods'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/You must be logged in to the server|Unauthorized/)
  })
})
