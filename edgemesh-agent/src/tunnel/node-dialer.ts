import type { AbortOptions, Connection, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { silentLogger, sleep, type Logger } from '@edgemesh/common'
import { IdentityError } from '@edgemesh/mesh'
import type { MeshAuth } from '@edgemesh/mesh'
import { TunnelError } from './errors.js'
import { SharedAttempts } from './shared-attempt.js'
import type { PathKind, PeerMetrics, PeerResolver, Puncher } from './types.js'

export interface StaticPeer {
  peerId: string
  addrs: string[]
}

/** Data only: the dialer's dependencies are its Components. */
export interface NodeDialerInit {
  /** Relay multiaddrs, each ending in /p2p/<relay peer id>. @default [] */
  relays?: Array<string | Multiaddr>
  /** Fixed node name → peer mapping (tests, small static meshes). @default {} */
  staticPeers?: Record<string, StaticPeer>
  /** Budget for dialling the advertised addresses before falling back to relays. @default 3000 */
  directDialTimeoutMs?: number
  /** Budget per relay dial. @default 10000 */
  relayDialTimeoutMs?: number
  /** How long to wait for the certificate exchange on a fresh connection. @default 5000 */
  authTimeoutMs?: number
  /** First punch retry delay; doubles up to `punchMaxBackoffMs`, with ±50 % jitter. @default 1000 */
  punchInitialBackoffMs?: number
  /** @default 60000 */
  punchMaxBackoffMs?: number
  /** @default 5 */
  punchMaxAttempts?: number
}

export interface NodeDialerComponents {
  connectionManager: {
    openConnection: (peer: PeerId | Multiaddr | Multiaddr[], options?: AbortOptions) => Promise<Connection>
    getConnections: (peerId?: PeerId) => Connection[]
  }
  auth: Pick<MeshAuth, 'peerIdOf' | 'waitForAuth'>
  /** Resolves node names to peers (rendezvous). Consulted after the static peers. @default none */
  resolver?: PeerResolver
  /** Punches direct connections in the background while a peer is only reachable through a relay. @default none */
  puncher?: Puncher
  /** Runtime node name → peer mapping, consulted before `init.staticPeers` (the tunnel's `setStaticPeer`). @default none */
  staticPeers?: ReadonlyMap<string, StaticPeer>
  /** @default silent */
  logger?: Logger
}

interface PeerState {
  nodeName: string
  peerId: PeerId
  bytesIn: number
  bytesOut: number
  streams: number
  punching?: AbortController
}

export function isRelayed (c: Connection): boolean {
  return c.remoteAddr.toString().includes('/p2p-circuit')
}

/**
 * Dials mesh nodes by name: turns a node name into an authenticated libp2p connection — direct dial
 * of the advertised addresses (short budget) → a relay at once → a hole punch in the background with
 * exponential backoff. New streams always go to the best open connection (punched/direct before
 * relayed). Not libp2p's connection manager: it sits on top of it.
 */
export class NodeDialer {
  private readonly c: NodeDialerComponents
  private readonly init: NodeDialerInit
  private readonly log: Logger
  private readonly peers = new Map<string, PeerState>()
  /** One establish() per node name, shared by every caller that wants it while it runs. */
  private readonly dialing = new SharedAttempts<Connection>()
  private readonly punched = new Set<string>()
  private readonly stopController = new AbortController()
  private stopped = false

  constructor (components: NodeDialerComponents, init: NodeDialerInit = {}) {
    this.c = components
    this.init = init
    this.log = (components.logger ?? silentLogger()).child({ component: 'node-dialer' })
  }

  /** Aborts running dials and punches; a stopped dialer is not restarted (the tunnel builds a new one per start). */
  stop (): void {
    this.stopped = true
    this.stopController.abort()
    this.dialing.abortAll(new TunnelError('MESH_NOT_STARTED', 'the tunnel stopped while dialling'))
    for (const s of this.peers.values()) s.punching?.abort()
  }

  /** The best open connection to `peerId`: punched/direct first, then relayed. */
  bestConnection (peerId: PeerId): Connection | undefined {
    const open = this.c.connectionManager.getConnections(peerId).filter(c => c.status === 'open')
    return open.find(c => !isRelayed(c)) ?? open[0]
  }

  pathOf (c: Connection): PathKind {
    if (isRelayed(c)) return 'relay'
    return this.punched.has(c.id) ? 'punched' : 'direct'
  }

  /** Returns an authenticated connection to the node, establishing one if needed. */
  async connect (nodeName: string, signal: AbortSignal): Promise<Connection> {
    if (this.stopped) throw new TunnelError('MESH_NOT_STARTED', 'the tunnel is stopped')
    const known = this.c.auth.peerIdOf(nodeName)
    if (known !== undefined) {
      const c = this.bestConnection(known)
      if (c !== undefined) return c
    }
    // The dial runs on its own signal, not the first caller's: one caller giving up must not fail the
    // others; stop() aborts it through abortAll.
    return await this.dialing.join(nodeName, async (own) => await this.establish(nodeName, own), signal)
  }

  private async lookup (nodeName: string, signal: AbortSignal): Promise<{ peerId: PeerId, addrs: Multiaddr[] }> {
    const s = this.c.staticPeers?.get(nodeName) ?? this.init.staticPeers?.[nodeName]
    if (s !== undefined) return { peerId: peerIdFromString(s.peerId), addrs: s.addrs.map(a => multiaddr(a)) }
    const r = await this.c.resolver?.resolve(nodeName, signal)
    if (r === undefined) throw new TunnelError('MESH_PEER_UNKNOWN', `no peer known for node "${nodeName}"`)
    return r
  }

  private async establish (nodeName: string, signal: AbortSignal): Promise<Connection> {
    const { peerId, addrs } = await this.lookup(nodeName, signal)
    let conn = this.bestConnection(peerId)
    const errors: unknown[] = []
    const direct = addrs.filter(a => !a.toString().includes('/p2p-circuit')).map(a => withPeer(a, peerId))
    if (conn === undefined && direct.length > 0) {
      try {
        conn = await this.c.connectionManager.openConnection(direct, { signal: AbortSignal.any([signal, AbortSignal.timeout(this.init.directDialTimeoutMs ?? 3000)]) })
      } catch (err) {
        errors.push(err)
        this.log.debug({ nodeName, err }, 'direct dial failed, trying relays')
      }
    }
    if (conn === undefined) {
      for (const relay of this.init.relays ?? []) {
        const addr = multiaddr(`${relay.toString()}/p2p-circuit/p2p/${peerId.toString()}`)
        try {
          conn = await this.c.connectionManager.openConnection(addr, { signal: AbortSignal.any([signal, AbortSignal.timeout(this.init.relayDialTimeoutMs ?? 10_000)]) })
          break
        } catch (err) {
          errors.push(err)
          this.log.debug({ nodeName, relay: relay.toString(), err }, 'relay dial failed')
        }
      }
    }
    if (conn === undefined) {
      throw new TunnelError('MESH_PEER_UNREACHABLE', `cannot reach node "${nodeName}" (${peerId.toString()}) directly or through ${(this.init.relays ?? []).length} relay(s)`, { cause: errors.at(-1) })
    }
    const authMs = this.init.authTimeoutMs ?? 5000
    const authBudget = AbortSignal.timeout(authMs)
    const proven = await this.c.auth.waitForAuth(peerId, AbortSignal.any([signal, authBudget])).catch((err: unknown) => {
      // The budget is a timeout, not the caller's abort: report it as one.
      if (authBudget.aborted && !signal.aborted) throw new IdentityError('AUTH_TIMEOUT', `node "${nodeName}" did not complete the certificate exchange within ${authMs} ms`, { cause: err })
      throw err
    })
    if (proven !== nodeName) {
      // The peer is authentic but is somebody else: stale rendezvous data or a resolver lying.
      throw new TunnelError('MESH_PEER_UNKNOWN', `peer ${peerId.toString()} is node "${proven}", not "${nodeName}"`)
    }
    this.state(nodeName, peerId)
    if (isRelayed(conn)) this.startPunching(nodeName, peerId)
    this.log.info({ nodeName, peer: peerId.toString(), path: this.pathOf(conn) }, 'peer connected')
    return conn
  }

  private state (nodeName: string, peerId: PeerId): PeerState {
    let s = this.peers.get(nodeName)
    if (s === undefined || !s.peerId.equals(peerId)) {
      s?.punching?.abort()
      s = { nodeName, peerId, bytesIn: 0, bytesOut: 0, streams: 0 }
      this.peers.set(nodeName, s)
    }
    return s
  }

  private startPunching (nodeName: string, peerId: PeerId): void {
    const puncher = this.c.puncher
    const s = this.state(nodeName, peerId)
    if (puncher === undefined || s.punching !== undefined || this.stopped) return
    const ac = new AbortController()
    s.punching = ac
    const signal = AbortSignal.any([ac.signal, this.stopController.signal])
    const run = async (): Promise<void> => {
      let backoff = this.init.punchInitialBackoffMs ?? 1000
      const max = this.init.punchMaxBackoffMs ?? 60_000
      const attempts = this.init.punchMaxAttempts ?? 5
      for (let i = 0; i < attempts && !signal.aborted; i++) {
        const existing = this.bestConnection(peerId)
        if (existing !== undefined && !isRelayed(existing)) return
        try {
          const c = await puncher.punch(nodeName, peerId, signal)
          this.punched.add(c.id)
          c.addEventListener('close', () => this.punched.delete(c.id), { once: true })
          this.log.info({ nodeName, attempt: i + 1 }, 'hole punch succeeded; new streams go direct')
          return
        } catch (err) {
          if (signal.aborted) return
          this.log.debug({ nodeName, attempt: i + 1, err }, 'hole punch failed')
        }
        await sleep(backoff * (0.5 + Math.random()), signal).catch(() => {})
        backoff = Math.min(max, backoff * 2)
      }
    }
    run().catch(() => {}).finally(() => { if (s.punching === ac) s.punching = undefined })
  }

  /** Book-keeping hooks for the tunnel service. */
  track (nodeName: string, peerId: PeerId): { bytesIn: (n: number) => void, bytesOut: (n: number) => void, opened: () => void, closed: () => void } {
    const s = this.state(nodeName, peerId)
    return {
      bytesIn: (n) => { s.bytesIn += n },
      bytesOut: (n) => { s.bytesOut += n },
      opened: () => { s.streams++ },
      closed: () => { s.streams = Math.max(0, s.streams - 1) }
    }
  }

  metrics (): PeerMetrics[] {
    return [...this.peers.values()].map(s => {
      const c = this.bestConnection(s.peerId)
      return {
        nodeName: s.nodeName,
        peerId: s.peerId.toString(),
        path: c === undefined ? 'none' : this.pathOf(c),
        rttMs: c?.rtt,
        bytesIn: s.bytesIn,
        bytesOut: s.bytesOut,
        streams: s.streams
      }
    })
  }
}

function withPeer (a: Multiaddr, peerId: PeerId): Multiaddr {
  return a.getComponents().some(c => c.name === 'p2p') ? a : a.encapsulate(`/p2p/${peerId.toString()}`)
}
