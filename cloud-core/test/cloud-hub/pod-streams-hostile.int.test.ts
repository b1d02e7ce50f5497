import { createCA, eventually, hasCode, issueCert, type CertificateAuthority, type KeyAndCert, type PodStreamFrame } from '@edgemesh/common'
import { createAck, decodeMessage, decodeStreamFrame, encodeMessage, encodeStreamFrame, STREAM_FRAME, type StreamFrame } from '@edgemesh/common/hub-protocol'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { CloudHub, CloudHubMetrics, MemoryWatermarkStore, type CloudHubInit } from '../../src/cloud-hub/index.js'

// A hostile node: a raw WebSocket client with a valid node certificate that writes stream frames by hand.
let ca: CertificateAuthority
let serving: KeyAndCert
let nodeCert: KeyAndCert
let hub: CloudHub | undefined
let metrics: CloudHubMetrics
const clients: WebSocket[] = []

beforeAll(async () => {
  ca = await createCA()
  serving = await issueCert(ca, { commonName: 'cloudhub', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
  nodeCert = await issueCert(ca, { commonName: 'system:node:evil', organizations: ['system:nodes'] }, { usage: 'client' })
})
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate()
  await hub?.stop()
  hub = undefined
})

interface RawNode { ws: WebSocket, frames: StreamFrame[], acks: number, send: (f: StreamFrame | Buffer) => void }

async function start (init: CloudHubInit = {}): Promise<{ hub: CloudHub, node: RawNode }> {
  metrics = new CloudHubMetrics()
  const h = new CloudHub({ caPem: ca.certPem, serving, watermarks: new MemoryWatermarkStore(), metrics }, { port: 0, host: '127.0.0.1', ...init })
  hub = h
  await h.start()
  const ws = new WebSocket(`wss://127.0.0.1:${h.port}`, { ca: ca.certPem, cert: nodeCert.certPem, key: nodeCert.keyPem })
  clients.push(ws)
  const node: RawNode = {
    ws,
    frames: [],
    acks: 0,
    send: f => { ws.send(Buffer.isBuffer(f) ? f : encodeStreamFrame(f)) }
  }
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      const f = decodeStreamFrame(data, 4 * 1024 * 1024)
      node.frames.push(f)
      // Accepts every stream at once, granting a generous window.
      if (f.type === 'open') { node.send({ type: 'accept', id: f.id }); node.send({ type: 'credit', id: f.id, bytes: 1 << 24 }) }
      return
    }
    const m = decodeMessage(data)
    if (m.route.operation !== 'response') { node.acks++; ws.send(encodeMessage(createAck(m, 'edgehub'))) }
  })
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
  await eventually(() => h.connectedNodes().includes('evil'), 5000, 'session')
  return { hub: h, node }
}

const req = { kind: 'exec' as const, namespace: 'default', pod: 'p', command: ['sh'] }
const chunk = (n: number): Uint8Array => new Uint8Array(n).fill(1)

async function drain (s: AsyncIterable<PodStreamFrame>): Promise<unknown> {
  try { for await (const _ of s) { /* read */ } return undefined } catch (err) { return err }
}

/** The link still carries envelopes: a published pod reaches the node and is acked. */
async function linkWorks (h: CloudHub, node: RawNode, name: string): Promise<void> {
  const before = node.acks
  h.publish('evil', { type: 'upsert', object: { uid: name, resourceVersion: '1', namespace: 'default', kind: 'pod', name, object: {} } })
  await eventually(() => node.acks > before && h.queueDepth('evil') === 0, 5000, 'envelope delivered and acked')
}

describe('cloud-hub pod streams from a hostile node', () => {
  it('aborts only the stream whose node sends DATA beyond its credit, keeping the link and the other streams', async () => {
    const { hub, node } = await start()
    const a = await hub.openPodStream('evil', req)
    const b = await hub.openPodStream('evil', req)
    // The cloud granted 256 KiB; five 64 KiB frames overrun it. Nothing reads `a`, so no credit comes back.
    for (let i = 0; i < 5; i++) node.send({ type: 'data', id: 1, channel: 1, data: chunk(64 * 1024) })
    await eventually(() => a.signal.aborted, 5000, 'stream a aborted')
    expect(hasCode(await drain(a), 'POD_STREAM_ABORTED')).toBe(true)
    await eventually(() => node.frames.some(f => f.type === 'abort' && f.id === 1), 5000, 'ABORT sent to the node')
    expect(await metrics.registry.value('edgemesh_cloudhub_pod_stream_aborts_total', { cause: 'credit' })).toBe(1)
    expect(hub.podStreamStats('evil')?.bufferedBytes).toBe(0)
    node.send({ type: 'data', id: 2, channel: 1, data: Buffer.from('still here') })
    node.send({ type: 'end', id: 2 })
    const frames: string[] = []
    for await (const f of b) frames.push(Buffer.from(f.data).toString())
    expect(frames).toEqual(['still here'])
    expect(b.signal.aborted).toBe(false)
    await linkWorks(hub, node, 'after-credit')
  })

  it('drops and counts frames for stream ids that were never opened', async () => {
    const { hub, node } = await start()
    node.send({ type: 'data', id: 999, channel: 1, data: chunk(10) })
    node.send({ type: 'end', id: 1000 })
    node.send({ type: 'abort', id: 1001, reason: 'x' })
    await eventually(async () => await metrics.registry.value('edgemesh_cloudhub_stream_frames_dropped_total', { reason: 'unknown_stream' }) === 3, 5000, 'drops counted')
    expect(hub.podStreamStats('evil')?.dropped).toBe(3)
    expect(hub.connectedNodes()).toEqual(['evil'])
    await linkWorks(hub, node, 'after-unknown')
  })

  it('ignores OPEN frames from a node and answers nothing for them', async () => {
    const { hub, node } = await start()
    node.send({ type: 'open', id: 7, request: req })
    await eventually(async () => await metrics.registry.value('edgemesh_cloudhub_stream_frames_dropped_total', { reason: 'unexpected' }) === 1, 5000, 'OPEN dropped')
    await linkWorks(hub, node, 'after-open')
    expect(node.frames.filter(f => f.id === 7)).toEqual([])
    // The cloud's own ids are unaffected: its first stream is still id 1.
    const s = await hub.openPodStream('evil', req)
    expect(node.frames.find(f => f.type === 'open')?.id).toBe(1)
    s.abort()
  })

  it('aborts a stream whose node sends a DATA frame larger than the frame limit, keeping the link', async () => {
    const { hub, node } = await start()
    const a = await hub.openPodStream('evil', req)
    node.send({ type: 'data', id: 1, channel: 1, data: chunk(100 * 1024) }) // within credit, over the 64 KiB split size
    expect(hasCode(await drain(a), 'POD_STREAM_ABORTED')).toBe(true)
    expect(await metrics.registry.value('edgemesh_cloudhub_pod_stream_aborts_total', { cause: 'protocol' })).toBe(1)
    await linkWorks(hub, node, 'after-oversize')
  })

  it('drops malformed binary frames and keeps the link', async () => {
    const { hub, node } = await start()
    node.send(Buffer.from([STREAM_FRAME.data, 0]))
    node.send(Buffer.from([42, 0, 0, 0, 1]))
    await eventually(async () => await metrics.registry.value('edgemesh_cloudhub_stream_frames_dropped_total', { reason: 'invalid' }) === 2, 5000, 'drops counted')
    await linkWorks(hub, node, 'after-garbage')
  })

  it('aborts a stream whose node sends DATA before accepting it', async () => {
    const { hub, node } = await start()
    node.ws.removeAllListeners('message') // this node never accepts
    const opening = hub.openPodStream('evil', req).catch(e => e)
    await new Promise(resolve => setTimeout(resolve, 50))
    node.send({ type: 'data', id: 1, channel: 1, data: chunk(10) })
    expect(await opening).toMatchObject({ code: 'POD_STREAM_UNAVAILABLE' })
    expect(hub.podStreamStats('evil')?.streams).toBe(0)
  })
})
