import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import { NodeDialer } from '../../src/tunnel/node-dialer.js'
import type { NodeDialerComponents } from '../../src/tunnel/node-dialer.js'
import type { AbortOptions, Connection, PeerId } from '@libp2p/interface'

/** A libp2p connection manager whose dials finish when the test says so, recording each dial's signal. */
function slowNetwork (peer: PeerId): { components: NodeDialerComponents, dials: AbortSignal[], finish: () => void } {
  const dials: AbortSignal[] = []
  const pending: Array<() => void> = []
  const conn = { id: 'c1', status: 'open', remotePeer: peer, remoteAddr: multiaddr(`/ip4/10.0.0.2/tcp/4001/p2p/${peer.toString()}`) } as unknown as Connection
  const components: NodeDialerComponents = {
    connectionManager: {
      openConnection: async (_addr: unknown, options?: AbortOptions) => {
        const signal = options?.signal ?? new AbortController().signal
        dials.push(signal)
        return await new Promise<Connection>((resolve, reject) => {
          pending.push(() => { resolve(conn) })
          signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
        })
      },
      getConnections: () => []
    },
    auth: { peerIdOf: () => undefined, waitForAuth: async () => 'node-b' }
  }
  return { components, dials, finish: () => { for (const f of pending.splice(0)) f() } }
}

async function peer (): Promise<PeerId> { return peerIdFromPrivateKey(await generateKeyPair('Ed25519')) }

function dialer (components: NodeDialerComponents, peerId: PeerId): NodeDialer {
  return new NodeDialer(components, { staticPeers: { 'node-b': { peerId: peerId.toString(), addrs: ['/ip4/10.0.0.2/tcp/4001'] } }, directDialTimeoutMs: 10_000 })
}

describe('NodeDialer shared in-flight dial', () => {
  it('keeps the shared dial running for the other waiters when the first caller aborts', async () => {
    const p = await peer()
    const net = slowNetwork(p)
    const d = dialer(net.components, p)
    const first = new AbortController()
    const a = d.connect('node-b', first.signal)
    const b = d.connect('node-b', AbortSignal.timeout(10_000))
    await new Promise(resolve => setTimeout(resolve, 20))
    first.abort()
    await expect(a).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    expect(net.dials).toHaveLength(1)
    expect(net.dials[0]!.aborted).toBe(false)
    net.finish()
    expect((await b).id).toBe('c1')
    d.stop()
  })

  it('aborts the shared dial once every waiter has given up, and the next caller dials afresh', async () => {
    const p = await peer()
    const net = slowNetwork(p)
    const d = dialer(net.components, p)
    const [x, y] = [new AbortController(), new AbortController()]
    const a = d.connect('node-b', x.signal)
    const b = d.connect('node-b', y.signal)
    await new Promise(resolve => setTimeout(resolve, 20))
    x.abort()
    await expect(a).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    expect(net.dials[0]!.aborted).toBe(false)
    y.abort()
    await expect(b).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    expect(net.dials[0]!.aborted).toBe(true)
    const c = d.connect('node-b', AbortSignal.timeout(10_000))
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(net.dials).toHaveLength(2)
    net.finish()
    expect((await c).id).toBe('c1')
    d.stop()
  })

  it('aborts a shared dial on stop and refuses new ones with MESH_NOT_STARTED', async () => {
    const p = await peer()
    const net = slowNetwork(p)
    const d = dialer(net.components, p)
    const a = d.connect('node-b', AbortSignal.timeout(10_000))
    await new Promise(resolve => setTimeout(resolve, 20))
    d.stop()
    await expect(a).rejects.toSatisfy(e => hasCode(e, 'MESH_NOT_STARTED'))
    expect(net.dials[0]!.aborted).toBe(true)
    await expect(d.connect('node-b', AbortSignal.timeout(1_000))).rejects.toSatisfy(e => hasCode(e, 'MESH_NOT_STARTED'))
  })

  it('reports an auth exchange that outlasts its budget as AUTH_TIMEOUT, not as an abort', async () => {
    const p = await peer()
    const net = slowNetwork(p)
    net.components.auth = { peerIdOf: () => undefined, waitForAuth: async (_p, signal) => await new Promise<string>((_resolve, reject) => { signal?.addEventListener('abort', () => { reject(signal.reason) }, { once: true }) }) }
    const d = new NodeDialer(net.components, { staticPeers: { 'node-b': { peerId: p.toString(), addrs: ['/ip4/10.0.0.2/tcp/4001'] } }, authTimeoutMs: 50 })
    const a = d.connect('node-b', AbortSignal.timeout(10_000))
    await new Promise(resolve => setTimeout(resolve, 20))
    net.finish()
    await expect(a).rejects.toSatisfy(e => hasCode(e, 'AUTH_TIMEOUT'))
    d.stop()
  })
})

describe('NodeDialer relayed → direct upgrade', () => {
  it('runs one background punch for a relayed node however many connects reach it meanwhile', async () => {
    const p = await peer()
    const relayed = { id: 'r1', status: 'open', remotePeer: p, remoteAddr: multiaddr(`/ip4/10.0.0.9/tcp/4001/p2p/${p.toString()}/p2p-circuit/p2p/${p.toString()}`) } as unknown as Connection
    const open: Connection[] = []
    const punches: AbortSignal[] = []
    const components: NodeDialerComponents = {
      connectionManager: {
        openConnection: async () => { open.push(relayed); return relayed },
        getConnections: () => open
      },
      // Never "known": every connect goes through establish() and sees the relayed connection again.
      auth: { peerIdOf: () => undefined, waitForAuth: async () => 'node-b' },
      puncher: {
        punch: async (_n, _p, signal) => {
          punches.push(signal!)
          return await new Promise<Connection>((_resolve, reject) => { signal?.addEventListener('abort', () => { reject(signal.reason) }, { once: true }) })
        }
      }
    }
    const d = new NodeDialer(components, { relays: ['/ip4/10.0.0.9/tcp/4001/p2p/' + p.toString()], staticPeers: { 'node-b': { peerId: p.toString(), addrs: [] } } })
    await Promise.all([d.connect('node-b', AbortSignal.timeout(5_000)), d.connect('node-b', AbortSignal.timeout(5_000))])
    await d.connect('node-b', AbortSignal.timeout(5_000))
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(punches).toHaveLength(1)
    d.stop()
    expect(punches[0]!.aborted).toBe(true)
  })
})
