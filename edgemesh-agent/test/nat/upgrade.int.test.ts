import { connect, createServer } from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { TypedEventEmitter } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPunchInitiator, upgradeSocket } from '../../src/tunnel/nat/upgrade.js'
import type { UpgradeComponents } from '../../src/tunnel/nat/upgrade.js'
import type { Connection, Libp2p, Libp2pEvents } from '@libp2p/interface'
import type { AddressInfo, Socket } from 'node:net'

class Grab { constructor (readonly components: UpgradeComponents) {} }
type Node = Libp2p<{ grab: Grab }>

async function node (): Promise<Node> {
  return await createLibp2p({ connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { grab: (c: UpgradeComponents) => new Grab(c) } })
}

/** A plain TCP socket pair on loopback, standing in for a punched pair. */
async function socketPair (): Promise<[Socket, Socket]> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const accepted = new Promise<Socket>(resolve => server.once('connection', resolve))
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port })
  const a = await accepted
  server.close()
  return [client, a]
}

describe('upgradeSocket', () => {
  let x: Node, y: Node
  beforeAll(async () => { [x, y] = [await node(), await node()] })
  afterAll(async () => { await x?.stop(); await y?.stop() })

  it('makes exactly one side the Noise initiator, by peer id order', () => {
    expect(isPunchInitiator(x.peerId, y.peerId)).toBe(!isPunchInitiator(y.peerId, x.peerId))
  })

  it('turns a connected socket pair into an encrypted, multiplexed libp2p connection on both ends', async () => {
    const [sx, sy] = await socketPair()
    const signal = AbortSignal.timeout(10_000)
    const [cx, cy] = await Promise.all([
      upgradeSocket(x.services.grab.components, sx, y.peerId, isPunchInitiator(x.peerId, y.peerId), signal),
      upgradeSocket(y.services.grab.components, sy, x.peerId, isPunchInitiator(y.peerId, x.peerId), signal)
    ]) as [Connection, Connection]
    expect(cx.remotePeer.equals(y.peerId)).toBe(true)
    expect(cy.remotePeer.equals(x.peerId)).toBe(true)
    expect(cx.encryption).toBe('/noise')
    await y.handle('/test/hello/1.0.0', async (stream) => { stream.send(new TextEncoder().encode('hi')); await stream.close() })
    const s = await cx.newStream('/test/hello/1.0.0', { signal })
    let text = ''
    for await (const c of s) { text += new TextDecoder().decode(c.subarray()); if (text.length >= 2) break }
    expect(text).toBe('hi')
  })

  it('returns the punched connection, not a concurrent connection to the same peer that opened first', async () => {
    const [sx, sy] = await socketPair()
    const signal = AbortSignal.timeout(10_000)
    // y's events, with a decoy: another connection to x (as a relayed one would be) opening while the punched socket upgrades.
    const real = y.services.grab.components
    const events = new TypedEventEmitter<Libp2pEvents>()
    const forward = (evt: CustomEvent<Connection>): void => {
      const decoy = { ...evt.detail, id: 'decoy', remoteAddr: multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${x.peerId.toString()}/p2p-circuit`), timeline: { open: Date.now() } } as unknown as Connection
      events.safeDispatchEvent('connection:open', { detail: decoy })
      events.safeDispatchEvent('connection:open', { detail: evt.detail })
    }
    real.events.addEventListener('connection:open', forward)
    try {
      const inbound: UpgradeComponents = { peerId: real.peerId, upgrader: real.upgrader, logger: real.logger, events }
      const [, cy] = await Promise.all([
        upgradeSocket(x.services.grab.components, sx, y.peerId, true, signal),
        upgradeSocket(inbound, sy, x.peerId, false, signal)
      ]) as [Connection, Connection]
      expect(cy.id).not.toBe('decoy')
      expect(cy.remoteAddr.toString()).not.toContain('p2p-circuit')
      expect(cy.remoteAddr.toString()).toContain(`/tcp/${sy.remotePort ?? 0}/`)
    } finally {
      real.events.removeEventListener('connection:open', forward)
    }
  })

  it('rejects a socket whose remote is not the expected peer', async () => {
    const z = await node()
    try {
      const [sx, sz] = await socketPair()
      const signal = AbortSignal.timeout(5_000)
      // x expects y but z answers: the initiator side's Noise check fails.
      const [rx] = await Promise.allSettled([
        upgradeSocket(x.services.grab.components, sx, y.peerId, true, signal),
        upgradeSocket(z.services.grab.components, sz, x.peerId, false, signal)
      ])
      expect(rx.status).toBe('rejected')
    } finally {
      await z.stop()
    }
  })
})
