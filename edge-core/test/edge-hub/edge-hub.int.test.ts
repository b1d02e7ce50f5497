import { createServer } from 'node:net'
import { certInfo, createCA, eventually, issueCert, type CertificateAuthority, type KeyAndCert } from '@edgemesh/common'
import { createMessage, type HubMessage, type ResourceRef } from '@edgemesh/common/hub-protocol'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { EdgeHub, MemoryDedupStore, type DownstreamHandler, type EdgeHubInit } from '../../src/index.js'
import { FakeCloud } from './fake-cloud.js'

let ca: CertificateAuthority
let serving: KeyAndCert
let node: KeyAndCert
const hubs: EdgeHub[] = []
const clouds: FakeCloud[] = []

beforeAll(async () => {
  ca = await createCA()
  serving = await issueCert(ca, { commonName: 'cloudhub', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
  node = await issueCert(ca, { commonName: 'system:node:n1', organizations: ['system:nodes'] }, { usage: 'client' })
})

afterEach(async () => {
  for (const h of hubs.splice(0)) await h.stop()
  for (const c of clouds.splice(0)) await c.stop()
})

async function cloud (opts: { autoPong?: boolean } = {}): Promise<FakeCloud> {
  const c = new FakeCloud({ serving, caPem: ca.certPem }, opts)
  await c.start()
  clouds.push(c)
  return c
}

function edge (urls: string[], handler: DownstreamHandler, init: Partial<EdgeHubInit> = {}, dedup = new MemoryDedupStore()): EdgeHub {
  const h = new EdgeHub({ handler, dedup }, { urls, nodeName: 'n1', certPem: node.certPem, keyPem: node.keyPem, caPem: ca.certPem, backoffInitialMs: 20, backoffMaxMs: 200, ...init })
  hubs.push(h)
  return h
}

const recorder = (): { handler: DownstreamHandler, applied: Array<{ msg: HubMessage, resource: ResourceRef }> } => {
  const applied: Array<{ msg: HubMessage, resource: ResourceRef }> = []
  return { applied, handler: { handle: async (msg, resource) => { applied.push({ msg, resource }) } } }
}

const down = (name: string, rv = '1'): HubMessage => createMessage({ operation: 'insert', resource: `node/n1/default/pod/${name}`, resourceVersion: rv, content: { metadata: { name } } })

async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', () => resolve()))
  const port = (s.address() as { port: number }).port
  await new Promise<void>(resolve => s.close(() => resolve()))
  return port
}

describe('edge-hub', () => {
  it('connects to the cloud-hub with its node certificate', async () => {
    const c = await cloud()
    const h = edge([c.url], recorder().handler)
    await h.start()
    await h.waitForConnect(AbortSignal.timeout(5000))
    expect(c.connections).toBe(1)
  })

  it('treats start and stop as idempotent', async () => {
    const c = await cloud()
    const h = edge([c.url], recorder().handler)
    await h.start()
    await h.start()
    await h.waitForConnect(AbortSignal.timeout(5000))
    await h.stop()
    await h.stop()
    expect(h.isStarted()).toBe(false)
    expect(c.connections).toBe(1)
  })

  it('tries the next cloud-hub URL when the first cannot be reached', async () => {
    const c = await cloud()
    const h = edge([`wss://127.0.0.1:${await freePort()}`, c.url], recorder().handler)
    await h.start()
    await h.waitForConnect(AbortSignal.timeout(5000))
    expect(h.connectedUrl).toBe(c.url)
  })

  it('hands downstream messages to the handler with the edge-side resource', async () => {
    const c = await cloud()
    const r = recorder()
    const h = edge([c.url], r.handler)
    await h.start()
    await h.waitForConnect(AbortSignal.timeout(5000))
    c.send(down('web'))
    await eventually(() => r.applied.length === 1, 5000, 'applied')
    expect(r.applied[0]?.resource).toEqual({ namespace: 'default', kind: 'pod', name: 'web' })
  })

  it('applies messages in order and acks each only after its handler resolved', async () => {
    const c = await cloud()
    const order: string[] = []
    let release: () => void = () => {}
    const gate = new Promise<void>(resolve => { release = resolve })
    const h = edge([c.url], {
      handle: async (_m, res) => {
        order.push(`start ${res.name}`)
        if (res.name === 'a') await gate
        order.push(`done ${res.name}`)
      }
    })
    await h.start()
    await h.waitForConnect(AbortSignal.timeout(5000))
    c.send(down('a'))
    c.send(down('b'))
    await eventually(() => order.length === 1, 5000, 'first started')
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(c.acks()).toHaveLength(0)
    expect(order).toEqual(['start a'])
    release()
    await eventually(() => c.acks().length === 2, 5000, 'both acked')
    expect(order).toEqual(['start a', 'done a', 'start b', 'done b'])
  })

  it('applies a repeated msg_id once and acks it again', async () => {
    const c = await cloud()
    const r = recorder()
    const h = edge([c.url], r.handler)
    await h.start()
    await h.waitForConnect(AbortSignal.timeout(5000))
    const m = down('web')
    c.send(m)
    c.send(m)
    await eventually(() => c.acks().length === 2, 5000, 'two acks')
    expect(r.applied).toHaveLength(1)
    expect(c.acks().every(a => a.header.parent_msg_id === m.header.msg_id)).toBe(true)
  })

  it('remembers applied msg_ids across a restart through its dedup store', async () => {
    const c = await cloud()
    const r = recorder()
    const dedup = new MemoryDedupStore()
    const first = edge([c.url], r.handler, {}, dedup)
    await first.start()
    await first.waitForConnect(AbortSignal.timeout(5000))
    const m = down('web')
    c.send(m)
    await eventually(() => c.acks().length === 1, 5000, 'ack')
    await first.stop()
    const second = edge([c.url], r.handler, {}, dedup)
    await second.start()
    await eventually(() => c.connections === 2 && c.current?.readyState === 1, 5000, 'reconnect')
    await second.waitForConnect(AbortSignal.timeout(5000))
    c.send(m)
    await eventually(() => c.acks().length === 2, 5000, 'second ack')
    expect(r.applied).toHaveLength(1)
  })

  it('does not ack a message whose handler failed', async () => {
    const c = await cloud()
    let fail = true
    const h = edge([c.url], { handle: async () => { if (fail) throw new Error('disk full') } })
    await h.start()
    await h.waitForConnect(AbortSignal.timeout(5000))
    const m = down('web')
    c.send(m)
    await new Promise(resolve => setTimeout(resolve, 150))
    expect(c.acks()).toHaveLength(0)
    fail = false
    c.send(m)
    await eventually(() => c.acks().length === 1, 5000, 'ack after the resend')
  })

  it('ignores a downstream message addressed to another node', async () => {
    const c = await cloud()
    const r = recorder()
    const h = edge([c.url], r.handler)
    await h.start()
    await h.waitForConnect(AbortSignal.timeout(5000))
    c.send(createMessage({ operation: 'insert', resource: 'node/n2/default/pod/x' }))
    c.send(down('mine'))
    await eventually(() => r.applied.length === 1, 5000, 'own message applied')
    expect(r.applied[0]?.resource.name).toBe('mine')
    expect(c.acks()).toHaveLength(1)
  })

  it('resolves an upstream send when the cloud acks it', async () => {
    const c = await cloud()
    const h = edge([c.url], recorder().handler)
    await h.start()
    const ack = await h.send({ operation: 'update', resource: 'default/pod/web', content: { status: {} } }, AbortSignal.timeout(5000))
    expect(ack.content).toBe('OK')
    expect(c.received.filter(m => m.route.operation === 'update')).toHaveLength(1)
  })

  it('resends an upstream message until it is acked', async () => {
    const c = await cloud()
    c.dropFirst = 1
    const h = edge([c.url], recorder().handler, { resendMs: 100 })
    await h.start()
    await h.send({ operation: 'update', resource: 'default/pod/web' }, AbortSignal.timeout(5000))
    const sent = c.received.filter(m => m.route.operation === 'update')
    expect(sent.length).toBeGreaterThanOrEqual(2)
    expect(new Set(sent.map(m => m.header.msg_id)).size).toBe(1)
  })

  it('holds an upstream message while offline and delivers it after connecting', async () => {
    const port = await freePort()
    const h = edge([`wss://127.0.0.1:${port}`], recorder().handler)
    await h.start()
    const p = h.send({ operation: 'update', resource: 'null/node/n1' }, AbortSignal.timeout(10_000))
    await new Promise(resolve => setTimeout(resolve, 100))
    const c = new FakeCloud({ serving, caPem: ca.certPem })
    await c.start(port)
    clouds.push(c)
    await expect(p).resolves.toMatchObject({ content: 'OK' })
  })

  it('rejects an upstream send with EDGEHUB_STOPPED when stopped before the ack', async () => {
    const h = edge([`wss://127.0.0.1:${await freePort()}`], recorder().handler)
    await h.start()
    const p = h.send({ operation: 'update', resource: 'default/pod/web' })
    await h.stop()
    await expect(p).rejects.toMatchObject({ code: 'EDGEHUB_STOPPED' })
  })

  it('rejects an upstream send with ABORTED when its signal fires', async () => {
    const h = edge([`wss://127.0.0.1:${await freePort()}`], recorder().handler)
    await h.start()
    const ac = new AbortController()
    const p = h.send({ operation: 'update', resource: 'default/pod/web' }, ac.signal)
    ac.abort()
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('drops a half-open link to a silent cloud and dials again', async () => {
    // Sends nothing and answers no ping: from the edge it looks half-open (or hung).
    const c = await cloud({ autoPong: false })
    const h = edge([c.url], recorder().handler, { keepaliveMs: 50, deadMs: 300 })
    const gone = new Promise<void>(resolve => h.once('hub:disconnect', () => resolve()))
    await h.start()
    await gone
    await eventually(() => c.connections >= 2, 5000, 'redial')
  })

  it('keeps an idle link to a live cloud with WebSocket pings, not keepalive envelopes', async () => {
    const c = await cloud()
    const h = edge([c.url], recorder().handler, { keepaliveMs: 50, deadMs: 300 })
    const dropped: string[] = []
    h.on('hub:disconnect', r => { dropped.push(r) })
    await h.start()
    await h.waitForConnect(AbortSignal.timeout(5000))
    await new Promise(resolve => setTimeout(resolve, 1000))
    expect(dropped).toEqual([])
    expect(c.keepalives).toBe(0)
  })

  it('dials with a renewed certificate after updateCredentials', async () => {
    const c = await cloud()
    const h = edge([c.url], recorder().handler)
    await h.start()
    await h.waitForConnect(AbortSignal.timeout(5000))
    const renewed = await issueCert(ca, { commonName: 'system:node:n1', organizations: ['system:nodes'] }, { usage: 'client' })
    h.updateCredentials(renewed)
    c.current?.terminate()
    await eventually(() => c.connections === 2, 5000, 'redial')
    expect(c.clientSerials).toEqual([certInfo(node.certPem).serialNumber.toLowerCase(), certInfo(renewed.certPem).serialNumber.toLowerCase()])
  })
})
