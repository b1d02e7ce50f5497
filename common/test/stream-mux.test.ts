import { describe, expect, it } from 'vitest'
import { eventually, hasCode, PodStreamRefusal, silentLogger, type PodStreamFrame, type PodStreamHandler } from '../src/index.js'
import { StreamMux, type StreamMuxInit } from '../src/hub-protocol/index.js'

/** A cloud mux and an edge mux joined by an in-memory link that delivers each frame on a later tick. */
function pair (handler?: PodStreamHandler, init: StreamMuxInit = {}): { cloud: StreamMux, edge: StreamMux } {
  const muxes: { cloud?: StreamMux, edge?: StreamMux } = {}
  const transport = (to: 'cloud' | 'edge') => ({
    send: (frame: Buffer, done: () => void) => { setImmediate(() => { muxes[to]?.receive(frame); done() }) },
    bufferedAmount: () => 0
  })
  muxes.cloud = new StreamMux('cloud', { transport: transport('edge'), logger: silentLogger() }, init)
  muxes.edge = new StreamMux('edge', { transport: transport('cloud'), handler, logger: silentLogger() }, init)
  return { cloud: muxes.cloud, edge: muxes.edge }
}

const echo: PodStreamHandler = {
  handle: async (_req, accept) => {
    const s = accept()
    for await (const f of s) await s.send(f.channel, f.data)
  }
}

async function collect (it: AsyncIterable<PodStreamFrame>): Promise<PodStreamFrame[]> {
  const out: PodStreamFrame[] = []
  for await (const f of it) out.push(f)
  return out
}

const req = { kind: 'exec' as const, namespace: 'default', pod: 'p', command: ['cat'] }

describe('stream mux', () => {
  it('splits a send larger than a frame and delivers it in order', async () => {
    const { cloud } = pair(echo, { maxFrameDataBytes: 1000, windowBytes: 4096 })
    const s = await cloud.open(req)
    const data = new Uint8Array(10_000).map((_, i) => i % 251)
    const got = collect(s)
    await s.send(0, data)
    await s.end()
    const frames = await got
    expect(frames.every(f => f.data.byteLength <= 1000)).toBe(true)
    expect(Buffer.concat(frames.map(f => f.data))).toEqual(Buffer.from(data))
  })

  it('makes the sender wait for credit while the receiver does not consume', async () => {
    let edgeStream: AsyncIterable<PodStreamFrame> | undefined
    const { cloud, edge } = pair({ handle: async (_r, accept) => { edgeStream = accept(); await new Promise(() => {}) } }, { windowBytes: 4096, maxFrameDataBytes: 1024 })
    const s = await cloud.open(req)
    let sent = 0
    const sending = (async () => { for (let i = 0; i < 20; i++) { await s.send(0, new Uint8Array(1023)); sent++ } })()
    await eventually(() => sent === 4, 2000, 'window filled')
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(sent).toBe(4)
    expect(edge.stats().bufferedBytes).toBe(4096)
    const it = edgeStream![Symbol.asyncIterator]()
    for (let i = 0; i < 20; i++) await it.next()
    await sending
    expect(sent).toBe(20)
  })

  it('refuses with the handler refusal status, 501 without a handler and 500 when it throws', async () => {
    const refusing = pair({ handle: async () => { throw new PodStreamRefusal(404, 'no container x') } })
    await expect(refusing.cloud.open(req)).rejects.toMatchObject({ code: 'POD_STREAM_REFUSED', httpStatus: 404, message: 'no container x' })
    await expect(pair().cloud.open(req)).rejects.toMatchObject({ httpStatus: 501 })
    const failing = pair({ handle: async () => { throw new Error('boom') } })
    const err = await failing.cloud.open(req).catch(e => e)
    expect(err).toBeInstanceOf(PodStreamRefusal)
    expect((err as PodStreamRefusal).httpStatus).toBe(500)
  })

  it('rejects an invalid request on the cloud side without sending it', async () => {
    const { cloud, edge } = pair(echo)
    const err = await cloud.open({ ...req, pod: 'Bad Name' }).catch(e => e)
    expect(hasCode(err, 'POD_STREAM_INVALID')).toBe(true)
    expect(edge.stats().streams).toBe(0)
  })

  it('fails both ends with POD_STREAM_ABORTED when the link closes', async () => {
    let edgeSignal: AbortSignal | undefined
    const { cloud, edge } = pair({ handle: async (_r, accept, signal) => { accept(); edgeSignal = signal; await new Promise(() => {}) } })
    const s = await cloud.open(req)
    const iterating = collect(s).catch(e => e)
    cloud.close('test')
    edge.close('test')
    expect(hasCode(await iterating, 'POD_STREAM_ABORTED')).toBe(true)
    expect(s.signal.aborted).toBe(true)
    expect(edgeSignal?.aborted).toBe(true)
    await expect(cloud.open(req)).rejects.toMatchObject({ code: 'POD_STREAM_UNAVAILABLE' })
  })

  it('rejects opens beyond maxStreams as POD_STREAM_UNAVAILABLE', async () => {
    const { cloud } = pair(echo, { maxStreams: 2 })
    await cloud.open(req)
    await cloud.open(req)
    await expect(cloud.open(req)).rejects.toMatchObject({ code: 'POD_STREAM_UNAVAILABLE' })
  })

  it('gives up on an open the node never answers after openTimeoutMs', async () => {
    const cloud = new StreamMux('cloud', { transport: { send: (_b, done) => done(), bufferedAmount: () => 0 }, logger: silentLogger() }, { openTimeoutMs: 50 })
    await expect(cloud.open(req)).rejects.toMatchObject({ code: 'POD_STREAM_UNAVAILABLE' })
    expect(cloud.stats().streams).toBe(0)
  })
})
