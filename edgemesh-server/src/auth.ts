import { sleep } from '@edgemesh/common'
import type { PeerId } from '@libp2p/interface'

/**
 * What the server needs from the mesh auth service (`meshAuth(...)` of edgemesh-agent satisfies it
 * structurally): whether a peer proved a cluster certificate over `/edgemesh/auth/1.0.0`, and which
 * node name that certificate binds to its peer id.
 */
export interface PeerAuthorizer {
  isAuthorized: (peerId: PeerId) => boolean
  nodeNameOf: (peerId: PeerId) => string | undefined
}

/**
 * Certificate exchange runs right after Noise, in parallel with the peer's first requests (a relay
 * reservation is typically the very first stream), so gates wait briefly for it instead of refusing
 * a peer that is merely a few milliseconds early.
 */
export async function waitForAuthorization (auth: PeerAuthorizer, peerId: PeerId, waitMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + waitMs
  while (!auth.isAuthorized(peerId)) {
    if (Date.now() >= deadline || signal?.aborted === true) return false
    try { await sleep(25, signal) } catch { return false }
  }
  return true
}
