import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AUTH_PROTOCOL, AUTH_VERSION, MAX_AUTH_FRAME_BYTES, decodeAuthFrame, encodeAuthFrame, issueNodeCert } from '@edgemesh/mesh'
import { RENDEZVOUS_PROTOCOL, RendezvousResponse, jsonStream } from '@edgemesh/edgemesh-agent'
import { makePki, serverConfig, startServer } from './helpers.js'
import type { Pki } from './helpers.js'
import type { EdgeMeshServer } from '../src/index.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

// A bare libp2p client: no mesh auth service, so the certificate exchange happens only when the test
// runs it by hand, after its first rendezvous request is already waiting on the server.
async function bareClient (key: PrivateKey): Promise<Libp2p> {
  return await createLibp2p({ privateKey: key, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
}

describe('edgemesh-server waits for a peer\'s auth on the auth event', () => {
  let pki: Pki
  let server: EdgeMeshServer
  let serverAddr: string
  const clients: Libp2p[] = []
  const AUTH_WAIT_MS = 1_500

  beforeAll(async () => {
    pki = await makePki()
    const cfg = await serverConfig(pki, 'server')
    server = await startServer({ ...cfg, limits: { ...cfg.limits, authWaitMs: AUTH_WAIT_MS } })
    serverAddr = server.getMultiaddrs()[0]?.toString() ?? ''
  })
  afterEach(async () => { for (const c of clients.splice(0)) await c.stop() })
  afterAll(async () => {
    await server?.stop()
    await pki?.cleanup()
  })

  it('answers a rendezvous request sent before the certificate exchange as soon as the exchange completes', async () => {
    const key = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key)
    const { certPem } = await issueNodeCert(pki.ca, 'node-late', peerId)
    const client = await bareClient(key)
    clients.push(client)
    const conn = await client.dial(multiaddr(serverAddr), { signal: AbortSignal.timeout(5_000) })
    const signal = AbortSignal.timeout(10_000)
    const rv = await conn.newStream(RENDEZVOUS_PROTOCOL, { signal })
    const io = jsonStream(rv, RendezvousResponse)
    await io.write({ type: 'register', nodeName: 'node-late', listenAddrs: [] }, { signal })
    const sentAt = Date.now()
    const reply = io.read({ signal })
    await new Promise(resolve => setTimeout(resolve, 400))
    // Now prove the certificate, as the agent's mesh auth would.
    const auth = lpStream(await conn.newStream(AUTH_PROTOCOL, { signal }), { maxDataLength: MAX_AUTH_FRAME_BYTES })
    await auth.write(encodeAuthFrame({ version: AUTH_VERSION, certPem }), { signal })
    expect(decodeAuthFrame((await auth.read({ signal })).subarray())).toHaveProperty('certPem')
    const authedAt = Date.now()
    expect(await reply).toMatchObject({ type: 'registered' })
    const answeredAt = Date.now()
    expect(authedAt - sentAt).toBeGreaterThanOrEqual(400)
    // Released by the event: no poll interval, and long before the wait budget.
    expect(answeredAt - authedAt).toBeLessThan(250)
    expect(answeredAt - sentAt).toBeLessThan(AUTH_WAIT_MS)
  })

  it('refuses a request from a peer that never authenticates with RENDEZVOUS_FORBIDDEN once the wait budget is spent', async () => {
    const client = await bareClient(await generateKeyPair('Ed25519'))
    clients.push(client)
    const failures: string[] = []
    const onFail = (e: CustomEvent<{ code: string }>): void => { failures.push(e.detail.code) }
    const auth = server.libp2p.services.auth
    auth.addEventListener('peer:auth-failed', onFail)
    try {
      const conn = await client.dial(multiaddr(serverAddr), { signal: AbortSignal.timeout(5_000) })
      const signal = AbortSignal.timeout(10_000)
      const rv = await conn.newStream(RENDEZVOUS_PROTOCOL, { signal })
      const io = jsonStream(rv, RendezvousResponse)
      const before = await server.metrics.value('edgemesh_server_rendezvous_requests_total', { type: 'lookup', result: 'RENDEZVOUS_FORBIDDEN' })
      const sentAt = Date.now()
      await io.write({ type: 'lookup', nodeName: 'node-x' }, { signal })
      // The server also drops the connection when the exchange times out, so the reply may not arrive.
      await io.read({ signal }).catch(() => undefined)
      const endedAt = Date.now()
      expect(endedAt - sentAt).toBeGreaterThanOrEqual(AUTH_WAIT_MS - 300)
      expect(endedAt - sentAt).toBeLessThan(AUTH_WAIT_MS + 1_500)
      expect(await server.metrics.value('edgemesh_server_rendezvous_requests_total', { type: 'lookup', result: 'RENDEZVOUS_FORBIDDEN' })).toBe(before + 1)
      expect(failures).toContain('AUTH_TIMEOUT')
    } finally {
      auth.removeEventListener('peer:auth-failed', onFail)
    }
  })
})
