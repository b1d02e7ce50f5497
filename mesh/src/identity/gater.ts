import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { MeshAuth } from './mesh-auth.js'

export interface MeshGaterInit {
  /** How long a relay reservation request may wait for the requester's certificate exchange. @default 5000 */
  reservationAuthWaitMs?: number
}

/**
 * A ConnectionGater enforcing mesh identity: peers that recently failed authentication are refused at
 * the encryption stage, relay reservations and relayed connections require authenticated peers.
 * `getAuth` is late-bound because libp2p builds the gater before its services.
 */
export function meshConnectionGater (getAuth: () => MeshAuth | undefined, init: MeshGaterInit = {}): ConnectionGater {
  const waitMs = init.reservationAuthWaitMs ?? 5000
  const failed = (peer: PeerId): boolean => getAuth()?.recentFailure(peer) !== undefined
  const authorized = async (peer: PeerId): Promise<boolean> => {
    const auth = getAuth()
    if (auth === undefined) return false
    // A client asks for its reservation right after connecting, usually while the exchange is still running.
    return await auth.waitForAuth(peer, AbortSignal.timeout(waitMs)).then(() => true, () => false)
  }
  return {
    denyInboundEncryptedConnection: (peer) => failed(peer),
    denyOutboundEncryptedConnection: (peer) => failed(peer),
    denyInboundRelayReservation: async (source) => !(await authorized(source)),
    denyOutboundRelayedConnection: async (source, destination) => !(await authorized(source)) || !(await authorized(destination))
  }
}

/** For the relay server: true when `peerId` has proven a node certificate on `auth`. */
export function isAuthorized (auth: MeshAuth, peerId: PeerId): boolean {
  return auth.isAuthorized(peerId)
}
