import { componentLogger, hasCode, silentLogger } from '@edgemesh/common'
import { peerIdFromString } from '@libp2p/peer-id'
import { NatError } from './errors.js'
import { SharedAttempts } from '../shared-attempt.js'
import { PUNCH_PROTOCOL, PunchMessage, jsonStream } from './protocol.js'
import { tcpPunch } from './tcp-punch.js'
import { isPunchInitiator, upgradeSocket } from './upgrade.js'
import type { ServerLink, ServerLinks } from './server-link.js'
import type { TcpPunchInit } from './tcp-punch.js'
import type { UpgradeComponents } from './upgrade.js'
import type { Puncher } from '../types.js'
import type { Logger } from '@edgemesh/common'
import type { Connection, PeerId, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'

export interface PunchServiceInit {
  /** Deadline for the simultaneous-open attempts. @default 15_000 */
  punchDeadlineMs?: number
  /** Deadline for Noise + yamux over the punched socket. @default 10_000 */
  upgradeTimeoutMs?: number
  /** Extra knobs for the attempt loop (attempt timeout, jitter, max attempts). */
  attempts?: Pick<TcpPunchInit, 'attemptTimeoutMs' | 'jitterMs' | 'maxAttempts'>
  /** @default silent */
  logger?: Logger
}

export interface PunchServiceComponents extends UpgradeComponents {
  links: ServerLinks
  registrar: {
    handle: (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
    unhandle: (protocol: string) => Promise<void>
  }
}

export interface PunchTarget {
  nodeName: string
  /** When known, the punched connection must authenticate as this peer. */
  peerId?: PeerId
}

export interface PunchStats {
  attempted: number
  succeeded: number
  failed: number
  /** Duration of the last successful punch + upgrade (ms). */
  lastDurationMs?: number
  /** SYN attempts the last successful punch needed. */
  lastAttempts?: number
}

/**
 * The agent's Puncher. Outbound: asks a server (over our fixed-port link) to coordinate, then does
 * the simultaneous open from that link's local port and upgrades the socket. Inbound: answers the
 * server's sync (only over one of our own server links), then does the same toward the requester.
 * Noise initiator = the peer whose id sorts first (see upgrade.ts).
 */
export class PunchService implements Puncher {
  private readonly log: Logger
  /**
   * One punch per node name, in either direction: a second simultaneous open from the same local port
   * toward the same endpoint would collide on the 4-tuple. Each attempt runs on its own signal (see
   * SharedAttempts), so one caller giving up does not fail the others.
   */
  private readonly attempts = new SharedAttempts<Connection>()
  private controller = new AbortController()
  private started = false
  private readonly s: PunchStats = { attempted: 0, succeeded: 0, failed: 0 }

  constructor (private readonly components: PunchServiceComponents, private readonly init: PunchServiceInit = {}) {
    this.log = componentLogger(init.logger ?? silentLogger(), 'nat-punch')
  }

  stats (): PunchStats { return { ...this.s } }

  async start (): Promise<void> {
    if (this.started) return
    // A fresh controller per run: the one aborted by stop() would otherwise cancel every punch after a restart.
    if (this.controller.signal.aborted) this.controller = new AbortController()
    await this.components.registrar.handle(PUNCH_PROTOCOL, (stream, connection) => { void this.onSync(stream, connection) }, { maxInboundStreams: 16 })
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.controller.abort()
    this.attempts.abortAll(new NatError('PUNCH_FAILED', 'the punch service stopped'))
    await this.components.registrar.unhandle(PUNCH_PROTOCOL)
  }

  /**
   * Puncher: a direct connection to `peerId` (node `nodeName`). Concurrent calls for one node — and an
   * inbound sync for it — share one attempt; `signal` only ends this caller's wait.
   */
  async punch (nodeName: string, peerId: PeerId | undefined, signal?: AbortSignal): Promise<Connection> {
    const target: PunchTarget = { nodeName, peerId }
    return await this.attempts.join(nodeName, async (own) => await this.punchOnce(target, own), signal)
  }

  private async punchOnce (target: PunchTarget, signal?: AbortSignal): Promise<Connection> {
    const links = this.components.links.links()
    if (links.length === 0) throw new NatError('RENDEZVOUS_UNAVAILABLE', 'no edgemesh-server link is up to coordinate a punch')
    let refusal: NatError | undefined
    for (const link of links) {
      let sync: Extract<PunchMessage, { type: 'sync' }>
      try {
        sync = await this.requestSync(link, target.nodeName, signal)
      } catch (err) {
        if (signal?.aborted === true) throw err
        refusal = err instanceof NatError ? err : new NatError('PUNCH_REFUSED', `punch request via ${link.server.toString()} failed: ${(err as Error).message}`, { cause: err })
        continue
      }
      if (target.peerId !== undefined && sync.peerId !== target.peerId.toString()) {
        throw new NatError('PUNCH_REFUSED', `server answered for peer ${sync.peerId}, expected ${target.peerId.toString()}`, { remoteCode: 'PEER_MISMATCH' })
      }
      return await this.run(link, sync, signal)
    }
    throw refusal ?? new NatError('PUNCH_REFUSED', 'no server coordinated the punch')
  }

  private async requestSync (link: ServerLink, nodeName: string, signal?: AbortSignal): Promise<Extract<PunchMessage, { type: 'sync' }>> {
    const s = AbortSignal.any([AbortSignal.timeout(15_000), ...(signal === undefined ? [] : [signal])])
    const stream = await link.connection.newStream(PUNCH_PROTOCOL, { signal: s })
    try {
      const io = jsonStream(stream, PunchMessage)
      await io.write({ type: 'connect', nodeName }, { signal: s })
      const reply = await io.read({ signal: s })
      await stream.close({ signal: s }).catch(() => {})
      if (reply.type === 'sync') return reply
      const code = reply.type === 'error' ? reply.code : reply.type
      throw new NatError('PUNCH_REFUSED', `server ${link.server.toString()} refused to coordinate: ${reply.type === 'error' ? reply.message : reply.type}`, { remoteCode: code })
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  /** Both sides: simultaneous open from the link's port, then the libp2p upgrade. */
  private async run (link: ServerLink, sync: Extract<PunchMessage, { type: 'sync' }>, parent?: AbortSignal): Promise<Connection> {
    const started = Date.now()
    this.s.attempted++
    const signal = AbortSignal.any([this.controller.signal, ...(parent === undefined ? [] : [parent])])
    const remotePeer = peerIdFromString(sync.peerId)
    const log = this.log.child({ peer: sync.nodeName, endpoint: `${sync.endpoint.ip}:${sync.endpoint.port}` })
    try {
      const { socket, attempts } = await tcpPunch({
        ...this.init.attempts,
        remote: sync.endpoint,
        localPort: link.localPort,
        localAddress: link.localAddress,
        startInMs: sync.inMs,
        deadlineMs: this.init.punchDeadlineMs ?? 15_000
      }, signal)
      const initiator = isPunchInitiator(this.components.peerId, remotePeer)
      const upgradeSignal = AbortSignal.any([signal, AbortSignal.timeout(this.init.upgradeTimeoutMs ?? 10_000)])
      let connection: Connection
      try {
        connection = await upgradeSocket(this.components, socket, remotePeer, initiator, upgradeSignal, log)
      } catch (err) {
        throw new NatError(upgradeSignal.aborted && signal.aborted !== true ? 'PUNCH_TIMEOUT' : 'PUNCH_FAILED', `punched socket did not upgrade: ${(err as Error).message}`, { cause: err })
      }
      this.s.succeeded++
      this.s.lastDurationMs = Date.now() - started
      this.s.lastAttempts = attempts
      log.info({ attempts, ms: this.s.lastDurationMs, initiator }, 'hole punched')
      return connection
    } catch (err) {
      this.s.failed++
      log.info({ err, code: (err as { code?: string }).code }, 'hole punch failed')
      if (hasCode(err, 'PUNCH_FAILED') || hasCode(err, 'PUNCH_TIMEOUT') || signal.aborted) throw err
      throw new NatError('PUNCH_FAILED', `hole punch failed: ${(err as Error).message}`, { cause: err })
    }
  }

  private async onSync (stream: Stream, connection: Connection): Promise<void> {
    // Only a server we dialled may make us send SYNs somewhere; anyone else could aim us at arbitrary hosts.
    const link = this.components.links.links().find(l => l.connection.id === connection.id)
    if (link === undefined) { stream.abort(new NatError('NAT_SYNC_UNTRUSTED', 'punch sync from a connection that is not a server link')); return }
    const signal = AbortSignal.timeout(10_000)
    let sync: PunchMessage
    try {
      const io = jsonStream(stream, PunchMessage)
      sync = await io.read({ signal })
      if (sync.type !== 'sync') throw new NatError('NAT_BAD_MESSAGE', `expected sync, got ${sync.type}`)
      await io.write({ type: 'ack' }, { signal })
      await stream.close({ signal }).catch(() => {})
    } catch (err) {
      stream.abort(err as Error)
      this.log.debug({ err }, 'bad punch sync')
      return
    }
    // We acknowledged, so the peer punches toward us now: our side must run to its end even if a local
    // caller of punch() gives up. If we are already punching toward this node (both sides asked at once)
    // that attempt is pinned instead of starting a second one.
    if (!this.started) return
    await this.attempts.pin(sync.nodeName, async (own) => await this.run(link, sync, own)).catch(() => {
      // Already logged and counted; the requester falls back to the relay.
    })
  }
}
