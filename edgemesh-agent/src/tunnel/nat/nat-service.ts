import { PunchService } from './punch-service.js'
import { RendezvousClient } from './rendezvous-client.js'
import { multiaddr } from '@multiformats/multiaddr'
import { ServerLinks } from './server-link.js'
import type { PunchServiceInit, PunchServiceComponents, PunchStats } from './punch-service.js'
import type { RendezvousClientInit, ResolvedPeer } from './rendezvous-client.js'
import type { ServerLink, ServerLinksInit } from './server-link.js'
import type { UpgradeComponents } from './upgrade.js'
import type { PeerResolver, Puncher } from '../types.js'
import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface NatTraversalInit extends ServerLinksInit, RendezvousClientInit, Omit<PunchServiceInit, 'logger'> {
  /**
   * After a server link comes back (server restart), take a new relay reservation on that server if
   * we hold none: circuit-relay-v2's transport drops a configured relay's addresses when the relay
   * goes away and never re-reserves on its own. @default true
   */
  restoreRelayReservations?: boolean
}

/** The libp2p internal components the NAT service needs (all present in a libp2p 3 node). */
export interface NatTraversalComponents extends UpgradeComponents {
  registrar: PunchServiceComponents['registrar']
  addressManager: { getAddresses: () => Multiaddr[] }
  transportManager: { listen: (addrs: Multiaddr[]) => Promise<void> }
}

/**
 * One libp2p service bundling the agent's NAT traversal: fixed-port links to every edgemesh-server,
 * the rendezvous client (a PeerResolver) and the hole puncher (a Puncher). Register it as
 * `services: { nat: natTraversal({ nodeName, servers, localPort }) }`.
 */
export class NatTraversal implements PeerResolver, Puncher {
  readonly links: ServerLinks
  readonly rendezvous: RendezvousClient
  readonly puncher: PunchService
  private started = false
  private readonly seen = new Set<string>()

  constructor (private readonly components: NatTraversalComponents, private readonly init: NatTraversalInit) {
    // libp2p's components object is a Proxy that throws on unknown keys, so never spread it; getters
    // also keep late-bound components (upgrader) resolvable.
    const upgradeComponents: UpgradeComponents = {
      get peerId () { return components.peerId },
      get upgrader () { return components.upgrader },
      get events () { return components.events },
      get logger () { return components.logger }
    }
    const links = this.links = new ServerLinks(upgradeComponents, init)
    this.rendezvous = new RendezvousClient({ links, events: components.events, addresses: () => components.addressManager.getAddresses() }, init)
    this.puncher = new PunchService({
      get peerId () { return components.peerId },
      get upgrader () { return components.upgrader },
      get events () { return components.events },
      get logger () { return components.logger },
      get registrar () { return components.registrar },
      links
    }, init)
  }

  readonly [Symbol.toStringTag] = '@edgemesh/nat-traversal'

  isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    if (this.started) return
    await this.puncher.start()
    this.rendezvous.start()
    this.links.addEventListener('link:up', this.onLinkUp)
    this.started = true
  }

  /** Links are dialled once the node is fully started (the upgrader needs the transports and muxers). */
  async afterStart (): Promise<void> {
    await this.links.start()
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.links.removeEventListener('link:up', this.onLinkUp)
    this.rendezvous.stop()
    await this.links.stop()
    await this.puncher.stop()
  }

  async resolve (nodeName: string, signal?: AbortSignal): Promise<ResolvedPeer | undefined> {
    return await this.rendezvous.resolve(nodeName, signal)
  }

  async punch (nodeName: string, peerId: PeerId | undefined, signal?: AbortSignal): Promise<Connection> {
    return await this.puncher.punch(nodeName, peerId, signal)
  }

  stats (): PunchStats { return this.puncher.stats() }

  private readonly onLinkUp = (evt: Event): void => {
    const link = (evt as CustomEvent<ServerLink>).detail
    const key = link.server.toString()
    const first = !this.seen.has(key)
    this.seen.add(key)
    if (first || this.init.restoreRelayReservations === false) return
    const circuit = this.components.addressManager.getAddresses().some(a => a.toString().includes(`/p2p/${key}/p2p-circuit`))
    if (circuit) return
    const addr = this.init.servers.find(s => s.endsWith(`/p2p/${key}`))
    if (addr === undefined) return
    // The relay dial reuses the link we just opened (libp2p prefers an existing connection).
    this.components.transportManager.listen([multiaddr(`${addr}/p2p-circuit`)]).catch(() => {})
  }
}

export function natTraversal (init: NatTraversalInit): (components: NatTraversalComponents) => NatTraversal {
  return (components) => new NatTraversal(components, init)
}
