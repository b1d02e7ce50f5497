// Tunnel throughput with each agent on its own thread, as in a deployment where agents are separate processes:
// the client side (node-a, node-c and the measuring code) on the main thread, node-b plus the echo server on a
// worker, the relay on another worker. Raw TCP uses the same split (client here, echo server on B's worker).
// Run: `node --conditions=source --import tsx bench/tunnel/threads.ts [--mib=128] [--rounds=3]`
// Writes bench/results/tunnel-threads.json and bench/results/tunnel-threads.md.
import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import type { Duplex } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { createCA, type CertificateAuthority } from '@edgemesh/common'
import { issueNodeCert } from '../../mesh/src/identity/node-cert.js'
import { createMeshNode, type MeshNode } from '../../edgemesh-agent/src/tunnel/host.js'
import { streamToDuplex } from '../../edgemesh-agent/src/tunnel/stream-duplex.js'
import { echoServer, medianRatio, rawFlow, throughput } from './lib.js'

const arg = (name: string, dflt: number): number => {
  const a = process.argv.find(x => x.startsWith(`--${name}=`))
  return a !== undefined ? Number(a.split('=')[1]) : dflt
}
const here = dirname(fileURLToPath(import.meta.url))

interface Role { role: 'relay' | 'server', ca: CertificateAuthority, relayAddr?: string }
interface Ready { addr: string, peerId: string, echoPort?: number }

async function peer (ca: CertificateAuthority, nodeName: string, extra: Record<string, unknown> = {}): Promise<{ node: MeshNode, addr: string, peerId: string }> {
  const key = await generateKeyPair('Ed25519')
  const pid = peerIdFromPrivateKey(key)
  const { certPem } = await issueNodeCert(ca, nodeName, pid)
  const node = await createMeshNode({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], auth: { nodeName, certPem, caPem: ca.certPem }, ...extra })
  return { node, addr: node.getMultiaddrs()[0]!.toString(), peerId: pid.toString() }
}

async function worker (): Promise<void> {
  const w = workerData as Role
  let stop: () => Promise<void>
  if (w.role === 'relay') {
    const r = await peer(w.ca, 'relay-1', { relayServer: { reservations: { applyDefaultLimit: false } } })
    stop = async () => { await r.node.stop() }
    parentPort!.postMessage({ addr: r.addr, peerId: r.peerId } satisfies Ready)
  } else {
    const echo = await echoServer()
    const b = await peer(w.ca, 'node-b', { tunnel: { policy: { allow: () => true } }, relays: [w.relayAddr!] })
    while (!b.node.getMultiaddrs().some(m => m.toString().includes('/p2p-circuit'))) await new Promise(resolve => setTimeout(resolve, 50))
    await b.node.handle('/bench/echo/1.0.0', (stream) => { const d = streamToDuplex(stream); d.pipe(d) })
    stop = async () => { await b.node.stop(); echo.server.close() }
    parentPort!.postMessage({ addr: b.addr, peerId: b.peerId, echoPort: echo.port } satisfies Ready)
  }
  parentPort!.once('message', () => { stop().then(() => { process.exit(0) }, () => { process.exit(1) }) })
}

async function spawn (data: Role): Promise<{ w: Worker, ready: Ready }> {
  // A worker does not inherit the main thread's tsx loader: register it, then load this file as the worker.
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(import.meta.url)})`
  const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: data, execArgv: process.execArgv })
  const [ready] = await once(w, 'message') as [Ready]
  return { w, ready }
}

async function main (): Promise<void> {
  const MIB = arg('mib', 128)
  const ROUNDS = arg('rounds', 3)
  const ca = await createCA()
  const relay = await spawn({ role: 'relay', ca })
  const server = await spawn({ role: 'server', ca, relayAddr: relay.ready.addr })
  const b = server.ready
  const a = await peer(ca, 'node-a', { tunnel: { relays: [relay.ready.addr] } })
  const c = await peer(ca, 'node-c', { tunnel: { relays: [relay.ready.addr] } })
  a.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId, addrs: [b.addr] })
  c.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId, addrs: ['/ip4/127.0.0.1/tcp/1'] })
  const target = { ip: '127.0.0.1', port: b.echoPort! }
  const sig = (): AbortSignal => AbortSignal.timeout(60_000)
  const opens: Record<string, () => Promise<Duplex>> = {
    'raw TCP': async () => await rawFlow(b.echoPort!),
    'libp2p stream (noise+yamux)': async () => streamToDuplex(await a.node.getConnections(peerIdFromString(b.peerId))[0]!.newStream('/bench/echo/1.0.0')),
    'tunnel direct': async () => await a.node.services.tunnel.openTcp('node-b', target, sig()),
    'tunnel relayed': async () => await c.node.services.tunnel.openTcp('node-b', target, sig())
  }
  // Connect (dial + Noise + certificate exchange) before measuring; the bare-stream row reuses that connection.
  ;(await a.node.services.tunnel.openTcp('node-b', target, sig())).destroy()
  ;(await c.node.services.tunnel.openTcp('node-b', target, sig())).destroy()
  // Paths interleaved over rounds, median per path: the box is shared and its load swings within seconds.
  const rounds: Record<string, number[]> = {}
  const rows: Record<string, { mibPerSec: number, sha256Ok: boolean }> = {}
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, open] of Object.entries(opens)) {
      const r = await throughput(await open(), MIB)
      ;(rounds[name] ??= []).push(Math.round(r.mibPerSec * 10) / 10)
      rows[name] = { mibPerSec: 0, sha256Ok: (rows[name]?.sha256Ok ?? true) && r.sha256Ok }
      console.log(`round ${round + 1}`, name, Math.round(r.mibPerSec * 10) / 10, r.sha256Ok ? 'sha256 ok' : 'MISMATCH')
    }
  }
  for (const [name, v] of Object.entries(rounds)) rows[name]!.mibPerSec = [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!
  const ratio = (k: string): number => medianRatio(rounds, k)
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    note: 'client side on the main thread, node-b + echo server on one worker thread, relay on another; one box',
    loadAverageAtEnd: loadavg().map(x => Math.round(x * 10) / 10),
    payloadMiB: MIB,
    rounds,
    rows,
    ratiosVsRawTcp: Object.fromEntries(Object.keys(rows).map(k => [k, ratio(k)]))
  }
  mkdirSync(join(here, '../results'), { recursive: true })
  writeFileSync(join(here, '../results/tunnel-threads.json'), JSON.stringify(result, null, 2) + '\n')
  const md = [
    '## tunnel, agents on separate threads (loopback)',
    '',
    `${MIB} MiB echoed per row and round, ${ROUNDS} rounds with the paths interleaved, median shown; × raw is the median of per-round ratios. Client side (node-a, node-c, measuring code) on the main thread; node-b and the echo server on one worker thread; the relay on another — the way separate agent processes share CPUs. Load average at end ${result.loadAverageAtEnd.join(' / ')} on ${cpus().length} cores.`,
    '',
    '| Path | MiB/s | × raw | sha256 |',
    '|---|---|---|---|',
    ...Object.entries(rows).map(([k, v]) => `| ${k} | ${v.mibPerSec} | ${ratio(k)} | ${v.sha256Ok ? 'ok' : 'MISMATCH'} |`),
    ''
  ].join('\n')
  writeFileSync(join(here, '../results/tunnel-threads.md'), md)
  console.log(md)
  await a.node.stop()
  await c.node.stop()
  for (const w of [server.w, relay.w]) { w.postMessage('stop'); await once(w, 'exit') }
}

if (isMainThread) main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })
else worker().catch((err: unknown) => { console.error(err); process.exit(1) })
