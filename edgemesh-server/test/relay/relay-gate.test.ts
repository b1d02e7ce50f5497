import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '@edgemesh/common'
import { meshRelayGate } from '@edgemesh/mesh'
import { relayGate } from '../../src/relay/relay-config.js'
import { FakeAuthorizer } from '../../../mesh/test/support/fake-authorizer.js'
import type { MeshRelayGate } from '@edgemesh/mesh'
import type { PeerId } from '@libp2p/interface'

async function peer (): Promise<PeerId> { return peerIdFromPrivateKey(await generateKeyPair('Ed25519')) }

describe('relay reservation gate', () => {
  it('refuses a reservation to a peer that never authenticates and counts it', async () => {
    const p = await peer()
    const refused: string[] = []
    const gate = relayGate({}, { gater: meshRelayGate(() => new FakeAuthorizer(), { reservationAuthWaitMs: 100 }), logger: silentLogger(), onRefused: r => refused.push(r) })
    expect(await gate.denyInboundRelayReservation(p)).toBe(true)
    expect(refused).toEqual(['unauthenticated'])
  })

  it('waits for an authentication that finishes shortly after the request', async () => {
    const p = await peer()
    const auth = new FakeAuthorizer()
    setTimeout(() => { auth.authorize(p, 'n') }, 100)
    const gate = relayGate({}, { gater: meshRelayGate(() => auth, { reservationAuthWaitMs: 2_000 }), logger: silentLogger() })
    expect(await gate.denyInboundRelayReservation(p)).toBe(false)
  })

  it('refuses a relayed connection toward an unauthenticated target', async () => {
    const [a, b] = [await peer(), await peer()]
    const auth = new FakeAuthorizer()
    auth.authorize(a, 'n')
    const gate = relayGate({}, { gater: meshRelayGate(() => auth, { reservationAuthWaitMs: 50 }), logger: silentLogger() })
    expect(await gate.denyOutboundRelayedConnection(a, b)).toBe(true)
    expect(await gate.denyOutboundRelayedConnection(a, a)).toBe(false)
  })

  it('grants a waiting reservation on the auth event instead of polling isAuthorized every 25 ms', async () => {
    const p = await peer()
    const auth = new FakeAuthorizer()
    setTimeout(() => { auth.authorize(p, 'n') }, 300)
    const gate = relayGate({}, { gater: meshRelayGate(() => auth, { reservationAuthWaitMs: 5_000 }), logger: silentLogger() })
    expect(await gate.denyInboundRelayReservation(p)).toBe(false)
    expect(auth.isAuthorizedCalls).toBeLessThanOrEqual(1)
  })

  it('decides through the mesh gater relay hooks, which are no longer dead code behind it', async () => {
    const p = await peer()
    const asked: string[] = []
    const mesh = (deny: boolean): MeshRelayGate => ({
      denyInboundRelayReservation: async () => { asked.push('reserve'); return deny },
      denyOutboundRelayedConnection: async () => { asked.push('relayed'); return deny }
    })
    const refused: string[] = []
    const denying = relayGate({}, { gater: mesh(true), logger: silentLogger(), onRefused: r => refused.push(r) })
    expect(await denying.denyInboundRelayReservation(p)).toBe(true)
    expect(await denying.denyOutboundRelayedConnection(p, p)).toBe(true)
    const allowing = relayGate({}, { gater: mesh(false), logger: silentLogger() })
    expect(await allowing.denyInboundRelayReservation(p)).toBe(false)
    expect(await allowing.denyOutboundRelayedConnection(p, p)).toBe(false)
    expect(asked).toEqual(['reserve', 'relayed', 'reserve', 'relayed'])
    expect(refused).toEqual(['unauthenticated', 'relay-unauthenticated'])
  })

  it('refuses a reservation when the relay table is full', async () => {
    const p = await peer()
    const auth = new FakeAuthorizer()
    auth.authorize(p, 'n')
    const refused: string[] = []
    const relay = { reservations: { size: 1, has: () => false } }
    const gate = relayGate({ maxReservations: 1 }, { gater: meshRelayGate(() => auth), logger: silentLogger(), relay: () => relay as never, onRefused: r => refused.push(r) })
    expect(await gate.denyInboundRelayReservation(p)).toBe(true)
    expect(refused).toEqual(['full'])
  })
})
