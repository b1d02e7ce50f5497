import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import type { Logger } from '@edgemesh/common'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { MeshRelayGate } from '@edgemesh/mesh'
import type { PeerId } from '@libp2p/interface'

export interface RelayInit {
  /** Upper bound on simultaneous reservations (one per agent). @default 1024 */
  maxReservations?: number
  /** Reservation lifetime; clients refresh before it ends. @default 7_200_000 */
  reservationTtlMs?: number
  /** Per relayed connection byte limit; 0 = unlimited (mesh traffic is long-lived bulk TCP). @default 0 */
  dataLimitBytes?: number
  /** Per relayed connection duration limit; 0 = unlimited. @default 0 */
  durationLimitMs?: number
  /** Upper bound on concurrent inbound hop streams. @default 4096 */
  maxInboundHopStreams?: number
}


export type RelayRefusal = 'unauthenticated' | 'full' | 'relay-unauthenticated'

export interface RelayGateComponents {
  /** The mesh relay gate (`meshRelayGate`): the one place that decides on authentication. */
  gater: MeshRelayGate
  logger: Logger
  /** Counts refusals by reason; the metric carries the code RELAY_NO_RESERVATION. */
  onRefused?: (reason: RelayRefusal) => void
  /** The running relay, to refuse early (and log why) when the table is full. */
  relay?: () => CircuitRelayService | undefined
}

/** circuit-relay-v2 server with the stock 128 KiB / 2 min limits lifted (unless configured). */
export function relayService (init: RelayInit = {}): ReturnType<typeof circuitRelayServer> {
  const data = init.dataLimitBytes ?? 0
  const duration = init.durationLimitMs ?? 0
  const limited = data > 0 || duration > 0
  return circuitRelayServer({
    maxInboundHopStreams: init.maxInboundHopStreams ?? 4096,
    reservations: {
      maxReservations: init.maxReservations ?? 1024,
      reservationTtl: init.reservationTtlMs ?? 7_200_000,
      // applyDefaultLimit=false makes relayed connections unlimited; with a limit configured we
      // apply it, using a practically-infinite value for the dimension left at 0.
      applyDefaultLimit: limited,
      ...(limited ? { defaultDataLimit: BigInt(data > 0 ? data : Number.MAX_SAFE_INTEGER), defaultDurationLimit: duration > 0 ? duration : 2 ** 31 - 1 } : {})
    }
  })
}

/**
 * Reservation gate: wraps the mesh gater's relay hooks (which wait for, and require, a proven cluster
 * certificate) with what only the server knows: its reservation table limit, a log line and a metric
 * per refusal. Plugs into libp2p's ConnectionGater in place of the mesh hooks it wraps.
 */
export function relayGate (init: RelayInit, components: RelayGateComponents): MeshRelayGate {
  const log = components.logger
  const max = init.maxReservations ?? 1024
  const { gater } = components
  return {
    async denyInboundRelayReservation (peer: PeerId): Promise<boolean> {
      if (await gater.denyInboundRelayReservation(peer)) {
        log.warn({ code: 'RELAY_NO_RESERVATION', peer: peer.toString(), reason: 'unauthenticated' }, 'relay reservation refused')
        components.onRefused?.('unauthenticated')
        return true
      }
      const relay = components.relay?.()
      if (relay !== undefined && relay.reservations.size >= max && !relay.reservations.has(peer)) {
        log.warn({ code: 'RELAY_NO_RESERVATION', peer: peer.toString(), reason: 'full', max }, 'relay reservation refused')
        components.onRefused?.('full')
        return true
      }
      return false
    },
    async denyOutboundRelayedConnection (source: PeerId, target: PeerId): Promise<boolean> {
      const deny = await gater.denyOutboundRelayedConnection(source, target)
      if (deny) {
        log.warn({ code: 'RELAY_NO_RESERVATION', source: source.toString(), target: target.toString(), reason: 'relay-unauthenticated' }, 'relayed connection refused')
        components.onRefused?.('relay-unauthenticated')
      }
      return deny
    }
  }
}
