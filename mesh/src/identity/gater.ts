import { authorizedWithin } from './authorizer.js'
import type { PeerAuthorizer } from './authorizer.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

export interface MeshGaterInit {
  /** How long a relay reservation or relayed connection request may wait for the peers' certificate exchange. @default 5000 */
  reservationAuthWaitMs?: number
}

/** The auth service as the gater sees it (`MeshAuth` satisfies it). */
export interface GaterAuthorizer extends PeerAuthorizer {
  recentFailure: (peerId: PeerId) => { code: string, message: string } | undefined
}

/** The relay hooks of a ConnectionGater, both present. */
export type MeshRelayGate = Required<Pick<ConnectionGater, 'denyInboundRelayReservation' | 'denyOutboundRelayedConnection'>>

/**
 * The one relay gate of the mesh: relay reservations and relayed connections require peers that
 * proved a cluster certificate, waiting (bounded, on the auth event) for an exchange still running.
 * edgemesh-server wraps these hooks for metrics and its table limit (`relayGate`) instead of deciding
 * on its own. `getAuth` is late-bound because libp2p builds the gater before its services.
 */
export function meshRelayGate (getAuth: () => GaterAuthorizer | undefined, init: MeshGaterInit = {}): MeshRelayGate {
  const waitMs = init.reservationAuthWaitMs ?? 5000
  // A client asks for its reservation right after connecting, usually while the exchange is still running.
  const authorized = async (peer: PeerId): Promise<boolean> => await authorizedWithin(getAuth(), peer, waitMs)
  return {
    denyInboundRelayReservation: async (source) => !(await authorized(source)),
    denyOutboundRelayedConnection: async (source, destination) => {
      const [s, d] = await Promise.all([authorized(source), authorized(destination)])
      return !s || !d
    }
  }
}

/**
 * A ConnectionGater enforcing mesh identity: peers that recently failed authentication are refused at
 * the encryption stage, and the relay hooks are `meshRelayGate`'s.
 */
export function meshConnectionGater (getAuth: () => GaterAuthorizer | undefined, init: MeshGaterInit = {}): ConnectionGater {
  const failed = (peer: PeerId): boolean => getAuth()?.recentFailure(peer) !== undefined
  return {
    denyInboundEncryptedConnection: (peer) => failed(peer),
    denyOutboundEncryptedConnection: (peer) => failed(peer),
    ...meshRelayGate(getAuth, init)
  }
}

/** For the relay server: true when `peerId` has proven a node certificate on `auth`. */
export function isAuthorized (auth: PeerAuthorizer, peerId: PeerId): boolean {
  return auth.isAuthorized(peerId)
}
