// Tunnel benchmark: throughput, RTT, connect time and memory — raw TCP (baseline) vs a bare libp2p stream
// (TCP+Noise+yamux, no tunnel) vs the tunnel direct vs the tunnel relayed, all on loopback in one process.
// Run: `node --conditions=source --import tsx bench/tunnel/run.ts [--mib=128] [--rounds=3] [--big-mib=1024] [--rtt=2000] [--streams=1000]`
// Writes bench/results/tunnel.json and bench/results/tunnel.md.
import { writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Duplex } from 'node:stream'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { generateKey } from '@libp2p/pnet'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createCA, type CertificateAuthority } from '@edgemesh/common'
import { issueNodeCert } from '../../mesh/src/identity/node-cert.js'
import { createMeshNode, type MeshNode } from '../../edgemesh-agent/src/tunnel/host.js'
import { streamToDuplex } from '../../edgemesh-agent/src/tunnel/stream-duplex.js'
import { streamToDuplex as baselineStreamToDuplex } from './baseline-stream-duplex.js'
import { echoServer, medianRatio, rawFlow, rtt, throughput } from './lib.js'

const arg = (name: string, dflt: number): number => {
  const a = process.argv.find(x => x.startsWith(`--${name}=`))
  return a !== undefined ? Number(a.split('=')[1]) : dflt
}
const MIB = arg('mib', 128)
const ROUNDS = arg('rounds', 3)
const BIG_MIB = arg('big-mib', 1024)
const RTT_N = arg('rtt', 2000)
const STREAMS = arg('streams', 1000)
const here = dirname(fileURLToPath(import.meta.url))

async function peer (ca: CertificateAuthority, nodeName: string, extra: Record<string, unknown> = {}): Promise<{ node: MeshNode, addr: string, peerId: string }> {
  const key = await generateKeyPair('Ed25519')
  const pid = peerIdFromPrivateKey(key)
  const { certPem } = await issueNodeCert(ca, nodeName, pid)
  const node = await createMeshNode({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], auth: { nodeName, certPem, caPem: ca.certPem }, ...extra })
  return { node, addr: node.getMultiaddrs()[0]!.toString(), peerId: pid.toString() }
}

const rssMiB = (): number => Math.round(process.memoryUsage().rss / 1048576)
// RSS numbers mean little with garbage pending; expose V8's gc without needing a node flag from bench/run.js.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

async function main (): Promise<void> {
  const ca = await createCA()
  const echo = await echoServer()
  const policy = { allow: () => true }
  const relay = await peer(ca, 'relay-1', { relayServer: { reservations: { applyDefaultLimit: false } } })
  const b = await peer(ca, 'node-b', { tunnel: { policy }, relays: [relay.addr] })
  while (!b.node.getMultiaddrs().some(m => m.toString().includes('/p2p-circuit'))) await new Promise(resolve => setTimeout(resolve, 50))
  // A bare libp2p echo protocol on B: the cost of TCP+Noise+yamux without the tunnel's extra socket hop.
  await b.node.handle('/bench/echo/1.0.0', (stream) => { const d = streamToDuplex(stream); d.pipe(d) })
  gc()
  const rssIdleStart = rssMiB()
  const a = await peer(ca, 'node-a', { tunnel: { relays: [relay.addr] } })
  const c = await peer(ca, 'node-c', { tunnel: { relays: [relay.addr] } })
  a.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId, addrs: [b.addr] })
  c.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId, addrs: ['/ip4/127.0.0.1/tcp/1'] })
  const target = { ip: '127.0.0.1', port: echo.port }
  // A second pair with the optional pre-shared key (pnet-compatible XSalsa20 under Noise).
  const psk = new Uint8Array(95)
  generateKey(psk)
  const pskB = await peer(ca, 'node-e', { tunnel: { policy }, psk })
  const pskA = await peer(ca, 'node-d', { psk })
  pskA.node.services.tunnel.setStaticPeer('node-e', { peerId: pskB.peerId, addrs: [pskB.addr] })
  const sig = (): AbortSignal => AbortSignal.timeout(60_000)

  // Connect time: first flow = dial + Noise + auth exchange + stream; later flows = stream + header + target dial.
  let t0 = performance.now()
  const first = await a.node.services.tunnel.openTcp('node-b', target, sig())
  const connectFirstMs = performance.now() - t0
  first.end()
  const opens: number[] = []
  for (let i = 0; i < 200; i++) {
    t0 = performance.now()
    const d = await a.node.services.tunnel.openTcp('node-b', target, sig())
    opens.push(performance.now() - t0)
    d.destroy()
  }
  opens.sort((x, y) => x - y)
  t0 = performance.now()
  const relayed = await c.node.services.tunnel.openTcp('node-b', target, sig())
  const connectRelayMs = performance.now() - t0
  relayed.end()
  const rawOpen: number[] = []
  for (let i = 0; i < 200; i++) { t0 = performance.now(); const s = await rawFlow(echo.port); rawOpen.push(performance.now() - t0); s.destroy() }
  rawOpen.sort((x, y) => x - y)

  gc()
  const rssIdle = rssMiB()
  const held: Duplex[] = []
  for (let i = 0; i < STREAMS; i++) held.push(await a.node.services.tunnel.openTcp('node-b', target, sig()))
  gc()
  const rssStreams = rssMiB()
  for (const d of held) d.destroy()

  const bare = async (): Promise<Duplex> => {
    const conn = a.node.getConnections(b.node.peerId)[0]!
    return streamToDuplex(await conn.newStream('/bench/echo/1.0.0'))
  }
  // The stack as it was before the throughput work (stock @libp2p/tcp, the old adapter, same yamux window),
  // so before/after is measured in one run on one box.
  const mkBaseline = async (): Promise<Awaited<ReturnType<typeof createLibp2p>>> => await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: 2 * 1024 * 1024 } })]
  })
  const baseA = await mkBaseline()
  const baseB = await mkBaseline()
  await baseB.handle('/bench/echo/1.0.0', (stream) => { const d = baselineStreamToDuplex(stream); d.pipe(d) })
  const baseConn = await baseA.dial(baseB.getMultiaddrs()[0]!)
  const baseline = async (): Promise<Duplex> => baselineStreamToDuplex(await baseConn.newStream('/bench/echo/1.0.0'))

  const rows: Record<string, { mibPerSec: number, sha256Ok: boolean, rttP50Ms: number, rttP99Ms: number }> = {}
  // Other jobs share this box and its load swings within seconds: each round measures every path once, in
  // turn, and a row reports its median round, so one busy moment cannot decide a ratio.
  const paths: Array<[string, () => Promise<Duplex>]> = [
    ['raw TCP', async () => await rawFlow(echo.port)],
    ['libp2p stream, stack before this change', baseline],
    ['libp2p stream (noise+yamux)', bare],
    ['tunnel direct', async () => await a.node.services.tunnel.openTcp('node-b', target, sig())],
    ['tunnel direct, PSK', async () => await pskA.node.services.tunnel.openTcp('node-e', target, sig())],
    ['tunnel relayed', async () => await c.node.services.tunnel.openTcp('node-b', target, sig())]
  ]
  const rounds: Record<string, number[]> = {}
  let allOk = true
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, open] of paths) {
      const tp = await throughput(await open(), MIB)
      allOk &&= tp.sha256Ok
      ;(rounds[name] ??= []).push(Math.round(tp.mibPerSec * 10) / 10)
      console.log(`round ${round + 1}`, name, Math.round(tp.mibPerSec * 10) / 10, tp.sha256Ok ? 'sha256 ok' : 'MISMATCH')
    }
  }
  const median = (v: number[]): number => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!
  for (const [name, open] of paths) {
    const r = await rtt(await open(), RTT_N)
    rows[name] = { mibPerSec: median(rounds[name]!), sha256Ok: allOk, rttP50Ms: Math.round(r.p50 * 1000) / 1000, rttP99Ms: Math.round(r.p99 * 1000) / 1000 }
    console.log(name, rows[name])
  }

  const big: Record<string, { mib: number, seconds: number, mibPerSec: number, sha256Ok: boolean }> = {}
  if (BIG_MIB > 0) {
    for (const [path, from] of [['direct', a], ['relayed', c]] as const) {
      const r = await throughput(await from.node.services.tunnel.openTcp('node-b', target, sig()), BIG_MIB)
      big[path] = { mib: BIG_MIB, seconds: Math.round(r.seconds * 10) / 10, mibPerSec: Math.round(r.mibPerSec * 10) / 10, sha256Ok: r.sha256Ok }
      console.log('big transfer', path, big[path])
    }
  }


  const result = {
    date: new Date().toISOString(),
    node: process.version,
    note: 'all nodes, the relay and the echo server share one process on a shared 2-core box; RSS is the whole process',
    loadAverageAtEnd: loadavg().map(x => Math.round(x * 10) / 10),
    payloadMiB: MIB,
    rounds,
    rows,
    ratiosVsRawTcp: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, { throughput: medianRatio(rounds, k), rttP50: Math.round(v.rttP50Ms / rows['raw TCP']!.rttP50Ms * 10) / 10 }])),
    connect: {
      firstFlowMs: Math.round(connectFirstMs), relayedFirstFlowMs: Math.round(connectRelayMs),
      nextFlowP50Ms: Math.round(opens[100]! * 100) / 100, nextFlowP99Ms: Math.round(opens[198]! * 100) / 100,
      rawTcpConnectP50Ms: Math.round(rawOpen[100]! * 100) / 100
    },
    big,
    rssMiB: { threeNodesBeforeClients: rssIdleStart, allNodesIdle: rssIdle, withOpenStreams: rssStreams, streams: STREAMS }
  }
  mkdirSync(join(here, '../results'), { recursive: true })
  writeFileSync(join(here, '../results/tunnel.json'), JSON.stringify(result, null, 2) + '\n')
  const md = [
    '## tunnel (loopback, one process)',
    '',
    `${MIB} MiB echoed per row and round, ${ROUNDS} rounds with the paths interleaved, median shown; × raw is the median of per-round ratios (throughput = one direction of payload; per-round values in tunnel.json); RTT = ${RTT_N} sequential 64-byte round trips. Load average at end ${result.loadAverageAtEnd.join(' / ')} on ${cpus().length} cores: absolute numbers swing 3× between runs on a busy box; compare ratios.`,
    '',
    '| Path | MiB/s | × raw | RTT p50 ms | RTT p99 ms | × raw p50 | sha256 |',
    '|---|---|---|---|---|---|---|',
    ...Object.entries(rows).map(([k, v]) => `| ${k} | ${v.mibPerSec} | ${result.ratiosVsRawTcp[k]!.throughput} | ${v.rttP50Ms} | ${v.rttP99Ms} | ${result.ratiosVsRawTcp[k]!.rttP50} | ${v.sha256Ok ? 'ok' : 'MISMATCH'} |`),
    '',
    `Connect: first flow ${result.connect.firstFlowMs} ms direct / ${result.connect.relayedFirstFlowMs} ms relayed (dial + Noise + cert exchange + stream); next flows p50 ${result.connect.nextFlowP50Ms} ms, p99 ${result.connect.nextFlowP99Ms} ms (raw TCP connect p50 ${result.connect.rawTcpConnectP50Ms} ms).`,
    ...Object.entries(big).map(([path, x]) => `Big transfer: ${x.mib} MiB echoed through a ${path} tunnel in ${x.seconds} s (${x.mibPerSec} MiB/s each way), sha256 ${x.sha256Ok ? 'ok' : 'MISMATCH'}.`),
    'Rows "before this change" and "(noise+yamux)" differ only in the adapter and the TCP write path (see edgemesh-agent/README.md, Throughput). Everything here shares one thread; `bench/tunnel/threads.ts` (→ tunnel-threads.md) puts the agents on separate threads, and `bench/tunnel/profile.ts` (→ tunnel-profile.json) shows where CPU goes.',
    `RSS after GC (whole process): ${rssIdleStart} MiB with relay+B started, ${rssIdle} MiB with 4 nodes connected and idle, ${rssStreams} MiB with ${STREAMS} open tunnel flows (≈ ${Math.round((rssStreams - rssIdle) * 1024 / STREAMS)} KiB per flow, both ends and the echo socket).`,
    ''
  ].join('\n')
  writeFileSync(join(here, '../results/tunnel.md'), md)
  console.log(md)
  for (const n of [a, b, c, relay, pskA, pskB]) await n.node.stop()
  await baseA.stop()
  await baseB.stop()
  echo.server.close()
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })
