import { createCA, eventually, issueCert, type CertificateAuthority, type KeyAndCert, type PodStreamHandler } from '@edgemesh/common'
import { decodeStreamFrame, encodeStreamFrame, STREAM_FRAME, type StreamFrame } from '@edgemesh/common/hub-protocol'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { EdgeHub, MemoryDedupStore } from '../../src/index.js'
import { FakeCloud } from './fake-cloud.js'

// The edge end of pod streams against a stand-in cloud that writes frames by hand (what CloudHub would never send).
let ca: CertificateAuthority
let serving: KeyAndCert
let node: KeyAndCert
const stops: Array<() => Promise<void>> = []

beforeAll(async () => {
  ca = await createCA()
  serving = await issueCert(ca, { commonName: 'cloudhub', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
  node = await issueCert(ca, { commonName: 'system:node:n1', organizations: ['system:nodes'] }, { usage: 'client' })
})
afterEach(async () => { for (const s of stops.splice(0).reverse()) await s() })

async function setup (podStreams?: PodStreamHandler): Promise<{ cloud: FakeCloud, hub: EdgeHub, frames: () => StreamFrame[] }> {
  const cloud = new FakeCloud({ serving, caPem: ca.certPem })
  await cloud.start()
  stops.push(async () => await cloud.stop())
  const hub = new EdgeHub({ handler: { handle: async () => {} }, dedup: new MemoryDedupStore(), podStreams }, {
    urls: [cloud.url], nodeName: 'n1', certPem: node.certPem, keyPem: node.keyPem, caPem: ca.certPem
  })
  stops.push(async () => await hub.stop())
  await hub.start()
  await hub.waitForConnect(AbortSignal.timeout(5000))
  await eventually(() => cloud.current !== undefined, 5000, 'cloud side socket')
  return { cloud, hub, frames: () => cloud.binary.map(b => decodeStreamFrame(b, 1 << 22)) }
}

const openFrame = (id: number, request: unknown): Buffer =>
  Buffer.concat([Buffer.from([STREAM_FRAME.open, 0, 0, 0, id]), Buffer.from(JSON.stringify(request))])

describe('edge-hub pod streams', () => {
  it('refuses an OPEN whose request fails the schema with 400 and never calls the handler', async () => {
    let called = false
    const { cloud, frames } = await setup({ handle: async () => { called = true } })
    cloud.sendBinary(openFrame(1, { kind: 'log', namespace: 'default', pod: 'p', rm: '-rf' }))
    await eventually(() => frames().find(f => f.type === 'refuse'), 5000, 'REFUSE')
    expect(frames()).toMatchObject([{ type: 'refuse', id: 1, status: 400 }])
    expect((frames()[0] as { message: string }).message).toMatch(/rm|Unrecognized/)
    expect(called).toBe(false)
  })

  it('aborts a stream whose cloud sends DATA beyond the credit the node granted', async () => {
    const signals: AbortSignal[] = []
    const { cloud, frames } = await setup({ handle: async (_r, accept, signal) => { accept(); signals.push(signal); await new Promise(resolve => signal.addEventListener('abort', resolve)) } })
    cloud.sendBinary(encodeStreamFrame({ type: 'open', id: 1, request: { kind: 'exec', namespace: 'default', pod: 'p', command: ['cat'] } }))
    await eventually(() => frames().some(f => f.type === 'accept'), 5000, 'ACCEPT')
    for (let i = 0; i < 5; i++) cloud.sendBinary(encodeStreamFrame({ type: 'data', id: 1, channel: 0, data: new Uint8Array(64 * 1024) }))
    await eventually(() => signals[0]?.aborted, 5000, 'stream aborted on the node')
    await eventually(() => frames().some(f => f.type === 'abort' && f.id === 1), 5000, 'ABORT back to the cloud')
  })

  it('drops frames for streams the cloud never opened and keeps serving new ones', async () => {
    const { cloud, hub, frames } = await setup({ handle: async (_r, accept) => { await accept().end() } })
    cloud.sendBinary(encodeStreamFrame({ type: 'data', id: 5, channel: 0, data: new Uint8Array(3) }))
    cloud.sendBinary(encodeStreamFrame({ type: 'accept', id: 6 }))
    await eventually(() => hub.podStreamStats()?.dropped === 2, 5000, 'drops counted')
    cloud.sendBinary(encodeStreamFrame({ type: 'open', id: 7, request: { kind: 'log', namespace: 'default', pod: 'p' } }))
    await eventually(() => frames().some(f => f.type === 'end' && f.id === 7), 5000, 'stream 7 served')
    expect(frames().filter(f => f.id === 5 || f.id === 6)).toEqual([])
  })
})
