import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import { PunchService, type PunchServiceComponents } from '../../src/tunnel/nat/punch-service.js'
import { PunchMessage, jsonStream } from '../../src/tunnel/nat/protocol.js'
import { isPunchInitiator, upgradeSocket, type UpgradeComponents } from '../../src/tunnel/nat/upgrade.js'
import type { ServerLink, ServerLinks } from '../../src/tunnel/nat/server-link.js'
import type { Connection, Libp2p, Stream, StreamHandler } from '@libp2p/interface'

class Grab { constructor (readonly components: UpgradeComponents) {} }
type Node = Libp2p<{ grab: Grab }>

async function node (): Promise<Node> {
  return await createLibp2p({ connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { grab: (c: UpgradeComponents) => new Grab(c) } })
}

async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise(resolve => s.close(resolve))
  return port
}

/**
 * The remote peer's "public endpoint": a TCP listener on loopback whose accepted sockets y upgrades
 * into libp2p connections, as y would upgrade its side of a real simultaneous open.
 */
async function peerEndpoint (y: Node, x: Node): Promise<{ port: number, accepted: () => number, upgraded: Array<Promise<Connection>>, close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const upgraded: Array<Promise<Connection>> = []
  const server: Server = createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    const p = upgradeSocket(y.services.grab.components, s, x.peerId, isPunchInitiator(y.peerId, x.peerId), AbortSignal.timeout(10_000))
    p.catch(() => {})
    upgraded.push(p)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => upgraded.length,
    upgraded,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise(resolve => server.close(resolve))
    }
  }
}

/** Plays the edgemesh-server side of our fixed-port link: records connect requests and answers when told. */
interface FakeServer {
  link: ServerLink
  requests: string[]
  /** Answers every pending and future connect request with a sync toward the endpoint. */
  answer: () => void
  /** Sends an inbound sync (the peer asked the server to punch toward us), resolving once we acked. */
  pushSync: () => Promise<void>
}

describe('PunchService shared attempts (real libp2p hosts on loopback)', () => {
  let x: Node, y: Node
  const cleanups: Array<() => Promise<void>> = []
  beforeAll(async () => { [x, y] = [await node(), await node()] })
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })
  afterAll(async () => { await x?.stop(); await y?.stop() })

  async function setup (inMs: number): Promise<{ svc: PunchService, server: FakeServer, endpoint: Awaited<ReturnType<typeof peerEndpoint>> }> {
    const endpoint = await peerEndpoint(y, x)
    cleanups.push(endpoint.close)
    const sync = { type: 'sync' as const, peerId: y.peerId.toString(), nodeName: 'node-b', endpoint: { ip: '127.0.0.1', port: endpoint.port }, inMs }
    const requests: string[] = []
    const pending: Array<() => void> = []
    let answering = false
    let handler: StreamHandler | undefined
    const connection = {
      id: 'server-link',
      newStream: async (): Promise<Stream> => {
        const [ours, theirs] = await streamPair()
        const io = jsonStream(theirs, PunchMessage)
        void (async () => {
          const req = await io.read({ signal: AbortSignal.timeout(10_000) })
          if (req.type === 'connect') requests.push(req.nodeName)
          const reply = async (): Promise<void> => { await io.write(sync).catch(() => {}) }
          if (answering) await reply()
          else pending.push(() => { void reply() })
        })().catch(() => {})
        return ours
      }
    } as unknown as Connection
    const link: ServerLink = { server: peerIdFromPrivateKey(await generateKeyPair('Ed25519')), connection, localAddress: '127.0.0.1', localPort: await freePort() }
    const g = x.services.grab.components
    const components = {
      get peerId () { return g.peerId },
      get upgrader () { return g.upgrader },
      get events () { return g.events },
      get logger () { return g.logger },
      links: { links: () => [link] } as unknown as ServerLinks,
      registrar: {
        handle: async (_p: string, h: StreamHandler) => { handler = h },
        unhandle: async () => { handler = undefined }
      }
    } as unknown as PunchServiceComponents
    const svc = new PunchService(components, { punchDeadlineMs: 8000, attempts: { maxAttempts: 3, jitterMs: 10 } })
    await svc.start()
    cleanups.push(async () => { await svc.stop() })
    const server: FakeServer = {
      link,
      requests,
      answer: () => { answering = true; for (const f of pending.splice(0)) f() },
      pushSync: async () => {
        const [theirs, ours] = await streamPair()
        void handler?.(ours, connection)
        const io = jsonStream(theirs, PunchMessage)
        await io.write(sync)
        expect(await io.read({ signal: AbortSignal.timeout(5000) })).toEqual({ type: 'ack' })
      }
    }
    return { svc, server, endpoint }
  }

  async function until (cond: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms
    while (!cond() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
  }

  it('still punches for the second caller when the first caller of a shared punch aborts', async () => {
    const { svc, server, endpoint } = await setup(400)
    const first = new AbortController()
    const a = svc.punch('node-b', y.peerId, first.signal)
    const b = svc.punch('node-b', y.peerId, AbortSignal.timeout(10_000))
    server.answer()
    // The attempt now waits for the coordinated start instant; the first caller gives up meanwhile.
    await until(() => server.requests.length > 0)
    await new Promise(resolve => setTimeout(resolve, 100))
    first.abort()
    await expect(a).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    const conn = await b
    expect(conn.remotePeer.equals(y.peerId)).toBe(true)
    expect(conn.remoteAddr.toString()).toContain(`/tcp/${endpoint.port}/`)
    expect(server.requests).toEqual(['node-b'])
    expect(svc.stats()).toMatchObject({ attempted: 1, succeeded: 1, failed: 0 })
    await conn.close()
  })

  it('aborts a shared punch once its last caller has given up', async () => {
    const { svc, server, endpoint } = await setup(400)
    const [c1, c2] = [new AbortController(), new AbortController()]
    const a = svc.punch('node-b', y.peerId, c1.signal)
    const b = svc.punch('node-b', y.peerId, c2.signal)
    server.answer()
    await until(() => server.requests.length > 0)
    await new Promise(resolve => setTimeout(resolve, 50))
    c1.abort(); c2.abort()
    await expect(a).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    await expect(b).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    await new Promise(resolve => setTimeout(resolve, 600))
    // Past the start instant: an attempt left running would have sent its SYN by now.
    expect(endpoint.accepted()).toBe(0)
  })

  it('runs one punch, not two, when the server relays the peer\'s sync while our own punch toward it is running', async () => {
    const { svc, server, endpoint } = await setup(300)
    const ours = new AbortController()
    const p = svc.punch('node-b', y.peerId, ours.signal)
    await until(() => server.requests.length > 0)
    await server.pushSync()
    server.answer()
    // We acked the peer's sync, so our side of the punch must happen even if our own caller leaves now.
    ours.abort()
    await expect(p).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    await until(() => svc.stats().succeeded + svc.stats().failed > 0)
    expect(svc.stats()).toMatchObject({ attempted: 1, succeeded: 1, failed: 0 })
    expect(endpoint.accepted()).toBe(1)
    const cy = await endpoint.upgraded[0]!
    expect(cy.remotePeer.equals(x.peerId)).toBe(true)
    await cy.close()
  })

  it('joins the attempt answering the peer\'s sync instead of asking the server for a second punch', async () => {
    const { svc, server, endpoint } = await setup(300)
    await server.pushSync()
    const conn = await svc.punch('node-b', y.peerId, AbortSignal.timeout(10_000))
    expect(conn.remotePeer.equals(y.peerId)).toBe(true)
    expect(server.requests).toEqual([])
    expect(svc.stats()).toMatchObject({ attempted: 1, succeeded: 1 })
    expect(endpoint.accepted()).toBe(1)
    await conn.close()
  })

  it('lets a caller waiting on the attempt for the peer\'s sync give up at once, without ending that attempt', async () => {
    const { svc, server, endpoint } = await setup(400)
    await server.pushSync()
    const given = Date.now()
    await expect(svc.punch('node-b', y.peerId, AbortSignal.timeout(50))).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    expect(Date.now() - given).toBeLessThan(300)
    await until(() => svc.stats().succeeded + svc.stats().failed > 0)
    expect(svc.stats()).toMatchObject({ attempted: 1, succeeded: 1 })
    expect(endpoint.accepted()).toBe(1)
  })

  it('releases a punch caller with PUNCH_FAILED at once when the service stops', async () => {
    const { svc, server } = await setup(5000)
    const p = svc.punch('node-b', y.peerId, AbortSignal.timeout(10_000))
    server.answer()
    await until(() => server.requests.length > 0)
    const stopped = Date.now()
    await svc.stop()
    await expect(p).rejects.toSatisfy(e => hasCode(e, 'PUNCH_FAILED'))
    expect(Date.now() - stopped).toBeLessThan(1000)
  })
})
