import { createServer, type AddressInfo, type Socket } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter, type Connection, type Libp2pEvents, type StreamHandler } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { PunchService, type PunchServiceComponents } from '../../src/tunnel/nat/punch-service.js'
import { PunchMessage, jsonStream } from '../../src/tunnel/nat/protocol.js'
import type { ServerLinks } from '../../src/tunnel/nat/server-link.js'

async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise(resolve => s.close(resolve))
  return port
}

// libp2p's per-component debug logger, silenced: the punched socket wrapper only logs through it.
const quietLog: object = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false, newScope: () => quietLog })

describe('PunchService', () => {
  it('still sends SYNs toward the peer after stop() and start()', async () => {
    const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const remote = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    // Stands in for the remote peer's NAT endpoint: an accepted connection proves the punch really ran.
    const peerSockets = new Set<Socket>()
    let accepted = 0
    const peerEndpoint = createServer((s) => { accepted++; peerSockets.add(s); s.on('error', () => {}) })
    await new Promise<void>(resolve => peerEndpoint.listen(0, '127.0.0.1', resolve))
    const serverConnection = { id: 'server-link' } as unknown as Connection
    const link = { server: remote, connection: serverConnection, localAddress: '127.0.0.1', localPort: await freePort() }
    let handler: StreamHandler | undefined
    const refuse = async (): Promise<never> => { throw new Error('no upgrade in this test') }
    const components = {
      peerId: self,
      upgrader: { upgradeInbound: refuse, upgradeOutbound: refuse },
      events: new TypedEventEmitter<Libp2pEvents>(),
      logger: { forComponent: () => quietLog },
      links: { links: () => [link] } as unknown as ServerLinks,
      registrar: {
        handle: async (_p: string, h: StreamHandler) => { handler = h },
        unhandle: async () => { handler = undefined }
      }
    } as unknown as PunchServiceComponents
    const svc = new PunchService(components, { punchDeadlineMs: 3000, attempts: { maxAttempts: 1 } })
    try {
      await svc.start()
      await svc.stop()
      await svc.start()
      expect(handler).toBeDefined()
      const [server, agent] = await streamPair()
      void handler!(agent, serverConnection)
      const io = jsonStream(server, PunchMessage)
      await io.write({ type: 'sync', peerId: remote.toString(), nodeName: 'node-b', endpoint: { ip: '127.0.0.1', port: (peerEndpoint.address() as AddressInfo).port }, inMs: 0 })
      expect(await io.read({ signal: AbortSignal.timeout(5000) })).toEqual({ type: 'ack' })
      const deadline = Date.now() + 5000
      while (svc.stats().failed + svc.stats().succeeded === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 25))
      expect(svc.stats().attempted).toBe(1)
      expect(accepted).toBe(1)
    } finally {
      await svc.stop()
      for (const s of peerSockets) s.destroy()
      peerEndpoint.close()
    }
  })
})
