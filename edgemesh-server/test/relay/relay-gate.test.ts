import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '@edgemesh/common'
import { relayGate } from '../../src/relay/relay-config.js'
import type { PeerId } from '@libp2p/interface'

async function peer (): Promise<PeerId> { return peerIdFromPrivateKey(await generateKeyPair('Ed25519')) }

describe('relay reservation gate', () => {
  it('refuses a reservation to a peer that never authenticates and counts it', async () => {
    const p = await peer()
    const refused: string[] = []
    const gate = relayGate({ authWaitMs: 100 }, { auth: { isAuthorized: () => false, nodeNameOf: () => undefined }, logger: silentLogger(), onRefused: r => refused.push(r) })
    expect(await gate.denyInboundRelayReservation!(p)).toBe(true)
    expect(refused).toEqual(['unauthenticated'])
  })

  it('waits for an authentication that finishes shortly after the request', async () => {
    const p = await peer()
    let ok = false
    setTimeout(() => { ok = true }, 100)
    const gate = relayGate({ authWaitMs: 2_000 }, { auth: { isAuthorized: () => ok, nodeNameOf: () => 'n' }, logger: silentLogger() })
    expect(await gate.denyInboundRelayReservation!(p)).toBe(false)
  })

  it('refuses a relayed connection toward an unauthenticated target', async () => {
    const [a, b] = [await peer(), await peer()]
    const gate = relayGate({ authWaitMs: 50 }, { auth: { isAuthorized: x => x.equals(a), nodeNameOf: () => 'n' }, logger: silentLogger() })
    expect(await gate.denyOutboundRelayedConnection!(a, b)).toBe(true)
    expect(await gate.denyOutboundRelayedConnection!(a, a)).toBe(false)
  })
})
