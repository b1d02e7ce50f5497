import { createCA, eventually, hasCode, issueCert, POD_STREAM_CHANNEL, PodStreamRefusal, sleep, type CertificateAuthority, type KeyAndCert, type PodStream, type PodStreamFrame, type PodStreamHandler, type PodStreamRequest } from '@edgemesh/common'
import { STREAM_MUX_DEFAULTS } from '@edgemesh/common/hub-protocol'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CloudHub, CloudHubMetrics, MemoryWatermarkStore, type CloudHubInit } from '../../cloud-core/src/cloud-hub/index.js'
import { EdgeHub, MemoryDedupStore, type EdgeHubInit } from '../../edge-core/src/index.js'
import { TcpProxy } from './tcp-proxy.js'

// Pod streams over a real edge link: CloudHub and EdgeHub over mTLS on loopback, a breakable relay between them.
let ca: CertificateAuthority
let serving: KeyAndCert
let nodeCert: KeyAndCert
const stops: Array<() => Promise<void>> = []

beforeAll(async () => {
  ca = await createCA()
  serving = await issueCert(ca, { commonName: 'cloudhub', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
  nodeCert = await issueCert(ca, { commonName: 'system:node:edge-1', organizations: ['system:nodes'] }, { usage: 'client' })
})
afterEach(async () => { for (const s of stops.splice(0).reverse()) await s() })

interface Setup { hub: CloudHub, edge: EdgeHub, proxy: TcpProxy, metrics: CloudHubMetrics, applied: string[], upstream: string[] }

async function setup (handler: PodStreamHandler | undefined, hubInit: CloudHubInit = {}, edgeInit: Partial<EdgeHubInit> = {}): Promise<Setup> {
  const metrics = new CloudHubMetrics()
  const upstream: string[] = []
  const hub = new CloudHub({
    caPem: ca.certPem, serving, watermarks: new MemoryWatermarkStore(), metrics,
    upstream: { handle: async (_node, msg) => { upstream.push(msg.route.resource) } }
  }, { port: 0, host: '127.0.0.1', ...hubInit })
  await hub.start()
  stops.push(async () => await hub.stop())
  const proxy = new TcpProxy(hub.port)
  await proxy.start()
  stops.push(async () => await proxy.stop())
  const applied: string[] = []
  const edge = new EdgeHub({
    handler: { handle: async (_msg, r) => { applied.push(r.name) } },
    dedup: new MemoryDedupStore(),
    podStreams: handler
  }, {
    urls: [`wss://127.0.0.1:${proxy.port}`], nodeName: 'edge-1', certPem: nodeCert.certPem, keyPem: nodeCert.keyPem, caPem: ca.certPem,
    backoffInitialMs: 20, backoffMaxMs: 100, ...edgeInit
  })
  stops.push(async () => await edge.stop())
  await edge.start()
  await edge.waitForConnect(AbortSignal.timeout(5000))
  await eventually(() => hub.connectedNodes().includes('edge-1'), 5000, 'session on the cloud')
  return { hub, edge, proxy, metrics, applied, upstream }
}

const execReq: PodStreamRequest = { kind: 'exec', namespace: 'default', pod: 'web-0', command: ['cat'], stdin: true, stdout: true }
const logReq: PodStreamRequest = { kind: 'log', namespace: 'default', pod: 'web-0', follow: true }
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const str = (f: PodStreamFrame): string => `${f.channel}:${Buffer.from(f.data).toString()}`

async function collect (s: AsyncIterable<PodStreamFrame>): Promise<PodStreamFrame[]> {
  const out: PodStreamFrame[] = []
  for await (const f of s) out.push(f)
  return out
}

/** Echoes every frame back on the channel it came on; once the cloud ends its side, says bye and ends. */
const echo: PodStreamHandler = {
  handle: async (_req, accept) => {
    const s = accept()
    for await (const f of s) await s.send(f.channel, f.data)
    await s.send(POD_STREAM_CHANNEL.stdout, text('bye'))
    await s.end()
  }
}

/** A handler that accepts and parks until its stream is torn down, recording what it saw. */
function parking (): { handler: PodStreamHandler, streams: PodStream[], signals: AbortSignal[], failures: unknown[] } {
  const rec = { streams: [] as PodStream[], signals: [] as AbortSignal[], failures: [] as unknown[] }
  return {
    ...rec,
    handler: {
      handle: async (_req, accept, signal) => {
        const s = accept()
        rec.streams.push(s)
        rec.signals.push(signal)
        try { for await (const _ of s) { /* discard */ } } catch (err) { rec.failures.push(err) }
      }
    }
  }
}

describe('pod streams over the edge link', () => {
  it('round-trips frames on several channels in order through an echo handler', async () => {
    const { hub } = await setup(echo)
    const s = await hub.openPodStream('edge-1', execReq)
    const got = collect(s)
    const sent: string[] = []
    for (let i = 0; i < 50; i++) {
      const ch = [POD_STREAM_CHANNEL.stdin, POD_STREAM_CHANNEL.resize, POD_STREAM_CHANNEL.close][i % 3] as number
      await s.send(ch, text(`m${i}`))
      sent.push(`${ch}:m${i}`)
    }
    await s.end()
    expect((await got).map(str)).toEqual([...sent, '1:bye'])
  })

  it('half-closes only the sending side with END: the node still sends after the cloud ended', async () => {
    let afterEnd = false
    const { hub } = await setup({
      handle: async (_req, accept) => {
        const s = accept()
        for await (const _ of s) { /* until the cloud's END */ }
        afterEnd = true
        for (let i = 0; i < 3; i++) await s.send(POD_STREAM_CHANNEL.stdout, text(`late${i}`))
        await s.end()
      }
    })
    const s = await hub.openPodStream('edge-1', execReq)
    await s.end()
    expect((await collect(s)).map(str)).toEqual(['1:late0', '1:late1', '1:late2'])
    expect(afterEnd).toBe(true)
    expect(s.signal.aborted).toBe(false)
    await eventually(() => hub.podStreamStats('edge-1')?.streams === 0, 5000, 'stream released after both ENDs')
  })

  it('throttles a 64 MiB transfer to a slow cloud consumer within the window and keeps envelopes flowing both ways', async () => {
    const total = 64 * 1024 * 1024
    const chunk = new Uint8Array(1024 * 1024).fill(7)
    let produced = 0
    let consumed = 0
    let maxAhead = 0
    const { hub, edge, applied, upstream } = await setup({
      handle: async (_req, accept) => {
        const s = accept()
        while (produced < total) {
          await s.send(POD_STREAM_CHANNEL.stdout, chunk)
          produced += chunk.byteLength
          maxAhead = Math.max(maxAhead, produced - consumed)
        }
        await s.end()
      }
    })
    const s = await hub.openPodStream('edge-1', logReq)
    let maxBuffered = 0
    const envelopes: Array<Promise<number>> = []
    let frames = 0
    for await (const f of s) {
      consumed += f.data.byteLength
      frames++
      maxBuffered = Math.max(maxBuffered, hub.podStreamStats('edge-1')?.bufferedBytes ?? 0)
      await sleep(2) // the slow consumer (a slow kubectl): ~2 ms per 64 KiB frame
      if (frames === 200) {
        // Mid-transfer: a pod update down and a report up, each must get through promptly.
        const t0 = Date.now()
        hub.publish('edge-1', { type: 'upsert', object: { uid: 'u1', resourceVersion: '1', namespace: 'default', kind: 'pod', name: 'mid', object: { metadata: { name: 'mid' } } } })
        envelopes.push(eventually(() => applied.includes('mid'), 10_000, 'downstream envelope').then(() => Date.now() - t0))
        envelopes.push(edge.send({ operation: 'update', resource: 'default/pod/report' }).then(() => Date.now() - t0))
      }
    }
    expect(consumed).toBe(total)
    const [down, up] = await Promise.all(envelopes)
    expect(down).toBeLessThan(2000)
    expect(up).toBeLessThan(2000)
    expect(upstream).toContain('default/pod/report')
    const window = STREAM_MUX_DEFAULTS.windowBytes
    const stats = hub.podStreamStats('edge-1')
    // What the cloud holds for the consumer never exceeds the window it granted.
    expect(maxBuffered).toBeLessThanOrEqual(window)
    expect(stats?.peakBufferedBytes).toBeLessThanOrEqual(window)
    // The node is held back: it is never more than a window (plus the send in progress) ahead of the consumer.
    expect(maxAhead).toBeLessThanOrEqual(window + chunk.byteLength)
    // The node's socket never queued more than the high-water mark plus one frame in front of envelopes.
    expect(edge.podStreamStats()?.peakQueuedBytes).toBeLessThanOrEqual(STREAM_MUX_DEFAULTS.linkHighWaterBytes + STREAM_MUX_DEFAULTS.maxFrameDataBytes + 6)
  })

  it('keeps the cloud socket queue under the high-water mark while 16 streams send 64 MiB to a slow node', async () => {
    // 16 windows of credit (4 MiB) could be in flight at once; only the link gate keeps the socket queue short.
    const streams = 16
    const perStream = 4 * 1024 * 1024
    let received = 0
    const { hub, edge, applied } = await setup({
      handle: async (_req, accept) => {
        const s = accept()
        let n = 0
        for await (const f of s) { received += f.data.byteLength; if (++n % 8 === 0) await sleep(2) }
        await s.end()
      }
    })
    const open = await Promise.all(Array.from({ length: streams }, async () => await hub.openPodStream('edge-1', execReq)))
    const chunk = new Uint8Array(256 * 1024).fill(3)
    let latency: Promise<number> | undefined
    await Promise.all(open.map(async (s, i) => {
      for (let sent = 0; sent < perStream; sent += chunk.byteLength) {
        await s.send(POD_STREAM_CHANNEL.stdin, chunk)
        if (i === 0 && sent === 4 * chunk.byteLength) {
          const t0 = Date.now()
          hub.publish('edge-1', { type: 'upsert', object: { uid: 'u2', resourceVersion: '1', namespace: 'default', kind: 'pod', name: 'during', object: {} } })
          latency = eventually(() => applied.includes('during'), 10_000, 'downstream envelope').then(() => Date.now() - t0)
        }
      }
      await s.end()
      await collect(s)
    }))
    expect(received).toBe(streams * perStream)
    expect(await latency).toBeLessThan(2000)
    const stats = hub.podStreamStats('edge-1')
    expect(stats?.peakQueuedBytes).toBeLessThanOrEqual(STREAM_MUX_DEFAULTS.linkHighWaterBytes + STREAM_MUX_DEFAULTS.maxFrameDataBytes + 6)
    // The node buffers at most a window per stream.
    expect(edge.podStreamStats()?.peakBufferedBytes).toBeLessThanOrEqual(streams * STREAM_MUX_DEFAULTS.windowBytes)
    await eventually(() => hub.podStreamStats('edge-1')?.streams === 0, 5000, 'streams released')
  })

  it('delivers a refusal made before accept as PodStreamRefusal with its status and message', async () => {
    const { hub, metrics } = await setup({ handle: async () => { throw new PodStreamRefusal(404, 'container "sidecar" not found in pod default/web-0') } })
    const err = await hub.openPodStream('edge-1', { ...logReq, container: 'sidecar' }).catch(e => e)
    expect(err).toBeInstanceOf(PodStreamRefusal)
    expect(err).toMatchObject({ code: 'POD_STREAM_REFUSED', httpStatus: 404, message: 'container "sidecar" not found in pod default/web-0' })
    expect(await metrics.registry.value('edgemesh_cloudhub_pod_stream_refusals_total', { status: '404' })).toBe(1)
    expect(hub.podStreamStats('edge-1')?.streams).toBe(0)
  })

  it('refuses with 501 when the node has no pod-stream handler', async () => {
    const { hub } = await setup(undefined)
    await expect(hub.openPodStream('edge-1', logReq)).rejects.toMatchObject({ code: 'POD_STREAM_REFUSED', httpStatus: 501 })
  })

  it('refuses with 500 when the handler fails before accepting', async () => {
    const { hub } = await setup({ handle: async () => { throw new Error('runtime exploded') } })
    await expect(hub.openPodStream('edge-1', logReq)).rejects.toMatchObject({ httpStatus: 500 })
  })

  it('ends the stream when the handler returns after accepting without ending it', async () => {
    const { hub } = await setup({ handle: async (_r, accept) => { await accept().send(1, text('only')) } })
    const s = await hub.openPodStream('edge-1', logReq)
    expect((await collect(s)).map(str)).toEqual(['1:only'])
  })

  it('rejects an open for a node that is not connected with POD_STREAM_UNAVAILABLE', async () => {
    const { hub } = await setup(echo)
    await expect(hub.podStreams.open('edge-2', logReq)).rejects.toMatchObject({ code: 'POD_STREAM_UNAVAILABLE' })
  })

  it('rejects an invalid request on the cloud with POD_STREAM_INVALID without sending it', async () => {
    const { hub, edge } = await setup(echo)
    await expect(hub.openPodStream('edge-1', { ...logReq, namespace: 'Not_DNS' })).rejects.toMatchObject({ code: 'POD_STREAM_INVALID' })
    expect(edge.podStreamStats()?.streams).toBe(0)
  })

  it('gives up on an open the node does not answer within openTimeoutMs and tells the node', async () => {
    const signals: AbortSignal[] = []
    const { hub } = await setup({ handle: async (_r, _accept, signal) => { signals.push(signal); await new Promise(resolve => signal.addEventListener('abort', resolve)) } }, { podStreams: { openTimeoutMs: 200 } })
    await expect(hub.openPodStream('edge-1', logReq)).rejects.toMatchObject({ code: 'POD_STREAM_UNAVAILABLE' })
    await eventually(() => signals[0]?.aborted, 5000, 'node-side stream aborted')
  })

  it('aborts the streams of a link on both sides when the socket is terminated, and opens new ones after the reconnect', async () => {
    const p = parking()
    const { hub, edge, proxy, metrics } = await setup(p.handler)
    const a = await hub.openPodStream('edge-1', execReq)
    const b = await hub.openPodStream('edge-1', logReq)
    const iterA = collect(a).catch(e => e)
    const sendB = (async () => { for (;;) await b.send(0, new Uint8Array(60_000)) })().catch(e => e)
    await eventually(() => p.streams.length === 2, 5000, 'both accepted')
    proxy.cut()
    expect(hasCode(await iterA, 'POD_STREAM_ABORTED')).toBe(true)
    expect(hasCode(await sendB, 'POD_STREAM_ABORTED')).toBe(true)
    expect(a.signal.aborted && b.signal.aborted).toBe(true)
    await eventually(() => p.signals.every(s => s.aborted) && p.failures.length === 2, 5000, 'node-side streams aborted')
    expect(p.failures.every(f => hasCode(f, 'POD_STREAM_ABORTED'))).toBe(true)
    expect(await metrics.registry.value('edgemesh_cloudhub_pod_stream_aborts_total', { cause: 'link' })).toBe(2)
    expect(await metrics.registry.value('edgemesh_cloudhub_open_pod_streams', { kind: 'exec' })).toBe(0)
    await edge.waitForConnect(AbortSignal.timeout(5000))
    await eventually(() => hub.connectedNodes().includes('edge-1'), 5000, 'reconnected')
    const c = await hub.openPodStream('edge-1', execReq)
    await c.send(0, text('again'))
    await eventually(() => p.streams.length === 3, 5000, 'new stream accepted')
    c.abort('done')
  })

  it('aborts the streams of a session that a reconnect replaces', async () => {
    const p = parking()
    const { hub, proxy } = await setup(p.handler, { deadMs: 30_000, keepaliveMs: 50 }, { keepaliveMs: 50, deadMs: 400 })
    const s = await hub.openPodStream('edge-1', execReq)
    const replaced = new Promise<void>(resolve => hub.once('node:replaced', () => resolve()))
    proxy.freeze() // the edge's dead-link timer fires and it dials again; the cloud replaces the old session
    await replaced
    expect(s.signal.aborted).toBe(true)
    await eventually(() => p.signals[0]?.aborted, 5000, 'node-side stream aborted by its dead-link timer')
    const again = await hub.openPodStream('edge-1', execReq)
    expect(again.signal.aborted).toBe(false)
    again.abort()
  })

  it('rejects opens beyond the per-node stream cap as POD_STREAM_UNAVAILABLE and accepts again after one closes', async () => {
    const p = parking()
    const { hub } = await setup(p.handler, { podStreams: { maxStreams: 3 } })
    const open = await Promise.all([1, 2, 3].map(async () => await hub.openPodStream('edge-1', execReq)))
    const err = await hub.openPodStream('edge-1', execReq).catch(e => e)
    expect(err).toMatchObject({ code: 'POD_STREAM_UNAVAILABLE' })
    expect((err as Error).message).toMatch(/3 pod streams open/)
    open[0]?.abort('make room')
    const fourth = await hub.openPodStream('edge-1', execReq)
    expect(fourth.signal.aborted).toBe(false)
  })

  it('counts pod-stream bytes per direction and open streams by kind', async () => {
    const { hub, metrics } = await setup(echo)
    const s = await hub.openPodStream('edge-1', execReq)
    expect(await metrics.registry.value('edgemesh_cloudhub_open_pod_streams', { kind: 'exec' })).toBe(1)
    const got = collect(s)
    await s.send(0, new Uint8Array(1000))
    await s.end()
    await got
    expect(await metrics.registry.value('edgemesh_cloudhub_pod_stream_bytes_total', { direction: 'out' })).toBe(1000)
    expect(await metrics.registry.value('edgemesh_cloudhub_pod_stream_bytes_total', { direction: 'in' })).toBe(1003)
    await eventually(async () => await metrics.registry.value('edgemesh_cloudhub_open_pod_streams', { kind: 'exec' }) === 0, 5000, 'gauge back to 0')
  })
})
