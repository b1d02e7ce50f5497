import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { FaultTolerance } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCA, hasCode } from '@edgemesh/common'
import { RENDEZVOUS_PROTOCOL, RendezvousResponse, jsonStream } from '@edgemesh/edgemesh-agent'
import { eventually, makePki, serverConfig, startAgent, startServer } from './helpers.js'
import type { Agent, Pki } from './helpers.js'
import type { EdgeMeshServer } from '../src/index.js'

const ECHO = '/edgemesh-test/echo/1.0.0'

describe('edgemesh-server on loopback', () => {
  let pki: Pki
  let server: EdgeMeshServer
  let serverAddr: string
  const agents: Agent[] = []

  beforeAll(async () => {
    pki = await makePki()
    server = await startServer(await serverConfig(pki, 'server'))
    serverAddr = server.getMultiaddrs()[0]?.toString() ?? ''
  })

  afterAll(async () => {
    for (const a of agents) await Promise.resolve(a.stop()).catch(() => {})
    await server?.stop()
    await pki?.cleanup()
  })

  it('registers an authenticated agent and resolves it by node name', async () => {
    const a = await startAgent(pki, { nodeName: 'node-a', servers: [serverAddr] })
    const b = await startAgent(pki, { nodeName: 'node-b', servers: [serverAddr] })
    agents.push(a, b)
    await eventually(() => a.services.nat.rendezvous.registrationCount > 0 && b.services.nat.rendezvous.registrationCount > 0, 10_000, 'registrations')
    const found = await eventually(async () => await a.services.nat.resolve('node-b'), 10_000, 'lookup')
    expect(found.peerId.equals(b.peerId)).toBe(true)
    expect(found.observedAddrs.map(String)).toContain(`/ip4/127.0.0.1/tcp/${b.services.nat.links.localPort}`)
  })

  it('serves only the address it observed itself, never observed addresses the client supplied', async () => {
    const b = agents[1]!
    const link = await b.services.nat.links.waitForLink(AbortSignal.timeout(10_000))
    const stream = await link.connection.newStream(RENDEZVOUS_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const io = jsonStream(stream, RendezvousResponse)
    await io.write({ type: 'register', nodeName: 'node-b', listenAddrs: b.getMultiaddrs().map(String), observedAddrs: ['/ip4/203.0.113.9/tcp/4242'] })
    expect(await io.read({ signal: AbortSignal.timeout(5000) })).toMatchObject({ type: 'registered' })
    await stream.close()
    const found = await agents[0]!.services.nat.rendezvous.lookup('node-b')
    expect(found.observedAddrs.map(String)).toEqual([`/ip4/127.0.0.1/tcp/${link.localPort}`])
  })

  it('answers undefined for a node nobody registered', async () => {
    const a = agents[0]!
    expect(await a.services.nat.resolve('no-such-node')).toBeUndefined()
    await expect(a.services.nat.rendezvous.lookup('no-such-node')).rejects.toSatisfy(e => hasCode(e, 'RENDEZVOUS_NOT_FOUND'))
  })

  it('refuses a registration for a node name the certificate does not prove', async () => {
    const liar = await startAgent(pki, { nodeName: 'node-b', certNodeName: 'node-liar', servers: [serverAddr] })
    agents.push(liar)
    const link = await liar.services.nat.links.waitForLink(AbortSignal.timeout(10_000))
    const err = await liar.services.nat.rendezvous.register(link).then(() => undefined, (e: unknown) => e)
    expect(hasCode(err, 'RENDEZVOUS_REJECTED')).toBe(true)
    expect((err as { remoteCode?: string }).remoteCode).toBe('RENDEZVOUS_FORBIDDEN')
    const found = await agents[0]!.services.nat.resolve('node-b')
    expect(found?.peerId.equals(agents[1]!.peerId)).toBe(true)
  })

  it('relays more than the stock 128 KiB limit between authenticated agents', async () => {
    const [a, b] = [agents[0]!, agents[1]!]
    await b.handle(ECHO, async (stream) => {
      for await (const chunk of stream) { if (!stream.send(chunk.subarray())) await stream.onDrain() }
      await stream.close()
    }, { runOnLimitedConnection: true })
    await eventually(() => server.libp2p.services.relay.reservations.has(b.peerId), 10_000, 'reservation of b')
    const circuit = multiaddr(`${serverAddr}/p2p-circuit/p2p/${b.peerId.toString()}`)
    const conn = await a.dial(circuit, { signal: AbortSignal.timeout(10_000) })
    expect(conn.limits).toBeUndefined()
    const stream = await conn.newStream(ECHO, { signal: AbortSignal.timeout(10_000), runOnLimitedConnection: true })
    const total = 1024 * 1024
    const chunk = new Uint8Array(64 * 1024).fill(7)
    let received = 0
    const reading = (async () => { for await (const c of stream) { received += c.byteLength; if (received >= total) break } })()
    for (let sent = 0; sent < total; sent += chunk.byteLength) { if (!stream.send(chunk)) await stream.onDrain() }
    await reading
    expect(received).toBe(total)
    await stream.close().catch(() => {})
  })

  it('gives no relay reservation to a peer without a cluster certificate', async () => {
    const stranger = await createLibp2p({
      addresses: { listen: [`${serverAddr}/p2p-circuit`] },
      transports: [tcp(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
      transportManager: { faultTolerance: FaultTolerance.NO_FATAL }
    })
    try {
      await eventually(async () => await server.metrics.value('edgemesh_server_relay_refused_total', { reason: 'unauthenticated', code: 'RELAY_NO_RESERVATION' }) > 0, 15_000, 'refusal metric')
      expect(server.libp2p.services.relay.reservations.has(stranger.peerId)).toBe(false)
      expect(stranger.getMultiaddrs().some(a => a.toString().includes('p2p-circuit'))).toBe(false)
    } finally {
      await stranger.stop()
    }
  })

  it('refuses the certificate of a foreign CA at the auth exchange', async () => {
    const foreign = await createCA({ commonName: 'other-ca' })
    const rogue = await startAgent(pki, { nodeName: 'node-rogue', servers: [serverAddr], ca: foreign, reserve: false })
    agents.push(rogue)
    await new Promise(resolve => setTimeout(resolve, 1_500))
    expect(rogue.services.nat.rendezvous.registrationCount).toBe(0)
    expect(await agents[0]!.services.nat.resolve('node-rogue')).toBeUndefined()
  })

  it('refuses to coordinate a punch toward a node without a live registration', async () => {
    const err = await agents[0]!.services.nat.punch('no-such-node', undefined, AbortSignal.timeout(10_000)).catch((e: unknown) => e)
    expect(hasCode(err, 'PUNCH_REFUSED')).toBe(true)
    expect((err as { remoteCode?: string }).remoteCode).toBe('PUNCH_PEER_UNAVAILABLE')
    expect(await server.metrics.value('edgemesh_server_punch_requests_total', { result: 'PUNCH_PEER_UNAVAILABLE' })).toBe(1)
  })

  it('serves healthz, readyz and prometheus metrics', async () => {
    const base = `http://127.0.0.1:${server.httpPort}`
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    expect((await fetch(`${base}/readyz`)).status).toBe(200)
    const text = await (await fetch(`${base}/metrics`)).text()
    expect(text).toMatch(/edgemesh_server_rendezvous_registrations \d+/)
    expect(text).toMatch(/edgemesh_server_relay_reservations [1-9]/)
  })
})
