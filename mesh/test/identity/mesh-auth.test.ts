import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter, type Connection, type Libp2pEvents } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { MeshAuth } from '../../src/identity/mesh-auth.js'

describe('MeshAuth failure table', () => {
  it('sweeps expired failures so fresh peer ids cannot grow it without bound', async () => {
    const auth = new MeshAuth({
      peerId: peerIdFromPrivateKey(await generateKeyPair('Ed25519')),
      registrar: { handle: async () => {}, unhandle: async () => {} },
      events: new TypedEventEmitter<Libp2pEvents>(),
      connectionManager: { getConnections: () => [] }
    }, { nodeName: 'node-a', certPem: 'unused', caPem: 'unused', failureTtlMs: 100 })
    await auth.start()
    // Each stranger's exchange fails at once; only the size of the private table shows whether old entries go.
    const failWith = async (): Promise<void> => {
      const remotePeer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
      const connection = { remotePeer, newStream: async () => { throw new Error('protocol refused') } } as unknown as Connection
      await auth.authenticate(connection).catch(() => {})
    }
    const table = (auth as unknown as { failures: Map<string, unknown> }).failures
    try {
      for (let i = 0; i < 20; i++) await failWith()
      expect(table.size).toBe(20)
      await new Promise(resolve => setTimeout(resolve, 150))
      await failWith()
      expect(table.size).toBe(1)
    } finally {
      await auth.stop()
    }
  })
})

describe('MeshAuth.waitForAuth', () => {
  it('rejects a waiter with the typed AUTH_TIMEOUT when an inbound peer never starts the exchange', async () => {
    const events = new TypedEventEmitter<Libp2pEvents>()
    const auth = new MeshAuth({
      peerId: peerIdFromPrivateKey(await generateKeyPair('Ed25519')),
      registrar: { handle: async () => {}, unhandle: async () => {} },
      events,
      connectionManager: { getConnections: () => [] }
    }, { nodeName: 'node-a', certPem: 'unused', caPem: 'unused', timeoutMs: 200 })
    await auth.start()
    try {
      const remotePeer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
      events.safeDispatchEvent('connection:open', { detail: { remotePeer, direction: 'inbound' } as unknown as Connection })
      const started = Date.now()
      const err = await auth.waitForAuth(remotePeer, AbortSignal.timeout(10_000)).then(() => undefined, (e: unknown) => e)
      expect((err as { code?: string }).code).toBe('AUTH_TIMEOUT')
      expect(Date.now() - started).toBeLessThan(1_000)
    } finally {
      await auth.stop()
    }
  })
})
