import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { authorizedWithin } from '../../src/identity/authorizer.js'
import { meshConnectionGater, meshRelayGate } from '../../src/identity/gater.js'
import { FakeAuthorizer } from '../support/fake-authorizer.js'
import type { PeerId } from '@libp2p/interface'

async function peer (): Promise<PeerId> { return peerIdFromPrivateKey(await generateKeyPair('Ed25519')) }

describe('mesh relay gate', () => {
  it('refuses a reservation to a peer that never authenticates', async () => {
    const auth = new FakeAuthorizer()
    const gate = meshRelayGate(() => auth, { reservationAuthWaitMs: 100 })
    expect(await gate.denyInboundRelayReservation(await peer())).toBe(true)
  })

  it('refuses everything while the auth service is not bound yet', async () => {
    const gate = meshRelayGate(() => undefined, { reservationAuthWaitMs: 50 })
    expect(await gate.denyInboundRelayReservation(await peer())).toBe(true)
  })

  it('waits for an authentication that finishes shortly after the request', async () => {
    const auth = new FakeAuthorizer()
    const p = await peer()
    setTimeout(() => { auth.authorize(p) }, 100)
    const gate = meshRelayGate(() => auth, { reservationAuthWaitMs: 2_000 })
    expect(await gate.denyInboundRelayReservation(p)).toBe(false)
  })

  it('refuses a relayed connection unless both ends authenticate', async () => {
    const auth = new FakeAuthorizer()
    const [a, b] = [await peer(), await peer()]
    auth.authorize(a)
    const gate = meshRelayGate(() => auth, { reservationAuthWaitMs: 50 })
    expect(await gate.denyOutboundRelayedConnection(a, b)).toBe(true)
    expect(await gate.denyOutboundRelayedConnection(b, a)).toBe(true)
    expect(await gate.denyOutboundRelayedConnection(a, a)).toBe(false)
  })
})

describe('mesh connection gater', () => {
  it('refuses the encrypted connection of a recently failed peer and carries the relay gate', async () => {
    const auth = new FakeAuthorizer()
    const [bad, good] = [await peer(), await peer()]
    auth.markFailed(bad)
    const gater = meshConnectionGater(() => auth, { reservationAuthWaitMs: 50 })
    expect(await gater.denyInboundEncryptedConnection?.(bad, {} as never)).toBe(true)
    expect(await gater.denyOutboundEncryptedConnection?.(good, {} as never)).toBe(false)
    expect(await gater.denyInboundRelayReservation?.(good)).toBe(true)
  })
})

describe('authorizedWithin', () => {
  it('wakes on the auth event instead of polling isAuthorized', async () => {
    const auth = new FakeAuthorizer()
    const p = await peer()
    setTimeout(() => { auth.authorize(p) }, 300)
    const started = Date.now()
    expect(await authorizedWithin(auth, p, 5_000)).toBe(true)
    expect(Date.now() - started).toBeLessThan(1_000)
    // A 25 ms poll would have asked about a dozen times in 300 ms.
    expect(auth.isAuthorizedCalls).toBeLessThanOrEqual(1)
  })

  it('gives up when the caller signal fires before the wait budget', async () => {
    const auth = new FakeAuthorizer()
    const started = Date.now()
    expect(await authorizedWithin(auth, await peer(), 10_000, AbortSignal.timeout(50))).toBe(false)
    expect(Date.now() - started).toBeLessThan(2_000)
  })
})
