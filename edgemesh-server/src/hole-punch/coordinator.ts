import { componentLogger } from '@edgemesh/common'
import { authorizedWithin } from '../auth.js'
import { tcpEndpoint } from '../endpoint.js'
import { ServerError } from '../errors.js'
import { PUNCH_PROTOCOL, PunchMessage, jsonStream } from '../protocol.js'
import type { PeerAuthorizer } from '../auth.js'
import type { MetricsRegistry } from '@edgemesh/common'
import type { RendezvousTable } from '../rendezvous/rendezvous-table.js'
import type { Logger, Startable } from '@edgemesh/common'
import type { ConnectionLister, ProtocolRegistrar } from '../endpoint.js'
import type { Connection, Stream } from '@libp2p/interface'

export interface PunchCoordinatorInit {
  /** Base delay before both sides start their simultaneous open; must exceed the one-way latency to either peer. @default 300 */
  startDelayMs?: number
  /** Deadline for the target's ack of the sync message. @default 5_000 */
  syncTimeoutMs?: number
  /** @default 5_000 */
  authWaitMs?: number
}

export interface PunchCoordinatorComponents {
  registrar: ProtocolRegistrar
  connectionManager: ConnectionLister
  auth: PeerAuthorizer
  table: RendezvousTable
  logger: Logger
  metrics?: MetricsRegistry
}

/**
 * `/edgemesh/punch/1.0.0`: A asks to punch toward node B. The server opens a stream to B over B's
 * registered fixed-port connection and sends it A's public endpoint plus a start delay, waits for
 * B's ack (which measures B's RTT), then answers A with B's endpoint and the same start instant
 * corrected by half of B's RTT — the instant is relative, so clocks never need to agree.
 */
export class PunchCoordinator implements Startable {
  private readonly log: Logger
  private readonly startDelayMs: number
  private readonly syncTimeoutMs: number
  private readonly authWaitMs: number
  private readonly count?: (labels: Record<string, string>) => void
  private started = false

  constructor (private readonly components: PunchCoordinatorComponents, init: PunchCoordinatorInit = {}) {
    this.log = componentLogger(components.logger, 'hole-punch')
    this.startDelayMs = init.startDelayMs ?? 300
    this.syncTimeoutMs = init.syncTimeoutMs ?? 5_000
    this.authWaitMs = init.authWaitMs ?? 5_000
    const c = components.metrics?.counter('edgemesh_server_punch_requests_total', { help: 'Hole-punch coordination requests by result code', labelNames: ['result'] })
    if (c !== undefined) this.count = l => { c.inc(l) }
  }

  async start (): Promise<void> {
    if (this.started) return
    await this.components.registrar.handle(PUNCH_PROTOCOL, (stream, connection) => { void this.onStream(stream, connection) }, { maxInboundStreams: 64 })
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.components.registrar.unhandle(PUNCH_PROTOCOL)
  }

  isStarted (): boolean { return this.started }

  private async onStream (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.syncTimeoutMs * 2)
    const io = jsonStream(stream, PunchMessage)
    const reply = async (msg: PunchMessage): Promise<void> => {
      this.count?.({ result: msg.type === 'error' ? msg.code : 'OK' })
      await io.write(msg, { signal })
      await stream.close({ signal })
    }
    try {
      const req = await io.read({ signal })
      if (req.type !== 'connect') { await reply({ type: 'error', code: 'RENDEZVOUS_BAD_REQUEST', message: 'expected a connect message' }); return }
      const a = connection.remotePeer
      if (!await authorizedWithin(this.components.auth, a, this.authWaitMs, signal)) {
        await reply({ type: 'error', code: 'PUNCH_FORBIDDEN', message: 'peer has not authenticated' }); return
      }
      const aName = this.components.auth.nodeNameOf(a)
      const aEnd = tcpEndpoint(connection.remoteAddr)
      if (aEnd === undefined || aName === undefined) {
        await reply({ type: 'error', code: 'PUNCH_PEER_UNAVAILABLE', message: 'the requesting connection is not a direct TCP connection' }); return
      }
      const target = this.components.table.get(req.nodeName)
      const bConn = target?.connectionId === undefined ? undefined : this.liveConnection(target.peerId, target.connectionId)
      if (target === undefined || target.endpoint === undefined || bConn === undefined) {
        await reply({ type: 'error', code: 'PUNCH_PEER_UNAVAILABLE', message: `node "${req.nodeName}" has no live punchable registration here` }); return
      }
      const sentAt = Date.now()
      const bStream = await bConn.newStream(PUNCH_PROTOCOL, { signal })
      const bio = jsonStream(bStream, PunchMessage)
      try {
        await bio.write({ type: 'sync', peerId: a.toString(), nodeName: aName, endpoint: aEnd, inMs: this.startDelayMs }, { signal })
        const ack = await bio.read({ signal: AbortSignal.any([signal, AbortSignal.timeout(this.syncTimeoutMs)]) })
        if (ack.type !== 'ack') throw new ServerError('PUNCH_PEER_UNAVAILABLE', `target answered ${ack.type}`)
        await bStream.close({ signal })
      } catch (err) {
        bStream.abort(err as Error)
        this.log.info({ err, target: req.nodeName }, 'punch target did not ack')
        await reply({ type: 'error', code: 'PUNCH_PEER_UNAVAILABLE', message: `node "${req.nodeName}" did not acknowledge the punch` }); return
      }
      const rttB = Date.now() - sentAt
      const inMs = Math.max(0, this.startDelayMs - Math.round(rttB / 2))
      this.log.debug({ from: aName, to: req.nodeName, aEnd, bEnd: target.endpoint, rttB, inMs }, 'punch coordinated')
      await reply({ type: 'sync', peerId: target.peerId, nodeName: target.nodeName, endpoint: target.endpoint, inMs })
    } catch (err) {
      this.count?.({ result: 'ERROR' })
      this.log.debug({ err, peer: connection.remotePeer.toString() }, 'punch request failed')
      stream.abort(err as Error)
    }
  }

  private liveConnection (peerId: string, connectionId: string): Connection | undefined {
    return this.components.connectionManager.getConnections().find(c => c.id === connectionId && c.remotePeer.toString() === peerId && c.status === 'open')
  }
}

/** libp2p service factory; `auth` is the mesh auth service, declared before this one in the services map. */
export function punchCoordinator (init: PunchCoordinatorInit, deps: Omit<PunchCoordinatorComponents, 'registrar' | 'connectionManager' | 'auth'>): (components: Pick<PunchCoordinatorComponents, 'registrar' | 'connectionManager' | 'auth'>) => PunchCoordinator {
  return (components) => new PunchCoordinator({ ...deps, registrar: components.registrar, connectionManager: components.connectionManager, auth: components.auth }, init)
}
