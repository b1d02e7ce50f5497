import { readFile, access } from 'node:fs/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { componentLogger, MetricsRegistry, silentLogger } from '@edgemesh/common'
import { loadOrCreatePeerKey, meshAuth, meshConnectionGater, meshRelayGate } from '@edgemesh/mesh'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { defaultDataDir } from './config.js'
import { ServerError } from './errors.js'
import { punchCoordinator } from './hole-punch/coordinator.js'
import { HealthServer } from './http-server.js'
import { relayGate, relayService } from './relay/relay-config.js'
import { rendezvousServer } from './rendezvous/rendezvous-service.js'
import { RendezvousTable } from './rendezvous/rendezvous-table.js'
import type { ServerConfig } from './config.js'
import type { PunchCoordinator } from './hole-punch/coordinator.js'
import type { RendezvousServer } from './rendezvous/rendezvous-service.js'
import type { Logger, Startable } from '@edgemesh/common'
import type { MeshAuth } from '@edgemesh/mesh'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface EdgeMeshServerComponents {
  /** @default silent */
  logger?: Logger
  /** The process's metrics registry, served on the health port's /metrics. @default a new one */
  metrics?: MetricsRegistry
}

// A type alias (not an interface) so it satisfies libp2p's indexed ServiceMap constraint.
export type ServerServices = {
  identify: Identify
  ping: Ping
  auth: MeshAuth
  relay: CircuitRelayService
  rendezvous: RendezvousServer
  punch: PunchCoordinator
}

/** edgemesh-server: relay + rendezvous + hole-punch coordinator on one libp2p host, plus the health/metrics port. */
export class EdgeMeshServer implements Startable {
  readonly metrics: MetricsRegistry
  private node?: Libp2p<ServerServices>
  private health?: HealthServer
  private readonly log: Logger
  private startPromise?: Promise<void>

  constructor (private readonly config: ServerConfig, components: EdgeMeshServerComponents = {}) {
    this.log = componentLogger(components.logger ?? silentLogger(), 'edgemesh-server')
    this.metrics = components.metrics ?? new MetricsRegistry()
    // Once per server, not per start: the registry outlives restarts.
    const reservations = this.metrics.gauge('edgemesh_server_relay_reservations', { help: 'Live relay reservations' })
    const connections = this.metrics.gauge('edgemesh_server_connections', { help: 'Open libp2p connections' })
    const authenticated = this.metrics.gauge('edgemesh_server_authenticated_peers', { help: 'Peers that proved a cluster certificate' })
    this.metrics.onCollect(() => {
      const node = this.node
      if (node === undefined) return
      reservations.set(node.services.relay.reservations.size)
      connections.set(node.getConnections().length)
      authenticated.set(node.services.auth.authenticatedPeers().length)
    })
  }

  get libp2p (): Libp2p<ServerServices> {
    if (this.node === undefined) throw new ServerError('SERVER_NOT_STARTED', 'edgemesh-server is not started')
    return this.node
  }

  get peerId (): PeerId { return this.libp2p.peerId }

  getMultiaddrs (): Multiaddr[] { return this.libp2p.getMultiaddrs() }

  get httpPort (): number { return this.health?.port ?? 0 }

  isStarted (): boolean { return this.node !== undefined }

  async start (): Promise<void> {
    this.startPromise ??= this.doStart().catch(async err => { this.startPromise = undefined; await this.stop(); throw err })
    await this.startPromise
  }

  async stop (): Promise<void> {
    // A start still running would otherwise set up the node after we looked and leave it running.
    const starting = this.startPromise
    this.startPromise = undefined
    await starting?.catch(() => {})
    const node = this.node
    const health = this.health
    this.node = undefined
    this.health = undefined
    this.startPromise = undefined
    await health?.stop()
    await node?.stop()
  }

  private async doStart (): Promise<void> {
    const cfg = this.config
    const dataDir = cfg.dataDir ?? defaultDataDir()
    const key = await loadOrCreatePeerKey(dataDir)
    let certPem: string, caPem: string
    try {
      certPem = await readFile(cfg.identity.certFile, 'utf8')
      caPem = await readFile(cfg.identity.caFile, 'utf8')
      if (cfg.identity.keyFile !== undefined) await access(cfg.identity.keyFile)
    } catch (err) {
      throw new ServerError('SERVER_IDENTITY_INVALID', `cannot read server identity files: ${(err as Error).message}`, { cause: err })
    }
    // libp2p builds the gater before its services, so it reaches them late through this holder.
    const holder: { auth?: MeshAuth, relay?: CircuitRelayService } = {}
    const limits = cfg.limits
    const refused = this.metrics.counter('edgemesh_server_relay_refused_total', { help: 'Relay reservations/connections refused (code RELAY_NO_RESERVATION) by reason', labelNames: ['reason', 'code'] })
    const table = new RendezvousTable({ maxEntries: limits.maxRegistrations })
    const relayInit = {
      maxReservations: limits.maxReservations,
      reservationTtlMs: limits.reservationTtlMs,
      dataLimitBytes: limits.relayDataLimitBytes,
      durationLimitMs: limits.relayDurationLimitMs
    }
    const getAuth = (): MeshAuth | undefined => holder.auth
    const gaterInit = { reservationAuthWaitMs: limits.authWaitMs }
    const logger = this.log
    const node = await createLibp2p({
      privateKey: key.privateKey,
      addresses: { listen: cfg.listen, ...(cfg.announce.length > 0 ? { announce: cfg.announce } : {}) },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux({ maxInboundStreams: 8192, maxOutboundStreams: 8192 })],
      connectionGater: {
        ...meshConnectionGater(getAuth, gaterInit),
        // The mesh relay gate decides who may use the relay; relayGate wraps it with the table limit, logs and metrics.
        ...relayGate(relayInit, { gater: meshRelayGate(getAuth, gaterInit), logger, relay: () => holder.relay, onRefused: reason => { refused.inc({ reason, code: 'RELAY_NO_RESERVATION' }) } })
      },
      connectionManager: {
        maxConnections: limits.maxConnections,
        // Many agents share one NAT address; the stock 5 inbound/s per IP would drop a site's reconnect storm.
        inboundConnectionThreshold: 100
      },
      services: {
        identify: identify(),
        ping: ping(),
        auth: meshAuth({ nodeName: cfg.nodeName, certPem, caPem, logger, timeoutMs: limits.authWaitMs }),
        relay: relayService(relayInit),
        rendezvous: rendezvousServer({ ttlMs: limits.rendezvousTtlMs, authWaitMs: limits.authWaitMs, maxEntries: limits.maxRegistrations }, { logger, metrics: this.metrics, table }),
        punch: punchCoordinator({ startDelayMs: limits.punchStartDelayMs, authWaitMs: limits.authWaitMs }, { logger, metrics: this.metrics, table })
      },
      start: false
    })
    holder.auth = node.services.auth
    holder.relay = node.services.relay
    await node.start()
    this.node = node
    const health = new HealthServer({ metrics: this.metrics, ready: () => this.node !== undefined }, cfg.http)
    await health.start()
    this.health = health
    this.log.info({ peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String), http: health.port }, 'edgemesh-server started')
  }
}

export function createEdgeMeshServer (config: ServerConfig, components: EdgeMeshServerComponents = {}): EdgeMeshServer {
  return new EdgeMeshServer(config, components)
}
