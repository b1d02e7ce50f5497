// Where does tunnel CPU go? Pushes --mib MiB through a direct tunnel under the V8 sampling profiler and prints
// self time grouped by package. Run: `node --conditions=source --import tsx bench/tunnel/profile.ts [--mib=64]`
// Writes bench/results/tunnel-profile.json.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createServer, type AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createCA } from '@edgemesh/common'
import { issueNodeCert } from '../../mesh/src/identity/node-cert.js'
import { createMeshNode } from '../../edgemesh-agent/src/tunnel/host.js'

const mibArg = process.argv.find(x => x.startsWith('--mib='))
const MIB = mibArg !== undefined ? Number(mibArg.split('=')[1]) : 64
const here = dirname(fileURLToPath(import.meta.url))

interface ProfileNode { id: number, callFrame: { functionName: string, url: string }, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

function bucket (url: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m !== null) return m[1]!
  if (url.includes('/edgemesh-agent/src/')) return 'edgemesh-agent (ours)'
  if (url.startsWith('node:')) return url.split('/')[0]!.replace(/^node:/, 'node:')
  if (url === '') return '(native/gc/idle)'
  return 'other'
}

async function main (): Promise<void> {
  const ca = await createCA()
  const srv = createServer({ allowHalfOpen: true }, (s) => { s.on('error', () => {}); s.pipe(s) })
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as AddressInfo).port
  const mk = async (n: string): Promise<Awaited<ReturnType<typeof createMeshNode>>> => {
    const k = await generateKeyPair('Ed25519')
    const { certPem } = await issueNodeCert(ca, n, peerIdFromPrivateKey(k))
    return await createMeshNode({ privateKey: k, listen: ['/ip4/127.0.0.1/tcp/0'], auth: { nodeName: n, certPem, caPem: ca.certPem }, tunnel: { policy: { allow: () => true } } })
  }
  const b = await mk('node-b')
  const a = await mk('node-a')
  a.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId.toString(), addrs: [b.getMultiaddrs()[0]!.toString()] })
  const d = await a.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port }, AbortSignal.timeout(10_000))
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 500 })
  await session.post('Profiler.start')
  const chunk = Buffer.alloc(64 * 1024, 1)
  let left = MIB * 16
  const t0 = performance.now()
  const done = (async () => { for await (const _c of d) { /* drain */ } })()
  new Readable({ read () { if (left-- <= 0) this.push(null); else this.push(chunk) } }).pipe(d)
  await done
  const secs = (performance.now() - t0) / 1000
  const { profile } = await session.post('Profiler.stop') as { profile: Profile }
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const self = new Map<string, number>()
  const fns = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!
    const dt = profile.timeDeltas[i] ?? 0
    const key = n.callFrame.functionName === '(idle)' ? '(idle)' : bucket(n.callFrame.url)
    self.set(key, (self.get(key) ?? 0) + dt)
    const fk = `${n.callFrame.functionName || '(anon)'} ${bucket(n.callFrame.url)}`
    fns.set(fk, (fns.get(fk) ?? 0) + dt)
  })
  // Native frames (copies, cipher updates, socket writes) say little alone: attribute them to their JS callers.
  const parent = new Map<number, ProfileNode>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n)
  const callers = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!
    if (!['_copyActual', 'update', 'writev', 'writeBuffer', 'concat'].includes(n.callFrame.functionName)) return
    const chain: string[] = [n.callFrame.functionName]
    for (let p = parent.get(n.id), d = 0; p !== undefined && d < 4; p = parent.get(p.id), d++) chain.push(`${p.callFrame.functionName || '(anon)'}@${bucket(p.callFrame.url)}`)
    const k = chain.join(' < ')
    callers.set(k, (callers.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  const total = [...self.values()].reduce((x, y) => x + y, 0)
  const pct = (m: Map<string, number>, k: number): Array<[string, number]> => [...m.entries()].sort((x, y) => y[1] - x[1]).slice(0, k).map(([key, v]) => [key, Math.round(v / total * 1000) / 10])
  const result = { mib: MIB, seconds: Math.round(secs * 10) / 10, mibPerSec: Math.round(MIB / secs * 10) / 10, selfTimePercentByPackage: pct(self, 12), topFunctions: pct(fns, 15), nativeCallers: pct(callers, 12) }
  console.log(JSON.stringify(result, null, 2))
  writeFileSync(join(here, '../results/tunnel-profile.json'), JSON.stringify(result, null, 2) + '\n')
  await a.stop(); await b.stop(); srv.close()
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })
