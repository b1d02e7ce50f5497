import { componentLogger, hasCode } from '@edgemesh/common'
import { authorizedWithin } from '../auth.js'
import { tcpEndpoint, withoutPeerId } from '../endpoint.js'
import { RENDEZVOUS_PROTOCOL, RendezvousRequest, jsonStream } from '../protocol.js'
import { RendezvousTable } from './rendezvous-table.js'
import type { PeerAuthorizer } from '../auth.js'
import type { MetricsRegistry } from '@edgemesh/common'
import type { RendezvousResponse } from '../protocol.js'
import type { Logger, Startable } from '@edgemesh/common'
import type { ProtocolRegistrar } from '../endpoint.js'
import type { Connection, Stream } from '@libp2p/interface'

export interface RendezvousServerInit {
  /** TTL granted to registrations (agents refresh at half of it). @default 120_000 */
  ttlMs?: number
  /** Upper bound on a TTL an agent may ask for. @default 600_000 */
  maxTtlMs?: number
  /** @default 2048 */
  maxEntries?: number
  /** How long a request waits for the peer's certificate exchange. @default 5_000 */
  authWaitMs?: number
  /** Per-request deadline. @default 10_000 */
  requestTimeoutMs?: number
}

export interface RendezvousServerComponents {
  registrar: ProtocolRegistrar
  auth: PeerAuthorizer
  logger: Logger
  metrics?: MetricsRegistry
  /** Shared with the hole-punch coordinator. @default a new table */
  table?: RendezvousTable
}

/** Server side of `/edgemesh/rendezvous/1.0.0`: register (own node name only) and lookup. */
export class RendezvousServer implements Startable {
  readonly table: RendezvousTable
  private readonly log: Logger
  private readonly ttlMs: number
  private readonly maxTtlMs: number
  private readonly authWaitMs: number
  private readonly requestTimeoutMs: number
  private readonly requests?: (labels: Record<string, string>) => void
  private started = false
  private stopCollecting?: () => void

  constructor (private readonly components: RendezvousServerComponents, init: RendezvousServerInit = {}) {
    this.table = components.table ?? new RendezvousTable({ maxEntries: init.maxEntries })
    this.log = componentLogger(components.logger, 'rendezvous')
    this.ttlMs = init.ttlMs ?? 120_000
    this.maxTtlMs = init.maxTtlMs ?? 600_000
    this.authWaitMs = init.authWaitMs ?? 5_000
    this.requestTimeoutMs = init.requestTimeoutMs ?? 10_000
    const counter = components.metrics?.counter('edgemesh_server_rendezvous_requests_total', { help: 'Rendezvous requests by type and result code', labelNames: ['type', 'result'] })
    if (counter !== undefined) this.requests = (l) => { counter.inc(l) }
  }

  async start (): Promise<void> {
    if (this.started) return
    await this.components.registrar.handle(RENDEZVOUS_PROTOCOL, (stream, connection) => { void this.onStream(stream, connection) }, { maxInboundStreams: 64 })
    // Registered per run and removed on stop: the registry outlives this service when the server restarts.
    const m = this.components.metrics
    const registrations = m?.gauge('edgemesh_server_rendezvous_registrations', { help: 'Live rendezvous registrations' })
    this.stopCollecting = m?.onCollect(() => { registrations?.set(this.table.size) })
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.stopCollecting?.()
    this.stopCollecting = undefined
    await this.components.registrar.unhandle(RENDEZVOUS_PROTOCOL)
    this.table.clear()
  }

  isStarted (): boolean { return this.started }

  private async onStream (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.requestTimeoutMs)
    const io = jsonStream(stream, RendezvousRequest)
    let type = 'unknown'
    try {
      const req = await io.read({ signal })
      type = req.type
      const reply = await this.answer(req, connection, signal)
      this.requests?.({ type, result: reply.type === 'error' ? reply.code : 'OK' })
      await io.write(reply, { signal })
      await stream.close({ signal })
    } catch (err) {
      const code = hasCode(err, 'RENDEZVOUS_BAD_REQUEST') ? 'RENDEZVOUS_BAD_REQUEST' : 'ERROR'
      this.requests?.({ type, result: code })
      this.log.debug({ err, code, peer: connection.remotePeer.toString() }, 'rendezvous request failed')
      if (code === 'RENDEZVOUS_BAD_REQUEST') {
        try { await io.write({ type: 'error', code, message: (err as Error).message }, { signal }); await stream.close({ signal }) } catch { stream.abort(err as Error) }
      } else {
        stream.abort(err as Error)
      }
    }
  }

  private async answer (req: RendezvousRequest, connection: Connection, signal: AbortSignal): Promise<RendezvousResponse> {
    const peer = connection.remotePeer
    if (!await authorizedWithin(this.components.auth, peer, this.authWaitMs, signal)) {
      return forbidden('peer has not authenticated with a cluster certificate')
    }
    if (req.type === 'lookup') {
      const reg = this.table.get(req.nodeName)
      if (reg === undefined) return { type: 'error', code: 'RENDEZVOUS_NOT_FOUND', message: `node "${req.nodeName}" is not registered` }
      return { type: 'record', record: { nodeName: reg.nodeName, peerId: reg.peerId, listenAddrs: reg.listenAddrs, observedAddrs: reg.observedAddrs, expiresInMs: this.table.remainingMs(reg) } }
    }
    const proven = this.components.auth.nodeNameOf(peer)
    if (proven !== req.nodeName) {
      this.log.warn({ code: 'RENDEZVOUS_FORBIDDEN', peer: peer.toString(), claimed: req.nodeName, proven }, 'registration for a node name the certificate does not prove')
      return forbidden(`certificate proves node "${proven ?? '<none>'}", not "${req.nodeName}"`)
    }
    const endpoint = tcpEndpoint(connection.remoteAddr)
    const observed = endpoint === undefined ? [] : [withoutPeerId(connection.remoteAddr)]
    // Only what this server saw on the wire is an observed address; a client's own claim could aim punches anywhere.
    const observedAddrs = observed
    const ttlMs = Math.min(req.ttlMs ?? this.ttlMs, this.maxTtlMs)
    const ok = this.table.put({ nodeName: req.nodeName, peerId: peer.toString(), listenAddrs: req.listenAddrs, observedAddrs, endpoint, connectionId: endpoint === undefined ? undefined : connection.id }, ttlMs)
    if (!ok) return { type: 'error', code: 'RENDEZVOUS_FORBIDDEN', message: 'rendezvous table is full' }
    this.log.debug({ nodeName: req.nodeName, peer: peer.toString(), observedAddrs }, 'registered')
    return { type: 'registered', ttlMs, observedAddrs: observed }
  }
}

function forbidden (message: string): RendezvousResponse {
  return { type: 'error', code: 'RENDEZVOUS_FORBIDDEN', message }
}

/** libp2p service factory; `auth` is the mesh auth service, declared before this one in the services map. */
export function rendezvousServer (init: RendezvousServerInit, deps: Omit<RendezvousServerComponents, 'registrar' | 'auth'>): (components: Pick<RendezvousServerComponents, 'registrar' | 'auth'>) => RendezvousServer {
  return (components) => new RendezvousServer({ ...deps, registrar: components.registrar, auth: components.auth }, init)
}
