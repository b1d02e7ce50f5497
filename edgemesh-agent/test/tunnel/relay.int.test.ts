import { randomBytes } from 'node:crypto'
import { eventually } from '@edgemesh/common'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isRelayed } from '../../src/tunnel/node-dialer.js'
import { allowPorts, collect, echoServer, newCA, startPeer, type TestPeer } from './helpers.js'
import type { MeshNodeInit } from '../../src/tunnel/host.js'
import type { Puncher } from '../../src/tunnel/types.js'

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => { await eventually(cond, ms, 'condition', 50) }

describe('relayed and punched paths on loopback', () => {
  let relay: TestPeer
  let a: TestPeer
  let b: TestPeer
  let echo: Awaited<ReturnType<typeof echoServer>>
  let relayAddr: string
  let punches = 0
  const punchVia: { impl?: Puncher['punch'] } = {}
  let punchCalls = 0

  beforeAll(async () => {
    const ca = await newCA()
    echo = await echoServer()
    relay = await startPeer(ca, 'relay-1', { extra: { relayServer: { reservations: { applyDefaultLimit: false, maxReservations: 16 } } } })
    relayAddr = relay.addr // getMultiaddrs() already ends in /p2p/<relay>
    b = await startPeer(ca, 'node-b', { policy: allowPorts(echo.port), extra: { relays: [relayAddr] } })
    await until(() => b.node.getMultiaddrs().some(m => m.toString().includes('/p2p-circuit')))
    a = await startPeer(ca, 'node-a', {
      extra: {
        relays: [relayAddr],
        // One attempt per relayed connection, so the first test's (failing) punch is over before the second sets one up.
        tunnel: { punchInitialBackoffMs: 50, directDialTimeoutMs: 1000, punchMaxAttempts: 1, puncherService: 'punch' },
        // The tunnel finds its puncher among the node's services; this one fails until a test gives it a way to punch.
        services: {
          punch: () => ({
            punch: async (...args: Parameters<Puncher['punch']>) => {
              punchCalls++
              if (punchVia.impl === undefined) throw new Error('no puncher yet')
              return await punchVia.impl(...args)
            }
          })
        } as unknown as MeshNodeInit['services']
      }
    })
    // B's advertised address is a dead port, as if B sat behind a NAT: the direct dial must fail.
    a.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId.toString(), addrs: ['/ip4/127.0.0.1/tcp/1'] })
  })

  afterAll(async () => {
    await a?.node.stop()
    await b?.node.stop()
    await relay?.node.stop()
    await echo?.close()
  })

  it('reaches the echo server through the relay when the direct dial fails, and reports path relay', async () => {
    const d = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(20_000))
    const payload = randomBytes(50_000)
    d.end(payload)
    expect((await collect(d)).equals(payload)).toBe(true)
    expect(a.node.getConnections(b.peerId).every(isRelayed)).toBe(true)
    expect(a.node.services.tunnel.metrics().find(m => m.nodeName === 'node-b')?.path).toBe('relay')
    expect(relay.node.services.auth.isAuthorized(b.peerId)).toBe(true)
  })

  it('moves new streams to a punched connection once the background punch succeeds', async () => {
    // The first test's relayed connection started a punch attempt; let it fail and its loop end.
    await until(() => punchCalls >= 1)
    await new Promise(resolve => setTimeout(resolve, 300))
    // Stand-in for the NAT puncher: a real direct dial to B's true address.
    punchVia.impl = async (_name, peerId, signal) => {
      punches++
      expect(b.addr).toContain(peerId.toString())
      return await a.node.dial(multiaddr(b.addr), { signal })
    }
    // Drop the relayed connection so the next flow establishes (relay first, then punch).
    for (const c of a.node.getConnections(b.peerId)) await c.close()
    await until(() => a.node.getConnections(b.peerId).length === 0)
    const first = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(20_000))
    first.end('via relay')
    expect((await collect(first)).toString()).toBe('via relay')
    await until(() => a.node.services.tunnel.metrics().find(m => m.nodeName === 'node-b')?.path === 'punched')
    expect(punches).toBe(1)
    const second = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(20_000))
    second.end('via punch')
    expect((await collect(second)).toString()).toBe('via punch')
    const direct = a.node.getConnections(b.peerId).find(c => !isRelayed(c))
    expect(direct).toBeDefined()
    expect(echo.accepted()).toBe(3)
    expect(await a.node.services.tunnel.prometheus()).toContain('edgemesh_tunnel_peer_path{node="node-b",path="punched"} 1')
  })

  it('gives no relay reservation to a peer without a node certificate', async () => {
    const raw = await createLibp2p({
      addresses: { listen: [`${relayAddr}/p2p-circuit`] },
      transports: [tcp(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() }
    }).catch((err: unknown) => err)
    try {
      if (raw instanceof Error) {
        // libp2p may refuse to start when its only listen address fails: that is a refusal too.
        expect(raw.message).toMatch(/listen|reservation|relay/i)
        return
      }
      await new Promise(resolve => setTimeout(resolve, 4000))
      expect((raw as Awaited<ReturnType<typeof createLibp2p>>).getMultiaddrs().some(m => m.toString().includes('/p2p-circuit'))).toBe(false)
      expect(relay.node.services.relay?.reservations.has((raw as Awaited<ReturnType<typeof createLibp2p>>).peerId)).toBe(false)
    } finally {
      if (!(raw instanceof Error)) await (raw as Awaited<ReturnType<typeof createLibp2p>>).stop()
    }
  })
})
