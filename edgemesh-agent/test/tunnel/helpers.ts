import { createHash, randomBytes } from 'node:crypto'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { createCA, type CertificateAuthority } from '@edgemesh/common'
import { issueNodeCert } from '@edgemesh/mesh'
import { createMeshNode, type MeshNode, type MeshNodeInit } from '../../src/tunnel/host.js'
import type { TargetPolicy } from '../../src/tunnel/types.js'

export interface TestPeer {
  node: MeshNode
  nodeName: string
  peerId: PeerId
  key: PrivateKey
  addr: string
}

export async function newCA (): Promise<CertificateAuthority> {
  return await createCA({ commonName: 'test-cluster-ca' })
}

export async function startPeer (ca: CertificateAuthority, nodeName: string, opts: {
  policy?: TargetPolicy
  certPem?: string
  key?: PrivateKey
  extra?: Partial<MeshNodeInit>
  revokedSerials?: string[]
  authTimeoutMs?: number
} = {}): Promise<TestPeer> {
  const key = opts.key ?? await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key)
  const certPem = opts.certPem ?? (await issueNodeCert(ca, nodeName, peerId)).certPem
  const node = await createMeshNode({
    privateKey: key,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    pingIntervalMs: 1000,
    auth: { nodeName, certPem, caPem: ca.certPem, revokedSerials: opts.revokedSerials, timeoutMs: opts.authTimeoutMs ?? 3000, failureTtlMs: 2000 },
    ...opts.extra,
    tunnel: { policy: opts.policy, ...opts.extra?.tunnel }
  })
  const addr = node.getMultiaddrs().find(a => a.toString().startsWith('/ip4/127.0.0.1/tcp/'))
  return { node, nodeName, peerId, key, addr: addr?.toString() ?? '' }
}

/** A TCP echo server that counts the connections it accepted. */
export async function echoServer (opts: { halfClose?: boolean } = {}): Promise<{ server: Server, port: number, accepted: () => number, close: () => Promise<void> }> {
  let n = 0
  const sockets = new Set<Socket>()
  const server = createServer({ allowHalfOpen: true }, (s) => {
    n++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    s.pipe(s)
    void opts
  })
  // A deep backlog: the load test opens 1,000 connections at once.
  await new Promise<void>(resolve => server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, resolve))
  const port = (server.address() as AddressInfo).port
  return {
    server,
    port,
    accepted: () => n,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

export function allowPorts (...ports: number[]): TargetPolicy {
  return { allow: (_peer, t) => t.ip === '127.0.0.1' && ports.includes(t.port) }
}

export async function collect (s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(Buffer.from(c as Uint8Array))
  return Buffer.concat(chunks)
}

/**
 * A relay, a target node B (with a relay reservation) and two clients: A knows B's real address
 * (its flows go direct), C knows only a dead one, as if B sat behind a NAT (its flows take the relay).
 */
export interface RelayedMesh { relay: TestPeer, a: TestPeer, b: TestPeer, c: TestPeer, stop: () => Promise<void> }

export async function startRelayedMesh (targetPort: number, opts: { bTunnel?: MeshNodeInit['tunnel'], aTunnel?: MeshNodeInit['tunnel'] } = {}): Promise<RelayedMesh> {
  const ca = await newCA()
  const relay = await startPeer(ca, 'relay-1', { extra: { relayServer: { reservations: { applyDefaultLimit: false } } } })
  const b = await startPeer(ca, 'node-b', { policy: allowPorts(targetPort), extra: { relays: [relay.addr], tunnel: opts.bTunnel } })
  const a = await startPeer(ca, 'node-a', { extra: { tunnel: opts.aTunnel } })
  a.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId.toString(), addrs: [b.addr] })
  const c = await startPeer(ca, 'node-c', { extra: { relays: [relay.addr], tunnel: { directDialTimeoutMs: 1000 } } })
  c.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId.toString(), addrs: ['/ip4/127.0.0.1/tcp/1'] })
  const end = Date.now() + 10_000
  while (!b.node.getMultiaddrs().some(m => m.toString().includes('/p2p-circuit')) && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 50))
  return {
    relay,
    a,
    b,
    c,
    stop: async () => {
      await a.node.stop()
      await c.node.stop()
      await b.node.stop()
      await relay.node.stop()
    }
  }
}

/** A TCP server that hashes what arrives and, after the client's FIN, answers `<bytes> <sha256>`. */
export async function digestServer (): Promise<{ server: Server, port: number, close: () => Promise<void> }> {
  const server = createServer(socket => {
    const h = createHash('sha256')
    let n = 0
    socket.on('data', (c: Buffer) => { n += c.byteLength; h.update(c) })
    socket.on('end', () => { socket.end(`${n} ${h.digest('hex')}`) })
    socket.on('error', () => { socket.destroy() })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { server, port, close: async () => { await new Promise(resolve => server.close(resolve)) } }
}

/** A stream of `bytes` varied chunks (a dropped or repeated chunk changes the digest) and its sha256. */
export function sizedSource (bytes: number): { stream: Readable, digest: () => string } {
  const chunk = randomBytes(256 * 1024)
  const h = createHash('sha256')
  let produced = 0
  const stream = new Readable({
    read () {
      if (produced >= bytes) { this.push(null); return }
      // Vary every chunk so a dropped or repeated chunk changes the digest.
      const c = Buffer.from(chunk)
      c.writeUInt32BE(produced / chunk.byteLength, 0)
      produced += c.byteLength
      h.update(c)
      this.push(c)
    }
  })
  return { stream, digest: () => h.digest('hex') }
}
