import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayServerInit, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { identify, type Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey, ServiceMap } from '@libp2p/interface'
import { ping, type Ping } from '@libp2p/ping'
import { pskProtector } from './psk.js'
import { createLibp2p, type ServiceFactoryMap } from 'libp2p'
import type { Logger } from '@edgemesh/common'
import { meshAuth, meshConnectionGater, type MeshAuth, type MeshAuthInit } from '@edgemesh/mesh'
import { coalescingTcp } from './coalescing-tcp.js'
import { tunnelService, type TunnelService, type TunnelServiceInit } from './tunnel-service.js'

export interface MeshNodeInit<T extends ServiceMap = Record<string, never>> {
  /** The node's libp2p key (from loadOrCreatePeerKey). */
  privateKey: PrivateKey
  /** @default ['/ip4/0.0.0.0/tcp/0'] */
  listen?: string[]
  /** Addresses to announce instead of the listen addresses (e.g. a public IP). @default listen addresses */
  announce?: string[]
  /**
   * Relays to keep a reservation on (each `/ip4/…/tcp/…/p2p/<relay>`), so peers can reach this node
   * through `<relay>/p2p-circuit/p2p/<self>`. Also used by the tunnel to dial peers through. @default []
   */
  relays?: string[]
  /** Certificate exchange settings. */
  auth: MeshAuthInit
  /** Tunnel settings; `nodeName` defaults to `auth.nodeName`, `relays` to the ones above. */
  tunnel?: Partial<TunnelServiceInit>
  /** Run a circuit-relay-v2 server too (edgemesh-server, tests). Reservations still require authentication. @default off */
  relayServer?: CircuitRelayServerInit
  /**
   * Optional private-network pre-shared key (libp2p pnet key file bytes, `/key/swarm/psk/1.0.0/` format, see
   * `generateKey` from @libp2p/pnet). Peers without it cannot even complete the TCP upgrade: an extra fence
   * in front of the certificate exchange. @default none
   */
  psk?: Uint8Array
  /** @default 1024 */
  maxConnections?: number
  /** Keepalive ping interval; the RTT shows up in tunnel metrics. @default 10000 */
  pingIntervalMs?: number
  /** Extra libp2p services, merged after the mesh ones (so they may use `components.auth`). */
  services?: ServiceFactoryMap<T>
  logger?: Logger
}

export interface MeshServices {
  identify: Identify
  ping: Ping
  auth: MeshAuth
  tunnel: TunnelService
}

export type MeshNode<T extends ServiceMap = Record<string, never>> = Libp2p<MeshServices & T & { relay?: CircuitRelayService }>

/**
 * Builds a mesh libp2p node: TCP + Noise + yamux, identify, ping keepalive, circuit-relay-v2 client,
 * the auth service and the tunnel service, behind a gater that refuses recently-failed peers and
 * unauthenticated relay use. Started on return.
 */
export async function createMeshNode<T extends ServiceMap = Record<string, never>> (init: MeshNodeInit<T>): Promise<MeshNode<T>> {
  const holder: { auth?: MeshAuth } = {}
  const relays = init.relays ?? []
  const logger = init.logger ?? init.auth.logger
  const services: Record<string, unknown> = {
    identify: identify(),
    ping: ping(),
    auth: meshAuth({ ...init.auth, logger }),
    tunnel: tunnelService({ nodeName: init.auth.nodeName, relays, logger, ...init.tunnel }),
    ...(init.relayServer !== undefined ? { relay: circuitRelayServer(init.relayServer) } : {}),
    ...init.services
  }
  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: {
      listen: [...(init.listen ?? ['/ip4/0.0.0.0/tcp/0']), ...relays.map(r => `${r}/p2p-circuit`)],
      ...(init.announce !== undefined ? { announce: init.announce } : {})
    },
    transports: [coalescingTcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    // yamux grants window on receipt, not on consumption, so a paused stream can still be sent a whole
    // window. The default window (16 MiB) exceeds the 4 MiB read-buffer cap and a slow consumer gets its
    // stream reset; a 2 MiB window keeps backpressure lossless.
    streamMuxers: [yamux({ maxInboundStreams: 8192, maxOutboundStreams: 8192, streamOptions: { maxStreamWindowSize: 2 * 1024 * 1024 } })],
    connectionGater: meshConnectionGater(() => holder.auth),
    ...(init.psk !== undefined ? { connectionProtector: pskProtector({ psk: init.psk }) } : {}),
    connectionManager: {
      maxConnections: init.maxConnections ?? 1024,
      // Agents behind one NAT share a source IP; the default of 5/s would drop legitimate bursts.
      inboundConnectionThreshold: 100
    },
    // A saturated connection can delay a ping past the next interval; libp2p then fails to open a second
    // ping stream (limit 1) and, by default, aborts the whole connection with every tunnel on it. RTT
    // measurement stays; dead-peer detection is left to yamux keepalive and TCP.
    connectionMonitor: { pingInterval: init.pingIntervalMs ?? 10_000, abortConnectionOnPingFailure: false },
    services: services as ServiceFactoryMap<MeshServices & T & { relay?: CircuitRelayService }>,
    start: false
  })
  holder.auth = node.services.auth
  await node.start()
  return node
}
