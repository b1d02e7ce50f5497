import { connect as tcpConnect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { certInfo, createCA, eventually, issueCert, type CertificateAuthority, type KeyAndCert } from '@edgemesh/common'
import { createAck, createMessage, decodeMessage, encodeMessage, type HubMessage } from '@edgemesh/common/hub-protocol'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { CloudHub, CloudHubMetrics, MemoryWatermarkStore, type CloudHubInit, type DownstreamObject, type DownstreamSource, type UpstreamHandler } from '../../src/cloud-hub/index.js'

let ca: CertificateAuthority
let serving: KeyAndCert
const nodeCerts = new Map<string, KeyAndCert>()
let hub: CloudHub
let watermarks: MemoryWatermarkStore
let metrics: CloudHubMetrics
const clients: WebSocket[] = []

beforeAll(async () => {
  ca = await createCA()
  serving = await issueCert(ca, { commonName: 'cloudhub', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
})

async function nodeCert (name: string): Promise<KeyAndCert> {
  let c = nodeCerts.get(name)
  if (c === undefined) {
    c = await issueCert(ca, { commonName: `system:node:${name}`, organizations: ['system:nodes'] }, { usage: 'client' })
    nodeCerts.set(name, c)
  }
  return c
}

async function startHub (init: CloudHubInit = {}, extra: { source?: DownstreamSource, upstream?: UpstreamHandler } = {}): Promise<CloudHub> {
  watermarks ??= new MemoryWatermarkStore()
  metrics = new CloudHubMetrics()
  hub = new CloudHub({ caPem: ca.certPem, serving, watermarks, metrics, ...extra }, { port: 0, host: '127.0.0.1', ...init })
  await hub.start()
  return hub
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate()
  await hub?.stop()
  watermarks = new MemoryWatermarkStore()
})
afterAll(async () => { await hub?.stop() })

interface Client { ws: WebSocket, received: HubMessage[], closed: Promise<number> }

async function dial (cert: KeyAndCert | undefined, opts: { autoAck?: boolean } = {}): Promise<Client> {
  const ws = new WebSocket(`wss://127.0.0.1:${hub.port}`, { ca: ca.certPem, cert: cert?.certPem, key: cert?.keyPem })
  clients.push(ws)
  const received: HubMessage[] = []
  const closed = new Promise<number>(resolve => ws.on('close', code => resolve(code)))
  ws.on('message', data => {
    const m = decodeMessage(data as Buffer)
    if (m.route.operation === 'keepalive') return
    received.push(m)
    if (opts.autoAck === true && m.route.operation !== 'response') ws.send(encodeMessage(createAck(m, 'edgehub')))
  })
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
  return { ws, received, closed }
}

const pod = (uid: string, rv: string, name = uid): DownstreamObject => ({ uid, resourceVersion: rv, namespace: 'default', kind: 'pod', name, object: { metadata: { uid, name, resourceVersion: rv } } })

describe('cloud-hub', () => {
  it('refuses a client certificate that does not name a node', async () => {
    await startHub()
    const admin = await issueCert(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'] }, { usage: 'client' })
    await expect(dial(admin)).rejects.toThrow()
    expect(hub.connectedNodes()).toEqual([])
  })

  it('refuses a client without a certificate', async () => {
    await startHub()
    await expect(dial(undefined)).rejects.toThrow()
  })

  it('delivers an object queued while the node was away once it connects', async () => {
    await startHub()
    hub.publish('n1', { type: 'upsert', object: pod('u1', '5') })
    const c = await dial(await nodeCert('n1'), { autoAck: true })
    await eventually(() => c.received.length === 1, 5000, 'delivery')
    expect(c.received[0]?.route).toMatchObject({ operation: 'insert', resource: 'node/n1/default/pod/u1' })
    expect(c.received[0]?.header.resourceversion).toBe('5')
  })

  it('records the acked resourceVersion as the watermark', async () => {
    await startHub()
    await dial(await nodeCert('n1'), { autoAck: true })
    hub.publish('n1', { type: 'upsert', object: pod('u1', '5') })
    await eventually(async () => (await watermarks.get('n1', 'u1'))?.resourceVersion === '5', 5000, 'watermark')
    expect(hub.queueDepth('n1')).toBe(0)
  })

  it('sends an update, not an insert, for an object the node already has', async () => {
    await startHub()
    await watermarks.put('n1', 'u1', { resourceVersion: '4', namespace: 'default', kind: 'pod', name: 'u1' })
    const c = await dial(await nodeCert('n1'), { autoAck: true })
    hub.publish('n1', { type: 'upsert', object: pod('u1', '5') })
    await eventually(() => c.received.length === 1, 5000, 'delivery')
    expect(c.received[0]?.route.operation).toBe('update')
  })

  it('resends an unacked message with the same msg_id', async () => {
    await startHub({ resendMs: 100 })
    const c = await dial(await nodeCert('n1'))
    hub.publish('n1', { type: 'upsert', object: pod('u1', '1') })
    await eventually(() => c.received.length >= 2, 5000, 'resend')
    expect(c.received[1]?.header.msg_id).toBe(c.received[0]?.header.msg_id)
    expect(metrics.totalResends).toBeGreaterThan(0)
  })

  it('stops resending once the message is acked', async () => {
    await startHub({ resendMs: 100 })
    const c = await dial(await nodeCert('n1'), { autoAck: true })
    hub.publish('n1', { type: 'upsert', object: pod('u1', '1') })
    await eventually(() => hub.queueDepth('n1') === 0, 5000, 'ack')
    const n = c.received.length
    await new Promise(resolve => setTimeout(resolve, 400))
    expect(c.received.length).toBe(n)
  })

  it('sends exactly what changed on reconnect, including deletes made while away', async () => {
    const objects = [pod('keep', '1'), pod('changed', '3'), pod('new', '1')]
    await watermarks.put('n1', 'keep', { resourceVersion: '1', namespace: 'default', kind: 'pod', name: 'keep' })
    await watermarks.put('n1', 'changed', { resourceVersion: '2', namespace: 'default', kind: 'pod', name: 'changed' })
    await watermarks.put('n1', 'gone', { resourceVersion: '9', namespace: 'default', kind: 'pod', name: 'gone' })
    await startHub({}, { source: { list: async () => objects } })
    const c = await dial(await nodeCert('n1'), { autoAck: true })
    await eventually(() => c.received.length === 3, 5000, 'resync')
    const got = c.received.map(m => `${m.route.operation} ${m.route.resource}`).sort()
    expect(got).toEqual(['delete node/n1/default/pod/gone', 'insert node/n1/default/pod/new', 'update node/n1/default/pod/changed'])
    await eventually(async () => (await watermarks.get('n1', 'gone')) === undefined, 5000, 'delete watermark')
  })

  it('replaces the old session when a node reconnects', async () => {
    await startHub()
    const first = await dial(await nodeCert('n1'))
    const second = await dial(await nodeCert('n1'), { autoAck: true })
    expect(await first.closed).toBe(4000)
    expect(hub.connectedNodes()).toEqual(['n1'])
    hub.publish('n1', { type: 'upsert', object: pod('u1', '1') })
    await eventually(() => second.received.length === 1, 5000, 'delivery on the new session')
  })

  it('closes a half-open session that stops sending', async () => {
    await startHub({ keepaliveMs: 50, deadMs: 300 })
    const c = await dial(await nodeCert('n1'))
    const gone = new Promise<string>(resolve => hub.once('node:disconnect', (_n, reason) => resolve(reason)))
    c.ws.pause() // the socket stays open but nothing more is read or answered
    expect(await gone).toBe('keepalive timeout')
  })

  it('keeps a session alive while the node sends keepalives', async () => {
    await startHub({ keepaliveMs: 50, deadMs: 300 })
    const c = await dial(await nodeCert('n1'))
    const t = setInterval(() => c.ws.send(encodeMessage(createMessage({ operation: 'keepalive', resource: '', source: 'edgehub', group: 'hub' }))), 50)
    await new Promise(resolve => setTimeout(resolve, 700))
    clearInterval(t)
    expect(hub.connectedNodes()).toEqual(['n1'])
  })

  it('ignores a malformed frame and keeps the connection', async () => {
    await startHub()
    const c = await dial(await nodeCert('n1'), { autoAck: true })
    c.ws.send('{not json')
    c.ws.send(JSON.stringify({ header: {}, route: {}, content: 1 }))
    c.ws.send(encodeMessage({ ...createMessage({ operation: 'insert', resource: 'default/pod/x' }), route: { ...createMessage({ operation: 'insert', resource: 'x' }).route, operation: 'explode' as any } }))
    hub.publish('n1', { type: 'upsert', object: pod('u1', '1') })
    await eventually(() => c.received.length === 1, 5000, 'delivery after bad frames')
  })

  it('closes a connection that sends an oversized frame without affecting other nodes', async () => {
    await startHub({ maxMessageBytes: 1024 })
    const bad = await dial(await nodeCert('n1'))
    const good = await dial(await nodeCert('n2'), { autoAck: true })
    bad.ws.send('x'.repeat(4096))
    expect(await bad.closed).toBe(1009)
    hub.publish('n2', { type: 'upsert', object: pod('u2', '1') })
    await eventually(() => good.received.length === 1, 5000, 'other node still served')
  })

  it('delivers upstream messages to the handler and acks them after it resolves', async () => {
    const seen: string[] = []
    await startHub({}, { upstream: { handle: async (node, msg) => { seen.push(`${node} ${msg.route.operation} ${msg.route.resource}`) } } })
    const c = await dial(await nodeCert('n1'))
    const up = createMessage({ operation: 'update', resource: 'default/pod/web', source: 'edgehub', content: { status: {} } })
    c.ws.send(encodeMessage(up))
    await eventually(() => c.received.some(m => m.header.parent_msg_id === up.header.msg_id), 5000, 'ack')
    expect(seen).toEqual(['n1 update default/pod/web'])
  })

  it('acks a duplicate upstream msg_id without handling it twice', async () => {
    let calls = 0
    await startHub({}, { upstream: { handle: async () => { calls++ } } })
    const c = await dial(await nodeCert('n1'))
    const up = createMessage({ operation: 'update', resource: 'default/pod/web', source: 'edgehub' })
    c.ws.send(encodeMessage(up))
    c.ws.send(encodeMessage(up))
    await eventually(() => c.received.filter(m => m.header.parent_msg_id === up.header.msg_id).length === 2, 5000, 'two acks')
    expect(calls).toBe(1)
  })

  it('drops an upstream message with a wrong resource string without acking it', async () => {
    let calls = 0
    await startHub({}, { upstream: { handle: async () => { calls++ } } })
    const c = await dial(await nodeCert('n1'))
    c.ws.send(encodeMessage(createMessage({ operation: 'update', resource: 'not/a/valid/resource', source: 'edgehub' })))
    const ok = createMessage({ operation: 'update', resource: 'default/pod/web', source: 'edgehub' })
    c.ws.send(encodeMessage(ok))
    await eventually(() => c.received.some(m => m.header.parent_msg_id === ok.header.msg_id), 5000, 'ack of the good one')
    expect(calls).toBe(1)
    expect(c.received).toHaveLength(1)
  })

  it('drops connections beyond the handshake bound', async () => {
    await startHub({ maxHandshakes: 1 })
    const hog = tcpConnect(hub.port, '127.0.0.1')
    await new Promise<void>(resolve => hog.once('connect', () => resolve()))
    await new Promise(resolve => setTimeout(resolve, 50))
    await expect(dial(await nodeCert('n1'))).rejects.toThrow()
    hog.destroy()
    await eventually(async () => { try { await dial(await nodeCert('n1')); return true } catch { return false } }, 5000, 'connect after the hog left')
  })

  it('reports connected nodes and queue depth in its metrics', async () => {
    await startHub()
    hub.publish('n9', { type: 'upsert', object: pod('u1', '1') })
    await dial(await nodeCert('n1'))
    await eventually(async () => await metrics.registry.value('edgemesh_cloudhub_connected_nodes') === 1, 5000, 'gauge')
    const text = await metrics.render()
    expect(text).toContain('edgemesh_cloudhub_connected_nodes 1')
    expect(text).toContain('edgemesh_cloudhub_queue_depth{node="n9"} 1')
  })

  it('serves a renewed certificate to new connections while old sessions stay open', async () => {
    await startHub()
    const old = await dial(await nodeCert('n1'))
    const renewed = await issueCert(ca, { commonName: 'cloudhub', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
    hub.updateCredentials(renewed)
    const n2 = await nodeCert('n2')
    const served = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: hub.port, ca: ca.certPem, cert: n2.certPem, key: n2.keyPem }, () => {
        const raw = s.getPeerCertificate().raw
        s.destroy()
        resolve(`-----BEGIN CERTIFICATE-----\n${raw.toString('base64')}\n-----END CERTIFICATE-----\n`)
      })
      s.on('error', reject)
    })
    expect(certInfo(served).serialNumber).toBe(certInfo(renewed.certPem).serialNumber)
    expect(old.ws.readyState).toBe(WebSocket.OPEN)
  })

  it('survives a client that resets the connection mid-handshake and keeps serving others', async () => {
    await startHub()
    for (let i = 0; i < 5; i++) {
      const s = tcpConnect(hub.port, '127.0.0.1')
      await new Promise<void>(resolve => s.once('connect', () => resolve()))
      s.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01]))
      s.resetAndDestroy()
    }
    const c = await dial(await nodeCert('n1'), { autoAck: true })
    hub.publish('n1', { type: 'upsert', object: pod('u1', '1') })
    await eventually(() => c.received.length === 1, 5000, 'delivery')
  })
})
