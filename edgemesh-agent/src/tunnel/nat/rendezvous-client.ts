import { componentLogger, hasCode, silentLogger } from '@edgemesh/common'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { NatError } from './errors.js'
import { RENDEZVOUS_PROTOCOL, RendezvousResponse, jsonStream } from './protocol.js'
import type { ServerLink, ServerLinks } from './server-link.js'
import type { PeerResolver } from '../types.js'
import type { Logger } from '@edgemesh/common'
import type { Libp2pEvents, PeerId, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface RendezvousClientInit {
  /** This node's name; servers only accept the one our certificate proves. */
  nodeName: string
  /** TTL asked for; we refresh at half of what the server grants. @default 120_000 */
  ttlMs?: number
  /** Per-request deadline. @default 5_000 */
  requestTimeoutMs?: number
  /** @default silent */
  logger?: Logger
}

export interface RendezvousClientComponents {
  links: ServerLinks
  events: TypedEventTarget<Libp2pEvents>
  /** Our current listen + relay addresses, published in the registration. */
  addresses: () => Multiaddr[]
}

export interface ResolvedPeer {
  nodeName: string
  peerId: PeerId
  /** Dialable addresses: its listen addrs and `/p2p-circuit` addrs through relays. */
  addrs: Multiaddr[]
  /** Public endpoints servers saw (NAT mappings): useful for diagnostics, not dialable cold. */
  observedAddrs: Multiaddr[]
}

/**
 * The agent's rendezvous client, a PeerResolver: keeps a registration alive on every reachable
 * server (on link-up, on address change, and every TTL/2) and resolves node names through any of
 * them. A restarted server is re-registered with as soon as its link comes back.
 */
export class RendezvousClient implements PeerResolver {
  private readonly log: Logger
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  private started = false
  private registrations = 0

  constructor (private readonly components: RendezvousClientComponents, private readonly init: RendezvousClientInit) {
    this.log = componentLogger(init.logger ?? silentLogger(), 'nat-rendezvous')
  }

  /** Successful registrations so far (all servers). */
  get registrationCount (): number { return this.registrations }

  start (): void {
    if (this.started) return
    this.started = true
    this.components.links.addEventListener('link:up', this.onLinkUp)
    this.components.events.addEventListener('self:peer:update', this.onSelfUpdate)
    for (const l of this.components.links.links()) this.schedule(l, 0)
  }

  stop (): void {
    if (!this.started) return
    this.started = false
    this.components.links.removeEventListener('link:up', this.onLinkUp)
    this.components.events.removeEventListener('self:peer:update', this.onSelfUpdate)
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }

  /** PeerResolver: undefined when no server knows the node; throws when no server could be asked. */
  async resolve (nodeName: string, signal?: AbortSignal): Promise<ResolvedPeer | undefined> {
    try {
      return await this.lookup(nodeName, { signal })
    } catch (err) {
      if (hasCode(err, 'RENDEZVOUS_NOT_FOUND')) return undefined
      throw err
    }
  }

  /** Like resolve, but a node nobody knows is a RENDEZVOUS_NOT_FOUND error. */
  async lookup (nodeName: string, options: { signal?: AbortSignal } = {}): Promise<ResolvedPeer> {
    const links = this.components.links.links()
    if (links.length === 0) throw new NatError('RENDEZVOUS_UNAVAILABLE', 'no edgemesh-server link is up')
    let notFound = 0
    let last: unknown
    for (const link of links) {
      try {
        const reply = await this.request(link, { type: 'lookup', nodeName }, options.signal)
        if (reply.type === 'record') {
          const r = reply.record
          return { nodeName: r.nodeName, peerId: peerIdFromString(r.peerId), addrs: r.listenAddrs.map(a => multiaddr(a)), observedAddrs: r.observedAddrs.map(a => multiaddr(a)) }
        }
        if (reply.type === 'error' && reply.code === 'RENDEZVOUS_NOT_FOUND') notFound++
        else last = new NatError('RENDEZVOUS_REJECTED', `lookup refused: ${reply.type === 'error' ? reply.message : reply.type}`, { remoteCode: reply.type === 'error' ? reply.code : undefined })
      } catch (err) {
        if (options.signal?.aborted === true) throw err
        last = err
      }
    }
    if (notFound > 0) throw new NatError('RENDEZVOUS_NOT_FOUND', `node "${nodeName}" is not registered with any reachable edgemesh-server`)
    if (hasCode(last, 'RENDEZVOUS_REJECTED')) throw last as Error
    throw new NatError('RENDEZVOUS_UNAVAILABLE', `no edgemesh-server answered the lookup for "${nodeName}"`, { cause: last })
  }

  /** Registers with one server now; resolves with the server-observed addresses. */
  async register (link: ServerLink, signal?: AbortSignal): Promise<{ ttlMs: number, observedAddrs: string[] }> {
    const listenAddrs = this.components.addresses().map(a => a.toString()).slice(0, 32)
    const reply = await this.request(link, { type: 'register', nodeName: this.init.nodeName, listenAddrs, observedAddrs: [], ttlMs: this.init.ttlMs ?? 120_000 }, signal)
    if (reply.type !== 'registered') {
      throw new NatError('RENDEZVOUS_REJECTED', `registration refused by ${link.server.toString()}: ${reply.type === 'error' ? reply.message : reply.type}`, { remoteCode: reply.type === 'error' ? reply.code : undefined })
    }
    this.registrations++
    return { ttlMs: reply.ttlMs, observedAddrs: reply.observedAddrs }
  }

  private readonly onLinkUp = (evt: Event): void => {
    this.schedule((evt as CustomEvent<ServerLink>).detail, 0)
  }

  private readonly onSelfUpdate = (): void => {
    // Our addresses changed (e.g. a relay reservation gave us a circuit address): publish them now.
    for (const l of this.components.links.links()) this.schedule(l, 0)
  }

  private schedule (link: ServerLink, inMs: number): void {
    if (!this.started) return
    const key = link.server.toString()
    const old = this.timers.get(key)
    if (old !== undefined) clearTimeout(old)
    this.timers.set(key, setTimeout(() => { void this.refresh(link) }, inMs))
  }

  private async refresh (link: ServerLink): Promise<void> {
    const key = link.server.toString()
    this.timers.delete(key)
    if (!this.started || link.connection.status !== 'open') return
    let next: number
    try {
      const { ttlMs, observedAddrs } = await this.register(link, AbortSignal.timeout(this.init.requestTimeoutMs ?? 5_000))
      this.log.debug({ server: key, ttlMs, observedAddrs }, 'registered')
      next = ttlMs / 2
    } catch (err) {
      this.log.warn({ err, server: key, code: (err as { code?: string }).code }, 'rendezvous registration failed')
      next = 2_000
    }
    if (this.components.links.links().some(l => l.connection === link.connection)) this.schedule(link, next)
  }

  private async request (link: ServerLink, msg: unknown, signal?: AbortSignal): Promise<RendezvousResponse> {
    const s = AbortSignal.any([AbortSignal.timeout(this.init.requestTimeoutMs ?? 5_000), ...(signal === undefined ? [] : [signal])])
    const stream = await link.connection.newStream(RENDEZVOUS_PROTOCOL, { signal: s })
    try {
      const io = jsonStream(stream, RendezvousResponse)
      await io.write(msg, { signal: s })
      const reply = await io.read({ signal: s })
      await stream.close({ signal: s }).catch(() => {})
      return reply
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }
}
