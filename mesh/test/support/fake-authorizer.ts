import type { GaterAuthorizer } from '../../src/identity/gater.js'
import type { PeerId } from '@libp2p/interface'

/**
 * An auth service stand-in: peers become authenticated when the test says so, and waiters are woken
 * by an event, like MeshAuth's `peer:authenticated`. Counts `isAuthorized` calls so tests can tell a
 * poll from an event wait.
 */
export class FakeAuthorizer implements GaterAuthorizer {
  isAuthorizedCalls = 0
  private readonly ok = new Map<string, string>()
  private readonly failed = new Set<string>()
  private readonly events = new EventTarget()

  authorize (peer: PeerId, nodeName = 'node'): void {
    this.ok.set(peer.toString(), nodeName)
    this.events.dispatchEvent(new CustomEvent('peer:authenticated', { detail: peer.toString() }))
  }

  markFailed (peer: PeerId): void { this.failed.add(peer.toString()) }

  isAuthorized (peer: PeerId): boolean {
    this.isAuthorizedCalls++
    return this.ok.has(peer.toString())
  }

  nodeNameOf (peer: PeerId): string | undefined { return this.ok.get(peer.toString()) }

  recentFailure (peer: PeerId): { code: string, message: string } | undefined {
    return this.failed.has(peer.toString()) ? { code: 'AUTH_FAILED', message: 'failed' } : undefined
  }

  async waitForAuth (peer: PeerId, signal?: AbortSignal): Promise<string> {
    const now = this.ok.get(peer.toString())
    if (now !== undefined) return now
    return await new Promise<string>((resolve, reject) => {
      const onAuth = (e: Event): void => {
        if ((e as CustomEvent<string>).detail !== peer.toString()) return
        cleanup(); resolve(this.ok.get(peer.toString()) ?? '')
      }
      const onAbort = (): void => { cleanup(); reject(new Error('aborted')) }
      const cleanup = (): void => { this.events.removeEventListener('peer:authenticated', onAuth); signal?.removeEventListener('abort', onAbort) }
      this.events.addEventListener('peer:authenticated', onAuth)
      if (signal?.aborted === true) onAbort()
      else signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}
