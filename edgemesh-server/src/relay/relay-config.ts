import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { waitForAuthorization } from '../auth.js'
import type { PeerAuthorizer } from '../auth.js'
import type { Logger } from '@edgemesh/common'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

export interface RelayInit {
  /** Upper bound on simultaneous reservations (one per agent). @default 1024 */
  maxReservations?: number
  /** Reservation lifetime; clients refresh before it ends. @default 7_200_000 */
  reservationTtlMs?: number
  /** Per relayed connection byte limit; 0 = unlimited (mesh traffic is long-lived bulk TCP). @default 0 */
  dataLimitBytes?: number
  /** Per relayed connection duration limit; 0 = unlimited. @default 0 */
  durationLimitMs?: number
  /** How long a reservation request waits for the peer's certificate exchange to finish. @default 5_000 */
  authWaitMs?: number
  /** Upper bound on concurrent inbound hop streams. @default 4096 */
  maxInboundHopStreams?: number
}

export interface RelayGateComponents {
  auth: PeerAuthorizer
  logger: Logger
  /** Counts refusals by reason; the metric carries the code RELAY_NO_RESERVATION. */
  onRefused?: (reason: 'unauthenticated' | 'full' | 'relay-unauthenticated') => void
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
 * Reservation gate: only peers that proved a cluster certificate get a reservation, and relayed
 * connections are only built between authenticated peers. Plugs into libp2p's ConnectionGater.
 */
export function relayGate (init: RelayInit, components: RelayGateComponents): Pick<ConnectionGater, 'denyInboundRelayReservation' | 'denyOutboundRelayedConnection'> {
  const log = components.logger
  const waitMs = init.authWaitMs ?? 5_000
  const max = init.maxReservations ?? 1024
  return {
    async denyInboundRelayReservation (peer: PeerId): Promise<boolean> {
      if (!await waitForAuthorization(components.auth, peer, waitMs)) {
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
      const ok = await waitForAuthorization(components.auth, source, waitMs) && components.auth.isAuthorized(target)
      if (!ok) {
        log.warn({ code: 'RELAY_NO_RESERVATION', source: source.toString(), target: target.toString(), reason: 'relay-unauthenticated' }, 'relayed connection refused')
        components.onRefused?.('relay-unauthenticated')
      }
      return !ok
    }
  }
}
