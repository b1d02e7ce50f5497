import { appendFile, mkdir, writeFile } from 'node:fs/promises'
import { connect, createServer, type AddressInfo, type Server } from 'node:net'
import { join } from 'node:path'
import { createCA, issueCert, silentLogger, type KeyAndCert } from '@edgemesh/common'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminKubeconfig, ApiServer, builtinResources, createApiCore, ServiceAllocator, type ApiCore, type ClusterPki } from '../../cloud-core/src/index.js'
import { PairPodStreamOpener, ProcessPodStreamHandler } from '../helpers/process-pod-node.js'
import { Kubectl, kubectlMissing, tempDir, versionedKubectls } from './harness.js'

// Real kubectl of several versions against the cloud API server, whose pod streams reach a test node
// that runs real processes: the protocols differ by version (SPDY exec up to 1.29, WebSocket v5 from
// 1.30, port-forward SPDY over WebSocket from 1.31), so each version runs the same commands.
const missing = kubectlMissing()
const bins = versionedKubectls()
const VERSIONS = [27, 30, 32, 33].filter(v => bins.has(v))
if (missing !== undefined) console.log(`skipping kubectl streaming e2e: ${missing}`)
else if (VERSIONS.length === 0) console.log('skipping kubectl streaming e2e: no versioned kubectl.1.<minor> binaries next to kubectl')

const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' }

async function roundTrip (port: number, text: string): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const sock = connect(port, '127.0.0.1')
    let got = ''
    sock.setEncoding('utf8')
    sock.on('data', (d: string) => { got += d })
    sock.on('end', () => { resolve(got) })
    sock.on('error', reject)
    sock.on('connect', () => { sock.end(text) })
  })
}

describe.skipIf(missing !== undefined || VERSIONS.length === 0)('kubectl logs, exec and port-forward through the pod streams', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let store: SqliteStore
  let core: ApiCore
  let server: ApiServer
  let backend: Server
  let admin: string
  let nodeCfg: string
  let logFile: string
  let handler: ProcessPodStreamHandler
  let n = 0

  const kubeconfig = async (name: string, ca: ClusterPki['ca'], user: KeyAndCert): Promise<string> => {
    const p = join(dir.path, name)
    await writeFile(p, adminKubeconfig(`https://127.0.0.1:${server.port}`, { ca, admin: user } as unknown as ClusterPki))
    return p
  }
  const kubectl = (minor: number, cfg = admin): Kubectl => new Kubectl(cfg, join(dir.path, `cache-${n++}`), bins.get(minor))

  const pod = async (name: string, containers: string[], nodeName: string | undefined, phase = 'Running'): Promise<void> => {
    const created = await core.client.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { ...(nodeName !== undefined ? { nodeName } : {}), containers: containers.map(c => ({ name: c, image: 'busybox' })) }
    })
    await core.client.update(PODS, { ...created, status: { phase, containerStatuses: containers.map(c => ({ name: c, ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: new Date().toISOString() } } })) } }, 'status')
  }

  beforeAll(async () => {
    dir = await tempDir('kubectl-streams-')
    const work = join(dir.path, 'work')
    await mkdir(work)
    await writeFile(join(work, 'hello.txt'), 'hello from the pod\n')
    logFile = join(dir.path, 'web-main.log')
    await writeFile(logFile, 'line 1\nline 2\nline 3\n')
    await writeFile(join(dir.path, 'duo-b.log'), 'from container b\n')
    backend = createServer(sock => {
      let got = ''
      sock.setEncoding('utf8')
      sock.on('data', (d: string) => { got += d })
      sock.on('end', () => { sock.end(`pong ${got}`) })
      sock.on('error', () => {})
    })
    await new Promise<void>(resolve => backend.listen(0, '127.0.0.1', resolve))
    const backendPort = (backend.address() as AddressInfo).port
    handler = new ProcessPodStreamHandler({
      cwd: work,
      logFile: (_ns, p, c) => p === 'web' && c === 'main' ? logFile : p === 'duo' && c === 'b' ? join(dir.path, 'duo-b.log') : undefined,
      targetPort: port => port === 8080 ? backendPort : undefined
    })
    const ca = await createCA({ commonName: 'streams-ca' })
    const serving = await issueCert(ca, { commonName: 'apiserver', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
    store = sqliteStore({ dataDir: join(dir.path, 'data'), compactIntervalMs: 0 })
    await store.start()
    core = await createApiCore({ store, logger: silentLogger(), resources: builtinResources({ allocator: new ServiceAllocator() }) })
    server = new ApiServer({ core, logger: silentLogger(), openapi: core.openapi, podStreams: new PairPodStreamOpener(handler, new Set(['n1'])) },
      { port: 0, host: '127.0.0.1', tls: { key: serving.keyPem, cert: serving.certPem, ca: ca.certPem } })
    await server.start()
    admin = await kubeconfig('admin.kubeconfig', ca, await issueCert(ca, { commonName: 'admin', organizations: ['system:masters'] }, { usage: 'client' }))
    nodeCfg = await kubeconfig('node.kubeconfig', ca, await issueCert(ca, { commonName: 'system:node:n1', organizations: ['system:nodes'] }, { usage: 'client' }))
    await pod('web', ['main'], 'n1')
    await pod('duo', ['a', 'b'], 'n1')
    await pod('away', ['main'], 'n2')
  }, 60_000)

  afterAll(async () => {
    await server?.stop()
    await store?.stop()
    await new Promise<void>(resolve => { if (backend === undefined) resolve(); else backend.close(() => { resolve() }) })
    await dir?.remove()
  })

  for (const minor of VERSIONS) {
    describe(`kubectl 1.${minor}`, () => {
      it('exec runs a command, feeds piped stdin and passes the exit code on', async () => {
        const k = kubectl(minor)
        expect(await k.ok(['exec', 'web', '--', 'cat', 'hello.txt'])).toBe('hello from the pod\n')
        expect(await k.ok(['exec', '-i', 'web', '--', 'cat'], 'piped input\nsecond line\n')).toBe('piped input\nsecond line\n')
        const failed = await k.run(['exec', 'web', '--', 'sh', '-c', 'echo oops >&2; exit 3'])
        expect(failed.code).toBe(3)
        expect(failed.stderr).toContain('oops')
      })

      it('logs prints the file, honours --tail and -c, and explains a refused --previous', async () => {
        const k = kubectl(minor)
        expect(await k.ok(['logs', 'web'])).toBe('line 1\nline 2\nline 3\n')
        expect(await k.ok(['logs', 'web', '--tail=1'])).toBe('line 3\n')
        expect(await k.ok(['logs', 'duo', '-c', 'b'])).toBe('from container b\n')
        const prev = await k.run(['logs', 'web', '--previous'])
        expect(prev.code).not.toBe(0)
        expect(prev.stderr).toContain('previous terminated container "main" in pod "web" not found')
        const unknown = await k.run(['logs', 'web', '-c', 'nope'])
        expect(unknown.code).not.toBe(0)
        expect(unknown.stderr).toContain('container nope is not valid for pod web')
      })

      it('port-forward carries two concurrent connections to the pod port', async () => {
        const k = kubectl(minor)
        const pf = k.stream(['port-forward', 'pod/web', ':8080'])
        try {
          const line = await pf.waitFor(/Forwarding from 127\.0\.0\.1:\d+ -> 8080/)
          const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1])
          const [a, b] = await Promise.all([roundTrip(port, 'first'), roundTrip(port, 'second')])
          expect(a).toBe('pong first')
          expect(b).toBe('pong second')
          expect(await roundTrip(port, 'third')).toBe('pong third')
          expect(pf.child.exitCode).toBeNull()
        } finally {
          pf.stop()
        }
      })
    })
  }

  const newest = VERSIONS.at(-1)!

  it('logs -f shows a line the node appends while following', async () => {
    const f = kubectl(newest).stream(['logs', '-f', 'web'])
    try {
      await f.waitFor(/^line 3$/)
      await appendFile(logFile, 'line 4 appended\n')
      await f.waitFor(/^line 4 appended$/)
    } finally {
      f.stop()
    }
  })

  it('answers 503 naming the node when the pod\'s node is not connected', async () => {
    const k = kubectl(newest)
    const logs = await k.run(['logs', 'away'])
    expect(logs.code).not.toBe(0)
    expect(logs.stderr).toContain('error dialing backend: node "n2" is not connected')
    const exec = await k.run(['exec', 'away', '--', 'true'])
    expect(exec.code).not.toBe(0)
    expect(exec.stderr).toContain('node "n2" is not connected')
  })

  it('refuses exec and port-forward with a node credential (403), even into the node\'s own pod', async () => {
    const k = kubectl(newest, nodeCfg)
    const exec = await k.run(['exec', 'web', '--', 'true'])
    expect(exec.code).not.toBe(0)
    expect(exec.stderr).toMatch(/forbidden: User "system:node:n1" cannot create resource "pods\/exec"/)
    const logs = await k.run(['logs', 'web'])
    expect(logs.stderr).toMatch(/forbidden: User "system:node:n1" cannot get resource "pods\/log"/)
    const pf = await k.run(['port-forward', 'pod/web', ':8080'], undefined, 20_000)
    expect(pf.code).not.toBe(0)
    expect(pf.stderr).toMatch(/forbidden|Forbidden/)
    expect(handler.requests.every(r => r.kind !== 'exec' || r.command?.[0] !== 'true')).toBe(true)
  })

  it('prints kubectl\'s error for an unknown container on exec', async () => {
    const r = await kubectl(newest).run(['exec', 'web', '-c', 'nope', '--', 'true'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/container nope not found in pod web|container nope is not valid for pod web/)
  })
})
