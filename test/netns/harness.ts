import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createCA } from '@edgemesh/common'
import { issueNodeCert, loadOrCreatePeerKey } from '@edgemesh/edgemesh-agent'
import { ADDR } from './topology.js'
import type { AgentRunnerConfig } from './agent-runner.js'
import type { Topology } from './topology.js'
import type { CertificateAuthority } from '@edgemesh/common'
import type { ChildProcess } from 'node:child_process'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const NODE = [process.execPath, '--conditions=source', '--import', 'tsx']
export const SERVER_PORT = 20004
export const ECHO_PORT = 7007

/** A JSON-lines child: stdout lines are parsed; requests carry an id and resolve with the matching answer. */
export class Proc {
  private readonly lines: Array<Record<string, unknown>> = []
  private readonly waiters = new Set<() => void>()
  private nextId = 1
  stderr = ''

  constructor (readonly child: ChildProcess, readonly name: string) {
    createInterface({ input: child.stdout! }).on('line', line => {
      let msg: Record<string, unknown>
      try { msg = JSON.parse(line) } catch { return }
      this.lines.push(msg)
      for (const w of this.waiters) w()
    })
    child.stderr?.on('data', (b: Buffer) => { this.stderr = (this.stderr + b.toString()).slice(-20_000) })
  }

  async waitFor (pred: (m: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const hit = this.lines.find(pred)
      if (hit !== undefined) return hit
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}): ${this.stderr.slice(-2000)}`)
      if (Date.now() > deadline) throw new Error(`${this.name}: timed out waiting; stderr: ${this.stderr.slice(-2000)}`)
      await new Promise<void>(resolve => {
        const w = (): void => { this.waiters.delete(w); clearTimeout(t); resolve() }
        const t = setTimeout(w, 200)
        this.waiters.add(w)
      })
    }
  }

  async request (cmd: Record<string, unknown>, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const id = this.nextId++
    this.child.stdin!.write(JSON.stringify({ id, ...cmd }) + '\n')
    return await this.waitFor(m => m.id === id, timeoutMs)
  }
}

export interface Mesh {
  dir: string
  ca: CertificateAuthority
  serverPeerId: string
  serverAddr: string
  server: Proc
  a1: Proc
  b1: Proc
  startServer: () => Promise<Proc>
  /** Starts a certificate-less libp2p node in `ns` that asks the server for a relay reservation. */
  startStranger: (ns: string) => Promise<Proc>
  /** The server's /metrics text, fetched from inside the cloud namespace. */
  serverMetrics: () => Promise<string>
  stopServer: () => Promise<void>
  cleanup: () => Promise<void>
}

/** edgemesh-server (the real binary) on the cloud host, agent runners on node-a1 and node-b1. */
export async function startMesh (t: Topology): Promise<Mesh> {
  const dir = await mkdtemp(join(tmpdir(), 'edgemesh-netns-'))
  try {
    return await buildMesh(t, dir)
  } catch (err) {
    // The caller never gets a Mesh (and its cleanup) when we fail half-way.
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}

async function buildMesh (t: Topology, dir: string): Promise<Mesh> {
  const ca = await createCA({ commonName: 'edgemesh-netns-ca' })
  await writeFile(join(dir, 'ca.crt'), ca.certPem)
  const serverData = join(dir, 'server')
  const serverKey = await loadOrCreatePeerKey(serverData)
  const serverCert = await issueNodeCert(ca, 'edgemesh-server', serverKey.peerId)
  await writeFile(join(dir, 'server.crt'), serverCert.certPem)
  await writeFile(join(dir, 'server.yaml'), [
    `listen: ["/ip4/0.0.0.0/tcp/${SERVER_PORT}"]`,
    `announce: ["/ip4/${ADDR.cloud}/tcp/${SERVER_PORT}"]`,
    `dataDir: ${serverData}`,
    'identity:',
    `  certFile: ${join(dir, 'server.crt')}`,
    `  caFile: ${join(dir, 'ca.crt')}`,
    'http: { host: 0.0.0.0, port: 20005 }',
    'limits: { punchStartDelayMs: 300 }',
    'log: { level: warn }'
  ].join('\n') + '\n')
  const serverPeerId = serverKey.peerId.toString()
  const serverAddr = `/ip4/${ADDR.cloud}/tcp/${SERVER_PORT}/p2p/${serverPeerId}`
  const startServer = async (): Promise<Proc> => {
    const p = new Proc(t.spawn(t.names.cloud, [...NODE, join(ROOT, 'edgemesh-server/src/bin/edgemesh-server.ts'), '--config', join(dir, 'server.yaml')], { cwd: ROOT }), 'edgemesh-server')
    await p.waitFor(m => m.ready === true, 60_000)
    return p
  }
  const agent = async (ns: string, nodeName: string, ip: string, echo: boolean): Promise<Proc> => {
    const dataDir = join(dir, nodeName)
    const key = await loadOrCreatePeerKey(dataDir)
    const cert = await issueNodeCert(ca, nodeName, key.peerId)
    const cfg: AgentRunnerConfig = {
      nodeName, dataDir, certPem: cert.certPem, caPem: ca.certPem, servers: [serverAddr],
      listen: [`/ip4/${ip}/tcp/20006`], localPort: 20007,
      ...(echo ? { echo: { host: ip, port: ECHO_PORT } } : {}),
      punchInitialBackoffMs: 500
    }
    const p = new Proc(t.spawn(ns, [...NODE, join(ROOT, 'test/netns/agent-runner.ts'), JSON.stringify(cfg)], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: process.env.NETNS_LOG_LEVEL ?? 'warn' } }), nodeName)
    await p.waitFor(m => m.event === 'ready', 60_000)
    return p
  }
  const mesh: Mesh = {
    dir, ca, serverPeerId, serverAddr,
    server: await startServer(),
    a1: undefined as unknown as Proc,
    b1: undefined as unknown as Proc,
    startServer: async () => { mesh.server = await startServer(); return mesh.server },
    startStranger: async (ns: string) => {
      const cfg = { nodeName: 'stranger', dataDir: join(dir, 'stranger'), certPem: '', caPem: '', servers: [serverAddr], listen: [], localPort: 0, stranger: true }
      const p = new Proc(t.spawn(ns, [...NODE, join(ROOT, 'test/netns/agent-runner.ts'), JSON.stringify(cfg)], { cwd: ROOT }), 'stranger')
      await p.waitFor(m => m.event === 'ready', 60_000)
      return p
    },
    serverMetrics: async () => await t.exec(t.names.cloud, ['curl', '-sf', `http://${ADDR.cloud}:20005/metrics`]),
    stopServer: async () => {
      const c = mesh.server.child
      if (c.exitCode !== null) return
      const exited = new Promise(resolve => c.once('exit', resolve))
      c.kill('SIGKILL')
      await exited
    },
    cleanup: async () => { await rm(dir, { recursive: true, force: true }) }
  }
  ;[mesh.a1, mesh.b1] = await Promise.all([
    agent(t.names.nodeA1, 'node-a1', ADDR.nodeA1, false),
    agent(t.names.nodeB1, 'node-b1', ADDR.nodeB1, true)
  ])
  return mesh
}

export { eventually } from '@edgemesh/common'
