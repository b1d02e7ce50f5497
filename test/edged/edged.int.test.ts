// edged as a user runs it: a real edgecore process (as root, bridge networking) joined to a real
// cloudcore; Deployments applied with the real kubectl become processes in their own network
// namespaces, reachable at their pod IPs from the node, with probes, restarts, graceful deletion,
// clear reasons for bad specs, and pods that survive an offline kill -9 with the same IPs.
import { execFile, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { eventually, type KubeObject } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CloudCore } from '../../cloud-core/src/index.js'
import { joinCluster, loadEdgeCoreConfig, removeNodePodNetworks, saveNodeCredentials } from '../../edge-core/src/index.js'
import { loopbackCloudCore } from '../helpers/cloudcore.js'
import { firstLine } from '../helpers/daemons.js'
import { EdgecoreProcess } from '../helpers/edgecore-process.js'
import { netnsUnavailable } from '../netns/topology.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const sh = promisify(execFile)
const reason = await netnsUnavailable()
if (reason !== undefined) console.log(`skipping edged process-runtime integration test: ${reason}`)

type Pod = KubeObject & { spec?: { nodeName?: string }, status?: { phase?: string, podIP?: string, containerStatuses?: Array<{ name: string, restartCount: number, ready: boolean, state: Record<string, { reason?: string, message?: string }> }> } }

describe.skipIf(reason !== undefined)('edged runs pods (process runtime, netns per pod)', () => {
  const run = randomBytes(3).toString('hex')
  const NODE = `edged-${run}`
  const BRIDGE = `emb${run}`
  const PREFIX = `emt${run}-`
  const CIDR = `10.${200 + (parseInt(run.slice(0, 2), 16) % 50)}.${parseInt(run.slice(2, 4), 16)}.0/24`
  let dir: string
  let cc: CloudCore
  let kubeconfig: string
  let hubUrl: string

  const kubectl = async (...args: string[]): Promise<string> => (await sh('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000, maxBuffer: 64 << 20 })).stdout
  const apply = async (yaml: string): Promise<void> => {
    const file = join(dir, `m-${randomBytes(4).toString('hex')}.yaml`)
    await writeFile(file, yaml)
    await kubectl('apply', '-f', file)
  }
  const pods = async (selector: string): Promise<Pod[]> => (JSON.parse(await kubectl('get', 'pods', '-n', 'default', '-l', selector, '-o', 'json')) as { items: Pod[] }).items
  const curl = async (url: string): Promise<string> => (await sh('curl', ['-sS', '--max-time', '3', url])).stdout
  const netnsList = async (): Promise<string[]> => (await sh('ip', ['netns', 'list'])).stdout.split('\n').map(l => l.split(' ')[0] ?? '').filter(n => n.startsWith(PREFIX))
  const ipam = async (): Promise<Record<string, string>> => (JSON.parse(await readFile(join(dir, 'edge/edged/ipam.json'), 'utf8')) as { owners: Record<string, string> }).owners

  const writeConfig = async (name: string, url: string): Promise<string> => {
    const file = join(dir, name)
    await writeFile(file, [
      `nodeName: ${NODE}`,
      `dataDir: ${join(dir, 'edge')}`,
      `edgeHub: { urls: ["${url}"] }`,
      'metaServer: { port: 0 }',
      'node: { leaseRenewMs: 500, metricsReportMs: 1000 }',
      `edged: { hostIP: 127.0.0.1, restartBackoffMs: 300, network: { mode: bridge, bridge: ${BRIDGE}, podCIDR: "${CIDR}", netnsPrefix: ${PREFIX}, ipForward: false } }`,
      'log: { level: info }'
    ].join('\n') + '\n')
    return file
  }
  const edgecore = new EdgecoreProcess()
  const start = async (config: string): Promise<void> => { await edgecore.start(config, l => l.includes('edged started')) }
  const kill9 = async (): Promise<void> => { await edgecore.kill9() }

  beforeAll(async () => {
    await sh(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', join(ROOT, 'edge-core')], { cwd: ROOT, timeout: 170_000 })
    dir = await mkdtemp(join(tmpdir(), 'edged-'))
    cc = loopbackCloudCore(join(dir, 'cloud'))
    await cc.start()
    kubeconfig = cc.kubeconfigPath
    hubUrl = `wss://127.0.0.1:${cc.hubPort}`
    await saveNodeCredentials(join(dir, 'edge'), await joinCluster({ server: `https://127.0.0.1:${cc.bootstrapPort}`, token: await cc.issueJoinToken(), nodeName: NODE }))
    await start(await writeConfig('edgecore.yaml', hubUrl))
    await eventually(async () => /\sReady\s/.test(await kubectl('get', 'node', NODE).catch(() => '')), 20_000, 'node Ready')
  }, 180_000)

  afterAll(async () => {
    await edgecore.stop()
    await cc?.stop()
    for (const ns of await netnsList().catch(() => [])) await sh('ip', ['netns', 'del', ns]).catch(() => {})
    await sh('ip', ['link', 'del', BRIDGE]).catch(() => {})
    for (const ns of await netnsList().catch(() => [])) await rm(`/etc/netns/${ns}`, { recursive: true, force: true })
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  }, 60_000)

  it('runs a 3-replica echo Deployment: one netns and IP per pod, readiness passing, EndpointSlice with the 3 IPs, curl answers each pod name', async () => {
    await apply(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: echo, namespace: default }
spec:
  replicas: 3
  selector: { matchLabels: { app: echo } }
  template:
    metadata: { labels: { app: echo } }
    spec:
      nodeSelector: { node-role.kubernetes.io/edge: "" }
      containers:
      - name: echo
        image: edgemesh/echo-server:1.0
        ports: [{ containerPort: 8080, name: http }]
        readinessProbe: { httpGet: { path: /healthz, port: http }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: default }
spec:
  selector: { app: echo }
  ports: [{ port: 80, targetPort: http }]
`)
    const ready = await eventually(async () => {
      const list = await pods('app=echo')
      return list.length === 3 && list.every(p => p.status?.containerStatuses?.[0]?.ready === true) ? list : undefined
    }, 45_000, '3 ready echo pods')
    const ips = ready.map(p => p.status?.podIP ?? '')
    expect(new Set(ips).size).toBe(3)
    for (const ip of ips) expect(ip.startsWith(CIDR.split('.').slice(0, 3).join('.') + '.')).toBe(true)
    expect((await netnsList()).length).toBe(3)
    for (const p of ready) expect(await curl(`http://${p.status!.podIP!}:8080/hello`)).toBe(`${p.metadata.name!} /hello\n`)
    const slices = await eventually(async () => {
      const s = JSON.parse(await kubectl('get', 'endpointslices', '-n', 'default', '-l', 'kubernetes.io/service-name=echo', '-o', 'json')) as { items: Array<{ endpoints?: Array<{ addresses: string[], conditions?: { ready?: boolean }, nodeName?: string }> }> }
      const eps = s.items.flatMap(i => i.endpoints ?? []).filter(e => e.conditions?.ready === true)
      return eps.length === 3 ? eps : undefined
    }, 15_000, 'EndpointSlice with 3 ready endpoints')
    expect(slices.flatMap(e => e.addresses).sort()).toEqual([...ips].sort())
    expect(new Set(slices.map(e => e.nodeName))).toEqual(new Set([NODE]))
    // kubectl top sees the pods' processes (usage reported up the link).
    const top = await eventually(async () => {
      const out = await kubectl('top', 'pods', '-n', 'default', '-l', 'app=echo', '--no-headers').catch(() => '')
      return out.trim().split('\n').filter(l => l.trim() !== '').length === 3 ? out : undefined
    }, 20_000, 'kubectl top pods lists the 3 echo pods')
    for (const p of ready) expect(top).toMatch(new RegExp(`^${p.metadata.name!}\\s+\\d+m\\s+[1-9]\\d*Mi`, 'm'))
  })

  it('serves kubectl logs, logs -f, exec (with stdin and exit codes) and port-forward for an edge pod over the edge link', async () => {
    const [pod] = await pods('app=echo')
    const name = pod!.metadata.name!
    await curl(`http://${pod!.status!.podIP!}:8080/before-logs`)
    await eventually(async () => (await kubectl('logs', name, '-n', 'default')).includes('GET /before-logs') ? true : undefined, 10_000, 'request line in kubectl logs')
    expect(await kubectl('logs', name, '-n', 'default', '--tail', '1')).toMatch(/GET \/before-logs\n$/)
    // logs -f: a request made while following shows up.
    const follow = spawn('kubectl', ['--kubeconfig', kubeconfig, 'logs', '-f', name, '-n', 'default'], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      let seen = ''
      follow.stdout.setEncoding('utf8').on('data', (d: string) => { seen += d })
      await eventually(async () => seen.includes('/before-logs') ? true : undefined, 10_000, 'logs -f started')
      await curl(`http://${pod!.status!.podIP!}:8080/while-following`)
      await eventually(async () => seen.includes('/while-following') ? true : undefined, 10_000, 'followed line')
    } finally { follow.kill('SIGTERM') }
    // exec runs in the pod's network namespace, with the pod's resolv.conf.
    expect(await kubectl('exec', name, '-n', 'default', '--', 'cat', '/etc/resolv.conf')).toContain('nameserver 169.254.96.16')
    expect((await kubectl('exec', name, '-n', 'default', '--', 'sh', '-c', 'echo $HOSTNAME; ip -4 -o addr show eth0')).split('\n')[0]).toBe(name)
    const upper = await new Promise<string>((resolve, reject) => {
      const c = execFile('kubectl', ['--kubeconfig', kubeconfig, 'exec', '-i', name, '-n', 'default', '--', 'tr', 'a-z', 'A-Z'], { timeout: 20_000 }, (err, out) => { if (err !== null) reject(err); else resolve(out) })
      c.stdin!.end('hello through the link\n')
    })
    expect(upper).toBe('HELLO THROUGH THE LINK\n')
    await expect(kubectl('exec', name, '-n', 'default', '--', 'sh', '-c', 'exit 3')).rejects.toMatchObject({ code: 3 })
    // port-forward: a local port to the pod's 8080, through the link.
    const pf = spawn('kubectl', ['--kubeconfig', kubeconfig, 'port-forward', '-n', 'default', `pod/${name}`, ':8080'], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const line = await firstLine(pf, l => l.includes('Forwarding from 127.0.0.1:'), 15_000)
      const local = /127\.0\.0\.1:(\d+)/.exec(line)![1]
      expect(await curl(`http://127.0.0.1:${local}/forwarded`)).toBe(`${name} /forwarded\n`)
      expect(await curl(`http://127.0.0.1:${local}/again`)).toBe(`${name} /again\n`)
    } finally { pf.kill('SIGTERM') }
  })

  it('runs a node:20 pod whose command serves $HOSTNAME at its pod IP', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: hostname-web, namespace: default, labels: { app: hostname-web } }
spec:
  nodeName: ${NODE}
  containers:
  - name: web
    image: node:20
    command: ["node", "-e", "require('http').createServer((q, s) => s.end(process.env.HOSTNAME)).listen(8081)"]
    readinessProbe: { tcpSocket: { port: 8081 }, periodSeconds: 1 }
`)
    const [pod] = await eventually(async () => {
      const l = await pods('app=hostname-web')
      return l[0]?.status?.containerStatuses?.[0]?.ready === true ? l : undefined
    }, 30_000, 'node:20 pod ready')
    expect(await curl(`http://${pod!.status!.podIP!}:8081/`)).toBe('hostname-web')
    // Its resolver is the mesh DNS with the cluster search path (ip netns exec mounts the pod's file).
    const netns = PREFIX + createHash('sha256').update(pod!.metadata.uid!).digest('hex').slice(0, 12)
    const resolv = (await sh('ip', ['netns', 'exec', netns, 'cat', '/etc/resolv.conf'])).stdout
    expect(resolv).toContain('nameserver 169.254.96.16')
    expect(resolv).toContain('search default.svc.cluster.local svc.cluster.local cluster.local')
  })

  it('mounts configMap, secret and downwardAPI volumes in the container only, and propagates a ConfigMap update', async () => {
    const mnt = join(dir, 'mnt')
    await apply(`
apiVersion: v1
kind: ConfigMap
metadata: { name: web-config, namespace: default }
data: { greeting: hello }
---
apiVersion: v1
kind: Secret
metadata: { name: web-secret, namespace: default }
stringData: { token: s3cret }
---
apiVersion: v1
kind: Pod
metadata: { name: volumes, namespace: default, labels: { app: volumes, tier: web } }
spec:
  nodeName: ${NODE}
  volumes:
  - { name: cfg, configMap: { name: web-config } }
  - { name: sec, secret: { secretName: web-secret, defaultMode: 0400 } }
  - { name: info, downwardAPI: { items: [{ path: labels, fieldRef: { fieldPath: metadata.labels } }] } }
  containers:
  - name: web
    image: node:20
    command: ["node", "-e", "const fs = require('fs'); require('http').createServer((q, s) => s.end(['${mnt}/cfg/greeting', '${mnt}/sec/token', '${mnt}/info/labels'].map(f => fs.readFileSync(f, 'utf8')).join('|'))).listen(8082)"]
    volumeMounts: [{ name: cfg, mountPath: ${mnt}/cfg }, { name: sec, mountPath: ${mnt}/sec, readOnly: true }, { name: info, mountPath: ${mnt}/info }]
    readinessProbe: { tcpSocket: { port: 8082 }, periodSeconds: 1 }
`)
    const [pod] = await eventually(async () => {
      const l = await pods('app=volumes')
      return l[0]?.status?.containerStatuses?.[0]?.ready === true ? l : undefined
    }, 30_000, 'volumes pod ready')
    const url = `http://${pod!.status!.podIP!}:8082/`
    expect(await curl(url)).toBe('hello|s3cret|app="volumes"\ntier="web"')
    // The mounts live in the container's mount namespace: the node sees empty mount points.
    expect((await sh('ls', ['-A', join(mnt, 'cfg')])).stdout).toBe('')
    await apply('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web-config, namespace: default }\ndata: { greeting: updated }\n')
    await eventually(async () => (await curl(url)).startsWith('updated|') ? true : undefined, 15_000, 'ConfigMap update seen in the volume')
    await kubectl('delete', 'pod', 'volumes', '-n', 'default', '--wait=false')
  })

  it('runs init containers in order before the app container, sharing an emptyDir, with exec startup and readiness probes', async () => {
    const mnt = join(dir, 'init-mnt')
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: with-init, namespace: default, labels: { app: with-init } }
spec:
  nodeName: ${NODE}
  volumes: [{ name: work, emptyDir: {} }]
  initContainers:
  - { name: first, image: busybox, command: ["sh", "-c", "echo one > ${mnt}/order"], volumeMounts: [{ name: work, mountPath: ${mnt} }] }
  - { name: second, image: busybox, command: ["sh", "-c", "echo two >> ${mnt}/order"], volumeMounts: [{ name: work, mountPath: ${mnt} }] }
  containers:
  - name: web
    image: node:20
    command: ["node", "-e", "require('http').createServer((q, s) => s.end(require('fs').readFileSync('${mnt}/order', 'utf8'))).listen(8084)"]
    volumeMounts: [{ name: work, mountPath: ${mnt} }]
    startupProbe: { exec: { command: ["test", "-f", "${mnt}/order"] }, periodSeconds: 1 }
    readinessProbe: { exec: { command: ["sh", "-c", "grep -q two ${mnt}/order"] }, periodSeconds: 1 }
`)
    const [pod] = await eventually(async () => {
      const l = await pods('app=with-init')
      return l[0]?.status?.containerStatuses?.[0]?.ready === true ? l : undefined
    }, 30_000, 'pod with init containers ready')
    expect(await curl(`http://${pod!.status!.podIP!}:8084/`)).toBe('one\ntwo\n')
    const init = JSON.parse(await kubectl('get', 'pod', 'with-init', '-n', 'default', '-o', 'jsonpath={.status.initContainerStatuses}')) as Array<{ name: string, state: { terminated?: { exitCode: number } } }>
    expect(init.map(c => [c.name, c.state.terminated?.exitCode])).toEqual([['first', 0], ['second', 0]])
    await kubectl('delete', 'pod', 'with-init', '-n', 'default', '--wait=false')
  })

  it('runs a DaemonSet\'s pod on the edge node', async () => {
    await apply(`
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: node-echo, namespace: default }
spec:
  selector: { matchLabels: { app: node-echo } }
  template:
    metadata: { labels: { app: node-echo } }
    spec: { containers: [{ name: echo, image: edgemesh/echo-server, env: [{ name: PORT, value: "8083" }], readinessProbe: { httpGet: { port: 8083 }, periodSeconds: 1 } }] }
`)
    const [pod] = await eventually(async () => {
      const l = await pods('app=node-echo')
      return l.length === 1 && l[0]!.status?.containerStatuses?.[0]?.ready === true ? l : undefined
    }, 30_000, 'daemon pod ready on the edge node')
    expect(pod!.spec?.nodeName).toBe(NODE)
    expect(await curl(`http://${pod!.status!.podIP!}:8083/ds`)).toBe(`${pod!.metadata.name!} /ds\n`)
    await kubectl('delete', 'daemonset', 'node-echo', '-n', 'default')
  })

  it('restarts a container whose liveness probe fails, and kubectl get pods shows the restart count', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: unlive, namespace: default, labels: { app: unlive } }
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 2
  containers:
  - name: echo
    image: edgemesh/echo-server
    livenessProbe: { httpGet: { path: /, port: 9999 }, periodSeconds: 1, failureThreshold: 2 }
`)
    await eventually(async () => ((await pods('app=unlive'))[0]?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? true : undefined, 30_000, 'a restart')
    const line = await kubectl('get', 'pod', 'unlive', '-n', 'default', '--no-headers')
    expect(Number(line.trim().split(/\s+/)[3])).toBeGreaterThanOrEqual(1)
    await kubectl('delete', 'pod', 'unlive', '-n', 'default', '--wait=false')
  })

  it('gives bad specs a clear waiting reason and keeps running the others', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: bad-image, namespace: default, labels: { app: bad } }
spec: { nodeName: ${NODE}, containers: [{ name: c, image: "registry.example/nope:1" }] }
---
apiVersion: v1
kind: Pod
metadata: { name: bad-config, namespace: default, labels: { app: bad } }
spec:
  nodeName: ${NODE}
  containers:
  - name: c
    image: busybox
    command: ["sleep", "1000"]
    env: [{ name: X, valueFrom: { configMapKeyRef: { name: missing-cm, key: k } } }]
---
apiVersion: v1
kind: Pod
metadata: { name: bad-command, namespace: default, labels: { app: bad } }
spec: { nodeName: ${NODE}, containers: [{ name: c, image: busybox, command: ["no-such-command-${run}"] }] }
`)
    // create, not apply: apply would also copy the huge env into its last-applied annotation.
    const big = join(dir, 'bad-env.yaml')
    await writeFile(big, `apiVersion: v1
kind: Pod
metadata: { name: bad-env, namespace: default, labels: { app: bad } }
spec: { nodeName: ${NODE}, containers: [{ name: c, image: busybox, command: ["sleep", "1000"], env: [{ name: BIG, value: "${'x'.repeat(1_100_000)}" }] }] }
`)
    await kubectl('create', '-f', big)
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: bad-volume, namespace: default, labels: { app: bad } }
spec:
  nodeName: ${NODE}
  volumes: [{ name: data, persistentVolumeClaim: { claimName: data } }]
  containers: [{ name: c, image: busybox, command: ["sleep", "1000"], volumeMounts: [{ name: data, mountPath: /data }] }]
`)
    const reasons = await eventually(async () => {
      const got = Object.fromEntries((await pods('app=bad')).map(p => [p.metadata.name, p.status?.containerStatuses?.[0]?.state?.waiting?.reason]))
      return Object.values(got).filter(r => r !== undefined && r !== 'ContainerCreating').length === 5 ? got : undefined
    }, 30_000, 'waiting reasons for the 5 bad pods')
    expect(reasons).toEqual({ 'bad-image': 'ErrImagePull', 'bad-config': 'CreateContainerConfigError', 'bad-command': 'RunContainerError', 'bad-env': 'CreateContainerConfigError', 'bad-volume': 'CreateContainerConfigError' })
    expect(await kubectl('get', 'pod', 'bad-volume', '-n', 'default', '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.message}')).toContain('volume type persistentVolumeClaim is not supported')
    const describe = await kubectl('get', 'pod', 'bad-config', '-n', 'default', '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.message}')
    expect(describe).toContain('configmap "missing-cm" not found')
    // The ConfigMap arriving later lets the pod start.
    await apply('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: missing-cm, namespace: default }\ndata: { k: v }\n')
    await eventually(async () => (await pods('app=bad')).find(p => p.metadata.name === 'bad-config')?.status?.containerStatuses?.[0]?.state?.running !== undefined ? true : undefined, 20_000, 'bad-config running once its ConfigMap exists')
    for (const p of (await pods('app=echo'))) expect(await curl(`http://${p.status!.podIP!}:8080/still`)).toContain('/still')
    await kubectl('delete', 'pods', '-n', 'default', '-l', 'app=bad', '--wait=false')
  })

  it('after kill -9 and a restart with the cloud unreachable, brings the pods back with the same IPs; when the link returns nothing is recreated', async () => {
    const before = await pods('app=echo')
    const byName = new Map(before.map(p => [p.metadata.name!, { ip: p.status!.podIP!, uid: p.metadata.uid!, restarts: p.status!.containerStatuses![0]!.restartCount }]))
    await kill9()
    // The kernel took the containers with edgecore (pdeathsig): nothing answers.
    await expect(curl(`http://${before[0]!.status!.podIP!}:8080/`)).rejects.toThrow()
    await start(await writeConfig('offline.yaml', 'wss://127.0.0.1:1'))
    for (const [name, b] of byName) {
      const body = await eventually(async () => await curl(`http://${b.ip}:8080/back`).catch(() => undefined), 20_000, `${name} back at ${b.ip}`)
      expect(body).toBe(`${name} /back\n`)
    }
    await kill9()
    await start(await writeConfig('edgecore.yaml', hubUrl))
    const after = await eventually(async () => {
      const l = await pods('app=echo')
      return l.length === 3 && l.every(p => p.status?.containerStatuses?.[0]?.ready === true && p.status.containerStatuses[0].restartCount > (byName.get(p.metadata.name!)?.restarts ?? 0)) ? l : undefined
    }, 30_000, 'pods ready again with their restarts counted')
    for (const p of after) {
      const b = byName.get(p.metadata.name!)
      expect(b).toBeDefined()
      expect(p.metadata.uid).toBe(b!.uid)
      expect(p.status!.podIP).toBe(b!.ip)
      // Two edgecore restarts: each restarted the container once.
      expect(p.status!.containerStatuses![0]!.restartCount).toBe(b!.restarts + 2)
    }
  })

  it('kubectl delete stops processes with SIGTERM and leaves no namespace, veth or address behind', async () => {
    const marker = join(dir, 'terminated')
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: graceful, namespace: default, labels: { app: graceful } }
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 10
  containers:
  - name: c
    image: node:20
    command: ["node", "-e", "process.on('SIGTERM', () => { require('fs').writeFileSync('${marker}', 'SIGTERM'); process.exit(0) }); setInterval(() => {}, 1000)"]
`)
    await eventually(async () => (await pods('app=graceful'))[0]?.status?.containerStatuses?.[0]?.state?.running !== undefined ? true : undefined, 20_000, 'graceful running')
    await kubectl('delete', 'pod', 'graceful', '-n', 'default')
    await kubectl('delete', 'deployment', 'echo', '-n', 'default')
    await kubectl('delete', 'pods', '--all', '-n', 'default', '--wait=false')
    await eventually(async () => existsSync(marker) ? true : undefined, 15_000, 'SIGTERM seen by the process')
    expect(await readFile(marker, 'utf8')).toBe('SIGTERM')
    await eventually(async () => (await netnsList()).length === 0 && Object.keys(await ipam()).length === 0 ? true : undefined, 30_000, 'no pod namespaces or addresses left')
    expect((await sh('ip', ['-o', 'link', 'show', 'master', BRIDGE])).stdout.trim()).toBe('')
    expect(existsSync(join(dir, 'edge/edged/pods')) ? (await sh('ls', [join(dir, 'edge/edged/pods')])).stdout.trim() : '').toBe('')
  })

  it('removeNodePodNetworks (keadm reset) removes the pods\' namespaces and the bridge of a stopped edgecore', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: left-running, namespace: default, labels: { app: left } }
spec: { nodeName: ${NODE}, containers: [{ name: c, image: edgemesh/echo-server }] }
`)
    await eventually(async () => (await pods('app=left'))[0]?.status?.podIP !== undefined ? true : undefined, 20_000, 'pod has an IP')
    expect((await netnsList()).length).toBe(1)
    await edgecore.stop()
    // A stopped edgecore leaves its pods' networks for the next start; reset removes them.
    expect((await netnsList()).length).toBe(1)
    const config = await loadEdgeCoreConfig(join(dir, 'edgecore.yaml'))
    expect(await removeNodePodNetworks(config)).toBe(1)
    expect(await netnsList()).toEqual([])
    await expect(sh('ip', ['link', 'show', BRIDGE])).rejects.toThrow()
  })
})
