import { TypedEventEmitter } from '@libp2p/interface'
import type { Connection, Libp2pEvents, PeerId, Startable, Stream, StreamHandler, StreamHandlerOptions, TypedEventTarget } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { AbortError, silentLogger, type Logger } from '@edgemesh/common'
import { AUTH_PROTOCOL, AUTH_VERSION, MAX_AUTH_FRAME_BYTES, decodeAuthFrame, encodeAuthFrame } from './auth-frame.js'
import { IdentityError } from './errors.js'
import { verifyNodeCertDetailed } from './node-cert.js'

export interface MeshAuthInit {
  /** This node's name; must match the CN of `certPem`. */
  nodeName: string
  /** This node's certificate (CN system:node:<nodeName>, URI SAN edgemesh:peer:<own peer id>). */
  certPem: string
  /** The cluster CA that every peer's certificate must chain to. */
  caPem: string
  /** Revoked serials (hex). A function is re-read on every check, so a live CRL can be plugged in. @default none */
  revokedSerials?: Iterable<string> | (() => Iterable<string>)
  /** Time for a whole certificate exchange; an inbound connection that has not authenticated by then is closed. @default 5000 */
  timeoutMs?: number
  /** How long a failed peer is refused before it may try again. @default 10000 */
  failureTtlMs?: number
  /** @default silent */
  logger?: Logger
}

/** The slice of libp2p's internal components this service uses. */
export interface MeshAuthComponents {
  peerId: PeerId
  registrar: {
    handle: (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
    unhandle: (protocol: string) => Promise<void>
  }
  events: TypedEventTarget<Libp2pEvents>
  connectionManager: { getConnections: (peerId?: PeerId) => Connection[] }
}

export interface PeerAuthenticatedDetail { peerId: PeerId, nodeName: string }
export interface PeerAuthFailedDetail { peerId: PeerId, code: string, message: string }

export interface MeshAuthEvents {
  'peer:authenticated': CustomEvent<PeerAuthenticatedDetail>
  'peer:auth-failed': CustomEvent<PeerAuthFailedDetail>
}

interface AuthState { nodeName: string, peerId: PeerId, serial: string, notAfter: number }
interface FailState { code: string, message: string, until: number }

/**
 * The `/edgemesh/auth/1.0.0` service. On every new connection the dialing side sends its node certificate
 * in one length-prefixed JSON frame; the listening side verifies it against the Noise-authenticated
 * remote peer id and answers with its own certificate (or an error frame), which the dialer verifies.
 * The listener marks the dialer authenticated before answering, so once the dialer's `waitForAuth`
 * resolves both ends accept tunnel streams. Failures close every connection to the peer and are
 * remembered for `failureTtlMs`.
 */
export class MeshAuth extends TypedEventEmitter<MeshAuthEvents> implements Startable {
  private readonly components: MeshAuthComponents
  private readonly init: MeshAuthInit
  private readonly timeoutMs: number
  private readonly failureTtlMs: number
  private readonly log: Logger
  private readonly byPeer = new Map<string, AuthState>()
  private readonly byNode = new Map<string, PeerId>()
  private readonly failures = new Map<string, FailState>()
  private readonly inflight = new Map<string, Promise<void>>()
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  private started = false

  constructor (components: MeshAuthComponents, init: MeshAuthInit) {
    super()
    this.components = components
    this.init = init
    this.timeoutMs = init.timeoutMs ?? 5000
    this.failureTtlMs = init.failureTtlMs ?? 10_000
    this.log = (init.logger ?? silentLogger()).child({ component: 'mesh-auth' })
  }

  readonly [Symbol.toStringTag] = '@edgemesh/mesh-auth'

  isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    if (this.started) return
    await this.components.registrar.handle(AUTH_PROTOCOL, (stream, connection) => {
      void this.respond(stream, connection)
    }, { runOnLimitedConnection: true, maxInboundStreams: 4, maxOutboundStreams: 4 })
    this.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.components.events.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.components.events.removeEventListener('connection:open', this.onConnectionOpen)
    this.components.events.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    await this.components.registrar.unhandle(AUTH_PROTOCOL)
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    this.byPeer.clear()
    this.byNode.clear()
    this.failures.clear()
  }

  /** The node name a peer proved, or undefined when it has not (yet) authenticated or its cert has expired. */
  nodeNameOf (peerId: PeerId): string | undefined {
    const s = this.byPeer.get(peerId.toString())
    if (s === undefined) return undefined
    if (s.notAfter <= Date.now() || this.isRevoked(s.serial)) return undefined
    return s.nodeName
  }

  /** The peer currently authenticated as `nodeName`, if any. */
  peerIdOf (nodeName: string): PeerId | undefined {
    const p = this.byNode.get(nodeName)
    return p !== undefined && this.nodeNameOf(p) === nodeName ? p : undefined
  }

  /** True when the peer has a valid, unrevoked, matching node certificate. Use it to gate relay reservations and streams. */
  isAuthorized (peerId: PeerId): boolean {
    return this.nodeNameOf(peerId) !== undefined
  }

  /** The failure a peer is currently refused for, if any. */
  recentFailure (peerId: PeerId): { code: string, message: string } | undefined {
    const f = this.failures.get(peerId.toString())
    if (f === undefined) return undefined
    if (f.until <= Date.now()) { this.failures.delete(peerId.toString()); return undefined }
    return { code: f.code, message: f.message }
  }

  /** Peers authenticated right now. */
  authenticatedPeers (): PeerAuthenticatedDetail[] {
    return [...this.byPeer.values()].filter(s => this.nodeNameOf(s.peerId) !== undefined).map(s => ({ peerId: s.peerId, nodeName: s.nodeName }))
  }

  /**
   * Resolves with the peer's node name once it has authenticated. Rejects with IdentityError AUTH_FAILED
   * (the `reason` carries the CERT_* or remote code) or AUTH_TIMEOUT, or AbortError when `signal` fires.
   */
  async waitForAuth (peerId: PeerId, signal?: AbortSignal): Promise<string> {
    const key = peerId.toString()
    const now = this.nodeNameOf(peerId)
    if (now !== undefined) return now
    const fail = this.recentFailure(peerId)
    if (fail !== undefined) throw failureError(fail.code, fail.message)
    if (signal?.aborted === true) throw new AbortError()
    return await new Promise<string>((resolve, reject) => {
      const cleanup = (): void => {
        this.removeEventListener('peer:authenticated', onOk)
        this.removeEventListener('peer:auth-failed', onFail)
        signal?.removeEventListener('abort', onAbort)
      }
      const onOk = (e: CustomEvent<PeerAuthenticatedDetail>): void => {
        if (e.detail.peerId.toString() !== key) return
        cleanup(); resolve(e.detail.nodeName)
      }
      const onFail = (e: CustomEvent<PeerAuthFailedDetail>): void => {
        if (e.detail.peerId.toString() !== key) return
        cleanup(); reject(failureError(e.detail.code, e.detail.message))
      }
      const onAbort = (): void => { cleanup(); reject(new AbortError()) }
      this.addEventListener('peer:authenticated', onOk)
      this.addEventListener('peer:auth-failed', onFail)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * Runs the exchange on `connection` as the dialer unless the peer is already authenticated.
   * Normally triggered by `connection:open`; exposed for transports that upgrade sockets themselves.
   */
  async authenticate (connection: Connection): Promise<void> {
    const key = connection.remotePeer.toString()
    if (this.isAuthorized(connection.remotePeer)) return
    const running = this.inflight.get(key)
    if (running !== undefined) { await running; return }
    const p = this.initiate(connection).finally(() => this.inflight.delete(key))
    this.inflight.set(key, p)
    await p
  }

  /** Drops authenticated peers whose serial is now revoked and closes their connections. */
  recheck (): void {
    for (const s of [...this.byPeer.values()]) {
      if (this.nodeNameOf(s.peerId) === undefined) {
        this.fail(s.peerId, 'CERT_REVOKED', `certificate of node "${s.nodeName}" is revoked or expired`)
      }
    }
  }

  private readonly onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    const connection = evt.detail
    const peer = connection.remotePeer
    const fail = this.recentFailure(peer)
    if (fail !== undefined) {
      this.log.debug({ peer: peer.toString(), code: fail.code }, 'refusing connection from recently failed peer')
      connection.abort(failureError(fail.code, fail.message))
      return
    }
    if (this.isAuthorized(peer)) return
    if (connection.direction === 'outbound') {
      this.authenticate(connection).catch(() => {})
      return
    }
    // The dialer speaks first; a listener only bounds how long it waits.
    const key = peer.toString()
    if (this.timers.has(key)) return
    const t = setTimeout(() => {
      this.timers.delete(key)
      if (!this.isAuthorized(peer) && this.inflight.get(key) === undefined) {
        this.fail(peer, 'AUTH_TIMEOUT', `peer did not authenticate within ${this.timeoutMs} ms`)
      }
    }, this.timeoutMs)
    t.unref?.()
    this.timers.set(key, t)
  }

  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    // The peer may restart with no memory of us; the next connection must authenticate afresh.
    this.forget(evt.detail)
  }

  private forget (peerId: PeerId): void {
    const key = peerId.toString()
    const s = this.byPeer.get(key)
    this.byPeer.delete(key)
    if (s !== undefined && this.byNode.get(s.nodeName)?.toString() === key) this.byNode.delete(s.nodeName)
    const t = this.timers.get(key)
    if (t !== undefined) { clearTimeout(t); this.timers.delete(key) }
  }

  private isRevoked (serial: string): boolean {
    const r = this.init.revokedSerials
    if (r === undefined) return false
    const list = typeof r === 'function' ? r() : r
    const s = serial.toLowerCase()
    for (const x of list) if (x.toLowerCase() === s) return true
    return false
  }

  private verify (certPem: string, peerId: PeerId): AuthState {
    const r = this.init.revokedSerials
    const info = verifyNodeCertDetailed(certPem, this.init.caPem, peerId, { revokedSerials: typeof r === 'function' ? r() : r })
    return { nodeName: info.nodeName, peerId, serial: info.serialNumber, notAfter: info.notAfter.getTime() }
  }

  private succeed (s: AuthState): void {
    const key = s.peerId.toString()
    this.byPeer.set(key, s)
    this.byNode.set(s.nodeName, s.peerId)
    this.failures.delete(key)
    const t = this.timers.get(key)
    if (t !== undefined) { clearTimeout(t); this.timers.delete(key) }
    this.log.info({ peer: key, nodeName: s.nodeName }, 'peer authenticated')
    this.safeDispatchEvent('peer:authenticated', { detail: { peerId: s.peerId, nodeName: s.nodeName } })
  }

  private fail (peerId: PeerId, code: string, message: string): void {
    const key = peerId.toString()
    this.forget(peerId)
    // Entries are otherwise only dropped when the same peer id comes back; a stranger can mint peer ids for free.
    const now = Date.now()
    for (const [k, f] of this.failures) if (f.until <= now) this.failures.delete(k)
    this.failures.set(key, { code, message, until: now + this.failureTtlMs })
    this.log.warn({ peer: key, code, err: message }, 'peer authentication failed')
    this.safeDispatchEvent('peer:auth-failed', { detail: { peerId, code, message } })
    const err = failureError(code, message)
    for (const c of this.components.connectionManager.getConnections(peerId)) c.abort(err)
  }

  private async initiate (connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    const peer = connection.remotePeer
    let stream: Stream | undefined
    try {
      stream = await connection.newStream(AUTH_PROTOCOL, { signal, runOnLimitedConnection: true })
      const lp = lpStream(stream, { maxDataLength: MAX_AUTH_FRAME_BYTES })
      await lp.write(encodeAuthFrame({ version: AUTH_VERSION, certPem: this.init.certPem }), { signal })
      const f = decodeAuthFrame((await lp.read({ signal })).subarray())
      if ('error' in f) throw new IdentityError('AUTH_FAILED', `peer rejected our certificate: ${f.error.code}: ${f.error.message}`, { reason: f.error.code })
      const state = this.verify(f.certPem, peer)
      await stream.close({ signal }).catch(() => {})
      this.succeed(state)
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      const { code, message } = describe(err, signal)
      this.fail(peer, code, message)
      throw failureError(code, message)
    }
  }

  private async respond (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    const peer = connection.remotePeer
    const lp = lpStream(stream, { maxDataLength: MAX_AUTH_FRAME_BYTES })
    let state: AuthState
    try {
      const f = decodeAuthFrame((await lp.read({ signal })).subarray())
      if ('error' in f) throw new IdentityError('AUTH_FAILED', `peer sent an error frame: ${f.error.code}`, { reason: f.error.code })
      state = this.verify(f.certPem, peer)
    } catch (err) {
      const { code, message } = describe(err, signal)
      try {
        await lp.write(encodeAuthFrame({ version: AUTH_VERSION, error: { code, message: message.slice(0, 1024) } }), { signal })
        await stream.close({ signal })
      } catch {
        stream.abort(failureError(code, message))
      }
      this.fail(peer, code, message)
      return
    }
    this.succeed(state)
    try {
      await lp.write(encodeAuthFrame({ version: AUTH_VERSION, certPem: this.init.certPem }), { signal })
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

function failureError (code: string, message: string): IdentityError {
  if (code === 'AUTH_TIMEOUT') return new IdentityError('AUTH_TIMEOUT', message)
  return new IdentityError('AUTH_FAILED', message, { reason: code })
}

function describe (err: unknown, signal: AbortSignal): { code: string, message: string } {
  const e = err as { code?: unknown, reason?: unknown, message?: unknown }
  if (signal.aborted) return { code: 'AUTH_TIMEOUT', message: 'certificate exchange timed out' }
  const message = typeof e?.message === 'string' ? e.message : String(err)
  if (typeof e?.reason === 'string') return { code: e.reason, message }
  if (typeof e?.code === 'string' && /^[A-Z_]{1,64}$/.test(e.code)) return { code: e.code, message }
  return { code: 'AUTH_FAILED', message }
}

/** libp2p service factory: `services: { auth: meshAuth({ nodeName, certPem, caPem }) }`. */
export function meshAuth (init: MeshAuthInit): (components: MeshAuthComponents) => MeshAuth {
  return (components) => new MeshAuth(components, init)
}
