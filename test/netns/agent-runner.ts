// Runs one mesh agent (libp2p node + NAT traversal + optional echo server) inside a network namespace.
// Config: JSON on argv[2]. Control: JSON lines on stdin ({id, cmd, ...}); answers and events as JSON lines on stdout.
// Start with: ip netns exec <ns> node --conditions=source --import tsx test/netns/agent-runner.ts '<json>'
import '../../common/src/polyfill.js'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { randomBytes } from 'node:crypto'
import { createLogger } from '@edgemesh/common'
import { createMeshNode, loadOrCreatePeerKey } from '@edgemesh/edgemesh-agent'
import { natTraversal } from '../../edgemesh-agent/src/tunnel/nat/index.js'
import type { NatTraversal } from '../../edgemesh-agent/src/tunnel/nat/index.js'

export interface AgentRunnerConfig {
  nodeName: string
  dataDir: string
  certPem: string
  caPem: string
  servers: string[]
  listen: string[]
  /** Fixed punch/server-link port. */
  localPort: number
  /** Serve a TCP echo here that peers may reach through the tunnel. */
  echo?: { host: string, port: number }
  /** Punch retry backoff of the connection manager (ms). */
  punchInitialBackoffMs?: number
}

function out (msg: unknown): void { process.stdout.write(JSON.stringify(msg) + '\n') }

async function main (): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as AgentRunnerConfig
  const logger = createLogger({ name: cfg.nodeName, destination: 2, level: process.env.LOG_LEVEL ?? 'warn' })
  if (cfg.echo !== undefined) {
    const echo = createServer(s => { s.pipe(s); s.on('error', () => {}) })
    await new Promise<void>(resolve => echo.listen(cfg.echo?.port, cfg.echo?.host, resolve))
  }
  const key = await loadOrCreatePeerKey(cfg.dataDir)
  const node = await createMeshNode<{ nat: NatTraversal }>({
    privateKey: key.privateKey,
    listen: cfg.listen,
    relays: cfg.servers,
    auth: { nodeName: cfg.nodeName, certPem: cfg.certPem, caPem: cfg.caPem, logger },
    tunnel: {
      policy: { allow: (_peer, t) => cfg.echo !== undefined && t.port === cfg.echo.port },
      punchInitialBackoffMs: cfg.punchInitialBackoffMs ?? 1000,
      punchMaxAttempts: 3
    },
    services: { nat: natTraversal({ nodeName: cfg.nodeName, servers: cfg.servers, localPort: cfg.localPort, logger }) },
    logger
  })
  node.services.tunnel.setResolver(node.services.nat)
  node.services.tunnel.setPuncher(node.services.nat)
  out({ event: 'ready', peerId: node.peerId.toString() })

  const rl = createInterface({ input: process.stdin })
  rl.on('line', line => {
    void (async () => {
      let req: { id: number, cmd: string, [k: string]: unknown }
      try { req = JSON.parse(line) } catch { return }
      try {
        out({ id: req.id, ok: true, ...await handle(node, req) })
      } catch (err) {
        out({ id: req.id, ok: false, code: (err as { code?: string }).code, error: (err as Error).message })
      }
    })()
  })
  const stop = (): void => { rl.close(); void Promise.resolve(node.stop()).finally(() => process.exit(0)) }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

type Node = Awaited<ReturnType<typeof createMeshNode<{ nat: NatTraversal }>>>

async function handle (node: Node, req: { cmd: string, [k: string]: unknown }): Promise<Record<string, unknown>> {
  if (req.cmd === 'echo') {
    const nodeName = String(req.nodeName)
    const bytes = Number(req.bytes ?? 1024)
    const started = Date.now()
    const duplex = await node.services.tunnel.openTcp(nodeName, { ip: String(req.ip), port: Number(req.port) }, AbortSignal.timeout(Number(req.timeoutMs ?? 20_000)))
    const payload = randomBytes(bytes)
    const got: Buffer[] = []
    let n = 0
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => { reject(new Error(`echo timed out after ${n}/${bytes} bytes`)) }, Number(req.timeoutMs ?? 20_000))
      duplex.on('data', (b: Buffer) => { got.push(b); n += b.length; if (n >= bytes) { clearTimeout(t); resolve() } })
      duplex.on('error', err => { clearTimeout(t); reject(err) })
      duplex.write(payload)
    })
    duplex.destroy()
    const same = Buffer.concat(got).subarray(0, bytes).equals(payload)
    const path = node.services.tunnel.metrics().find(m => m.nodeName === nodeName)?.path
    return { ms: Date.now() - started, same, path }
  }
  if (req.cmd === 'metrics') {
    return { peers: node.services.tunnel.metrics(), nat: node.services.nat.stats(), registrations: node.services.nat.rendezvous.registrationCount, links: node.services.nat.links.links().length, addrs: node.getMultiaddrs().map(String) }
  }
  if (req.cmd === 'resolve') {
    const r = await node.services.nat.resolve(String(req.nodeName), AbortSignal.timeout(5_000))
    return { peerId: r?.peerId.toString(), addrs: r?.addrs.map(String), observedAddrs: r?.observedAddrs.map(String) }
  }
  throw new Error(`unknown command ${req.cmd}`)
}

main().catch(err => { console.error(err); process.exit(1) })
