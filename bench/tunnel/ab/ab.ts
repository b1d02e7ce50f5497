import '@edgemesh/common/polyfill'
import { createHash, randomBytes } from 'node:crypto'
import { Readable, type Duplex } from 'node:stream'
import { createServer, connect, type AddressInfo } from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { coalescingTcp } from '../../../edgemesh-agent/src/tunnel/coalescing-tcp.js'
import { streamToDuplex as sdOrig } from './sd-orig.js'
import { streamToDuplex as sdConcat } from './sd-concat.js'
import { streamToDuplex as sdList } from './sd-list.js'

type SD = typeof sdOrig
async function pair (cork: boolean, sd: SD, win: number, hwm?: number) {
  const mk = async () => await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [cork ? coalescingTcp() : tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: win, maxReadBufferLength: Math.max(4 * 1024 * 1024, 2 * win) } })]
  })
  const a = await mk(); const b = await mk()
  await b.handle('/echo', (s) => { const d = (sd as any)(s, { highWaterMark: hwm }); d.pipe(d) })
  const conn = await a.dial(b.getMultiaddrs()[0]!)
  return { open: async (): Promise<Duplex> => (sd as any)(await conn.newStream('/echo'), { highWaterMark: hwm }), stop: async () => { await a.stop(); await b.stop() } }
}
async function tp (d: Duplex, mib: number): Promise<number> {
  const chunk = randomBytes(64 * 1024); const total = mib * 1048576; let produced = 0; let received = 0
  const got = createHash('sha256'); const sent = createHash('sha256')
  const src = new Readable({ read () { if (produced >= total) { this.push(null); return } produced += chunk.length; sent.update(chunk); this.push(chunk) } })
  const c0 = process.cpuUsage()
  const done = (async () => { for await (const c of d) { received += c.length; got.update(c) } })()
  src.pipe(d); await done
  if (received !== total || got.digest('hex') !== sent.digest('hex')) throw new Error('mismatch')
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1000 / mib
}
const MIB = Number(process.env.MIB ?? 64)
const srv = createServer((s) => s.pipe(s)); await new Promise<void>(r => srv.listen(0, '127.0.0.1', r))
const port = (srv.address() as AddressInfo).port
const configs: Record<string, () => Promise<{ open: () => Promise<Duplex>, stop: () => Promise<void> }>> = {
  raw: async () => ({ open: async () => await new Promise<Duplex>(r => { const s = connect(port, '127.0.0.1', () => r(s)) }), stop: async () => {} }),
}
for (const c of (process.env.CONFIGS ?? 'orig,cork-orig,cork-concat,cork-list').split(',')) {
  const [cork, sdn, win, hwm] = c.split(':')
  const sd = { orig: sdOrig, concat: sdConcat, list: sdList }[sdn ?? 'list'] as SD
  configs[c] = async () => await pair(cork === 'cork', sd, Number(win ?? 2) * 1048576, hwm ? Number(hwm) * 1024 : undefined)
}
const res: Record<string, number[]> = {}
const built = Object.fromEntries(await Promise.all(Object.entries(configs).map(async ([k, f]) => [k, await f()] as const)))
for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
  for (const [k, p] of Object.entries(built)) { (res[k] ??= []).push(Math.round(await tp(await p.open(), MIB))) }
}
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(24), v.join(' '), ' median cpu ms/MiB', med(v), 'x raw', (med(v) / med(res.raw!)).toFixed(2))
for (const p of Object.values(built)) await p.stop()
srv.close(); process.exit(0)
