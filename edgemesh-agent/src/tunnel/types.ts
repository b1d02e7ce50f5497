import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Where a peer can be dialled. Implemented by the rendezvous client (tunnel/nat/) or by static config. */
export interface PeerResolver {
  /** Resolves a node name to its peer id and advertised addresses; undefined when unknown. */
  resolve: (nodeName: string, signal: AbortSignal) => Promise<{ peerId: PeerId, addrs: Multiaddr[] } | undefined>
}

/** Establishes a direct connection through NATs (server-coordinated TCP simultaneous open). */
export interface Puncher {
  /** Resolves with a libp2p connection (already upgraded) to `peerId`, or rejects. */
  punch: (nodeName: string, peerId: PeerId, signal: AbortSignal) => Promise<Connection>
}

export interface TunnelTarget {
  ip: string
  port: number
}

/**
 * Decides which targets a peer may reach through this node. In the mesh: the endpoints of known
 * Services that live on this node. The default policy denies everything.
 */
export interface TargetPolicy {
  allow: (peerNodeName: string, target: TunnelTarget & { protocol: 'tcp' | 'udp' }) => boolean | Promise<boolean>
}

export type PathKind = 'direct' | 'relay' | 'punched'

export interface PeerMetrics {
  nodeName: string
  peerId: string
  path: PathKind | 'none'
  rttMs: number | undefined
  bytesIn: number
  bytesOut: number
  /** Tunnel streams currently open to or from this peer. */
  streams: number
}

export const denyAllPolicy: TargetPolicy = { allow: () => false }
