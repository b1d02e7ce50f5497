// Runs one mesh agent (libp2p node + NAT traversal + optional echo server) inside a network namespace.
// Config: JSON on argv[2]. Control: JSON lines on stdin ({id, cmd, ...}); answers and events as JSON lines on stdout.
// Start with: ip netns exec <ns> node --conditions=source --import tsx test/netns/agent-runner.ts '<json>'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { FaultTolerance } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { createLogger } from '@edgemesh/common'
import { createMeshNode, loadOrCreatePeerKey, natTraversal } from '@edgemesh/edgemesh-agent'
import type { Duplex } from 'node:stream'
import type { NatTraversal } from '@edgemesh/edgemesh-agent'

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
  /** Run a plain libp2p node without a mesh identity that only asks the servers for relay reservations. */
  stranger?: boolean
}

function out (msg: unknown): void { process.stdout.write(JSON.stringify(msg) + '\n') }

async function main (): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as AgentRunnerConfig
  const logger = createLogger({ name: cfg.nodeName, destination: 2, level: process.env.LOG_LEVEL ?? 'warn' })
  if (cfg.echo !== undefined) {
    const echo = createServer(s => { s.pipe(s); s.on('error', () => {}) })
    await new Promise<void>(resolve => echo.listen(cfg.echo?.port, cfg.echo?.host, resolve))
  }
  if (cfg.stranger === true) { await runStranger(cfg); return }
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
    // Short reconnect backoff so the restart test recovers within seconds (default max is 15 s).
    services: { nat: natTraversal({ nodeName: cfg.nodeName, servers: cfg.servers, localPort: cfg.localPort, reconnectMaxMs: 4_000, logger }) },
    logger
  })
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
    const pathAtOpen = node.services.tunnel.metrics().find(m => m.nodeName === nodeName)?.path
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
    return { ms: Date.now() - started, same, path, pathAtOpen }
  }
  if (req.cmd === 'bench') return await bench(node, req)
  if (req.cmd === 'metrics') {
    return { peers: node.services.tunnel.metrics(), nat: node.services.nat.stats(), registrations: node.services.nat.rendezvous.registrationCount, links: node.services.nat.links.links().length, addrs: node.getMultiaddrs().map(String) }
  }
  if (req.cmd === 'resolve') {
    const r = await node.services.nat.resolve(String(req.nodeName), AbortSignal.timeout(5_000))
    return { peerId: r?.peerId.toString(), addrs: r?.addrs.map(String), observedAddrs: r?.observedAddrs.map(String) }
  }
  throw new Error(`unknown command ${req.cmd}`)
}

/** A libp2p node with no certificate: it dials the servers and asks for a reservation like an agent would. */
async function runStranger (cfg: AgentRunnerConfig): Promise<void> {
  const node = await createLibp2p({
    addresses: { listen: cfg.servers.map(s => `${s}/p2p-circuit`) },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
    transportManager: { faultTolerance: FaultTolerance.NO_FATAL }
  })
  out({ event: 'ready', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })
  process.once('SIGTERM', () => { void Promise.resolve(node.stop()).finally(() => process.exit(0)) })
}

/** RTT (1-byte ping-pongs) and echo throughput over a tunnel flow or a raw TCP connection. */
async function bench (node: Node, req: { [k: string]: unknown }): Promise<Record<string, unknown>> {
  const bytes = Number(req.bytes ?? 16 * 1024 * 1024)
  const pings = Number(req.pings ?? 200)
  const t0 = performance.now()
  const duplex: Duplex = req.mode === 'raw'
    ? await new Promise<Duplex>((resolve, reject) => { const s = connect({ host: String(req.ip), port: Number(req.port) }, () => { s.setNoDelay(true); resolve(s) }); s.once('error', reject) })
    : await node.services.tunnel.openTcp(String(req.nodeName), { ip: String(req.ip), port: Number(req.port) }, AbortSignal.timeout(20_000))
  const connectMs = performance.now() - t0
  const reader = chunks(duplex)
  const rtts: number[] = []
  for (let i = 0; i < pings; i++) {
    const t = performance.now()
    duplex.write(Buffer.from([i & 0xff]))
    await reader.take(1)
    rtts.push(performance.now() - t)
  }
  const chunk = randomBytes(64 * 1024)
  const t1 = performance.now()
  const got = reader.take(bytes)
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!duplex.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)))) await once(duplex, 'drain')
  }
  await got
  const secs = (performance.now() - t1) / 1000
  duplex.destroy()
  rtts.sort((a, b) => a - b)
  const q = (p: number): number => rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))] ?? NaN
  const path = req.mode === 'raw' ? 'raw' : node.services.tunnel.metrics().find(m => m.nodeName === req.nodeName)?.path
  return { path, connectMs, rttP50Ms: q(0.5), rttP99Ms: q(0.99), mibPerSec: bytes / 1048576 / secs }
}

/** Counts echoed bytes; take(n) resolves once n more bytes have arrived. */
function chunks (d: Duplex): { take: (n: number) => Promise<void> } {
  let have = 0
  let want: { n: number, resolve: () => void } | undefined
  d.on('data', (b: Buffer) => {
    have += b.length
    if (want !== undefined && have >= want.n) { have -= want.n; const w = want; want = undefined; w.resolve() }
  })
  return {
    take: async (n) => {
      if (have >= n) { have -= n; return }
      await new Promise<void>(resolve => { want = { n, resolve } })
    }
  }
}

main().catch(err => { console.error(err); process.exit(1) })
