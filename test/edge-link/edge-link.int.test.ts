import { createCA, eventually, issueCert, type CertificateAuthority, type KeyAndCert } from '@edgemesh/common'
import type { HubMessage, ResourceRef } from '@edgemesh/common/hub-protocol'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CloudHub, MemoryWatermarkStore, type CloudHubInit, type DownstreamObject } from '../../cloud-core/src/cloud-hub/index.js'
import { EdgeHub, MemoryDedupStore, type EdgeHubInit } from '../../edge-core/src/index.js'
import { TcpProxy } from './tcp-proxy.js'

// A real cloud-hub and a real edge-hub over TLS on loopback, with a breakable TCP relay between them.
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

/** What the edge has applied: the cache a meta-manager would hold, plus every apply in order. */
class EdgeCache {
  readonly objects = new Map<string, string>()
  readonly applies: string[] = []
  onApply?: (msg: HubMessage) => void
  readonly handler = {
    handle: async (msg: HubMessage, r: ResourceRef): Promise<void> => {
      const key = `${r.namespace ?? ''}/${r.kind}/${r.name}`
      this.applies.push(`${msg.route.operation} ${key}@${msg.header.resourceversion}`)
      if (msg.route.operation === 'delete') this.objects.delete(key)
      else this.objects.set(key, msg.header.resourceversion)
      this.onApply?.(msg)
    }
  }
}

async function setup (hubInit: CloudHubInit = {}, edgeInit: Partial<EdgeHubInit> = {}, objects: DownstreamObject[] = []): Promise<{ hub: CloudHub, proxy: TcpProxy, edge: EdgeHub, cache: EdgeCache, watermarks: MemoryWatermarkStore }> {
  const watermarks = new MemoryWatermarkStore()
  const hub = new CloudHub({ caPem: ca.certPem, serving, watermarks, source: { list: async () => objects } }, { port: 0, host: '127.0.0.1', ...hubInit })
  await hub.start()
  stops.push(async () => await hub.stop())
  const proxy = new TcpProxy(hub.port)
  await proxy.start()
  stops.push(async () => await proxy.stop())
  const cache = new EdgeCache()
  const edge = new EdgeHub({ handler: cache.handler, dedup: new MemoryDedupStore() }, {
    urls: [`wss://127.0.0.1:${proxy.port}`], nodeName: 'edge-1', certPem: nodeCert.certPem, keyPem: nodeCert.keyPem, caPem: ca.certPem,
    backoffInitialMs: 20, backoffMaxMs: 200, ...edgeInit
  })
  stops.push(async () => await edge.stop())
  return { hub, proxy, edge, cache, watermarks }
}

const pod = (name: string, rv: string): DownstreamObject => ({ uid: `uid-${name}`, resourceVersion: rv, namespace: 'default', kind: 'pod', name, object: { metadata: { name, resourceVersion: rv } } })

describe('edge link (cloud-hub + edge-hub)', () => {
  it('delivers objects queued while the node was disconnected once it connects', async () => {
    const { hub, edge, cache } = await setup()
    hub.publish('edge-1', { type: 'upsert', object: pod('a', '1') })
    hub.publish('edge-1', { type: 'upsert', object: pod('b', '2') })
    await edge.start()
    await eventually(() => cache.objects.size === 2 && hub.queueDepth('edge-1') === 0, 10_000, 'delivery and acks')
    expect(Object.fromEntries(cache.objects)).toEqual({ 'default/pod/a': '1', 'default/pod/b': '2' })
  })

  it('converges to the cloud state after changes made while the node was away', async () => {
    const objects = [pod('keep', '1'), pod('change', '1'), pod('drop', '1')]
    const { hub, edge, cache } = await setup({}, {}, objects)
    await edge.start()
    await eventually(() => cache.objects.size === 3 && hub.queueDepth('edge-1') === 0, 10_000, 'first sync')
    await edge.stop()
    objects.splice(0, objects.length, pod('keep', '1'), pod('change', '5'), pod('new', '6'))
    await edge.start()
    await eventually(() => cache.objects.get('default/pod/new') === '6' && !cache.objects.has('default/pod/drop') && hub.queueDepth('edge-1') === 0, 10_000, 'resync')
    expect(Object.fromEntries(cache.objects)).toEqual({ 'default/pod/keep': '1', 'default/pod/change': '5', 'default/pod/new': '6' })
    expect(cache.applies.filter(a => a.includes('/keep@'))).toHaveLength(1)
  })

  it('applies a message once when its ack was lost and it is resent', async () => {
    const { hub, proxy, edge, cache } = await setup()
    // Cut the link the moment the edge has applied the object: its ack never reaches the cloud.
    cache.onApply = () => { cache.onApply = undefined; proxy.cut() }
    await edge.start()
    hub.publish('edge-1', { type: 'upsert', object: pod('a', '1') })
    await eventually(() => hub.queueDepth('edge-1') === 0, 10_000, 'ack after the resend')
    expect(cache.applies).toEqual(['insert default/pod/a@1'])
  })

  it('replaces the old session when the node reconnects over a new link', async () => {
    const { hub, proxy, edge, cache } = await setup({ deadMs: 30_000, keepaliveMs: 50 }, { keepaliveMs: 50, deadMs: 400 })
    await edge.start()
    await edge.waitForConnect(AbortSignal.timeout(5000))
    const replaced = new Promise<string>(resolve => hub.once('node:replaced', node => resolve(node)))
    proxy.freeze() // the cloud still holds the old session; the edge gives up on it and dials again
    expect(await replaced).toBe('edge-1')
    expect(hub.connectedNodes()).toEqual(['edge-1'])
    hub.publish('edge-1', { type: 'upsert', object: pod('after', '1') })
    await eventually(() => cache.objects.has('default/pod/after'), 10_000, 'delivery on the new session')
  })

  it('detects a half-open link on both sides within the configured timeout', async () => {
    const { hub, proxy, edge } = await setup({ keepaliveMs: 50, deadMs: 400 }, { keepaliveMs: 50, deadMs: 400, backoffInitialMs: 5_000, backoffMaxMs: 5_000 })
    await edge.start()
    await edge.waitForConnect(AbortSignal.timeout(5000))
    const cloudSide = new Promise<string>(resolve => hub.once('node:disconnect', (_n, reason) => resolve(reason)))
    const edgeSide = new Promise<void>(resolve => edge.once('hub:disconnect', () => resolve()))
    proxy.freeze()
    const [reason] = await Promise.all([cloudSide, edgeSide])
    expect(reason).toBe('keepalive timeout')
  })
})
