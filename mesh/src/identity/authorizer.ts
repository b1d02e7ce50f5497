import type { PeerId } from '@libp2p/interface'

/**
 * What gates need from the auth service (`MeshAuth` satisfies it): whether a peer proved a cluster
 * certificate over `/edgemesh/auth/1.0.0`, which node name it proved, and a way to wait for that.
 */
export interface PeerAuthorizer {
  isAuthorized: (peerId: PeerId) => boolean
  nodeNameOf: (peerId: PeerId) => string | undefined
  /** Resolves with the node name once the peer has authenticated (on the `peer:authenticated` event); rejects on failure or abort. */
  waitForAuth: (peerId: PeerId, signal?: AbortSignal) => Promise<string>
}

/**
 * Certificate exchange runs right after Noise, in parallel with the peer's first requests (a relay
 * reservation is typically the very first stream), so gates wait briefly for it instead of refusing
 * a peer that is merely a few milliseconds early. True when the peer authenticates within `waitMs`
 * (and before `signal` fires); false when it fails, times out or is aborted.
 */
export async function authorizedWithin (auth: PeerAuthorizer | undefined, peerId: PeerId, waitMs: number, signal?: AbortSignal): Promise<boolean> {
  if (auth === undefined) return false
  if (auth.isAuthorized(peerId)) return true
  const budget = signal === undefined ? AbortSignal.timeout(waitMs) : AbortSignal.any([signal, AbortSignal.timeout(waitMs)])
  return await auth.waitForAuth(peerId, budget).then(() => true, () => false)
}
