import { connect as netConnect, type NetConnectOpts, type Socket, isIPv6 } from 'node:net'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { setMaxListeners } from 'node:events'
import { pipeline, type Duplex } from 'node:stream'
import type { Connection, Libp2pEvents, Startable, Stream, StreamHandler, StreamHandlerOptions, TypedEventTarget } from '@libp2p/interface'
import { AbortError, hasCode, MetricsRegistry, silentLogger, type Logger } from '@edgemesh/common'
import type { MeshAuth } from '@edgemesh/mesh'
import { registerPeerMetrics } from './peer-metrics.js'
import { NodeDialer, type NodeDialerComponents, type NodeDialerInit, type StaticPeer } from './node-dialer.js'
import { DatagramStream } from './datagram-stream.js'
import { TunnelError } from './errors.js'
import { TUNNEL_PROTOCOL, decodeRequestBody, decodeResponseBody, encodeRequest, encodeResponse, readFrame, type TunnelRequest } from './header.js'
import { streamToDuplex } from './stream-duplex.js'
import { denyAllPolicy, type PeerMetrics, type PeerResolver, type Puncher, type TargetPolicy, type TunnelTarget } from './types.js'

export interface TunnelServiceInit extends NodeDialerInit {
  /** This node's name; inbound headers naming another node are refused (MESH_WRONG_NODE). */
  nodeName: string
  /** Which targets peers may reach through this node. @default deny all */
  policy?: TargetPolicy
  /** Budget for connecting to an allowed target. @default 5000 */
  dialTimeoutMs?: number
  /** Budget for receiving an inbound header. @default 5000 */
  headerTimeoutMs?: number
  /** Budget for opening an outbound stream and getting its response (covers the remote's target dial). @default 15000 */
  responseTimeoutMs?: number
  /** A UDP session with no datagram either way for this long is closed. @default 60000 */
  udpIdleTimeoutMs?: number
  /** Tunnel streams per connection and direction. @default 4096 */
  maxStreams?: number
  /**
   * Name of the libp2p service that resolves node names (a PeerResolver, e.g. `natTraversal`), looked
   * up among the node's services at start; none when no such service exists. @default 'nat'
   */
  resolverService?: string
  /** Name of the libp2p service that punches direct connections (a Puncher), looked up at start. @default 'nat' */
  puncherService?: string
  /** @default silent */
  logger?: Logger
  /**
   * The process's metrics registry; the per-peer series are sampled into it at every scrape. (In Init
   * because libp2p builds services from its own components.) @default a registry of its own
   */
  metrics?: MetricsRegistry
}

export interface TunnelServiceComponents {
  registrar: {
    handle: (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
    unhandle: (protocol: string) => Promise<void>
  }
  connectionManager: NodeDialerComponents['connectionManager']
  events: TypedEventTarget<Libp2pEvents>
  /** The `auth` service; it must be declared before `tunnel` in the services map. */
  auth: MeshAuth
}

/** A UDP flow through the tunnel: datagrams in, datagrams out, closes on idle or on either side's close. */
export interface UdpTunnelSession {
  send: (datagram: Uint8Array) => boolean
  onDatagram: (fn: (datagram: Uint8Array) => void) => void
  onClose: (fn: (err?: Error) => void) => void
  close: () => void
}

/**
 * `/edgemesh/tunnel/1.0.0`. Outbound: `openTcp`/`openUdp` by node name. Inbound: authenticated peer →
 * header → own node name → TargetPolicy → dial with timeout → `{ok:true}` → bytes both ways.
 * Nothing is dialled before the policy says yes, so the mesh cannot be used to reach arbitrary ip:ports.
 */
export class TunnelService implements Startable {
  private readonly c: TunnelServiceComponents
  private readonly init: TunnelServiceInit
  private readonly log: Logger
  private readonly policy: TargetPolicy
  private nodeDialer?: NodeDialer
  private readonly staticPeers = new Map<string, StaticPeer>()
  private readonly live = new Set<{ destroy: (err?: Error) => void }>()
  private started = false

  private readonly registry: MetricsRegistry

  constructor (components: TunnelServiceComponents, init: TunnelServiceInit) {
    this.c = components
    this.init = init
    this.log = (init.logger ?? silentLogger()).child({ component: 'tunnel' })
    this.policy = init.policy ?? denyAllPolicy
    this.registry = init.metrics ?? new MetricsRegistry()
    registerPeerMetrics(this.registry, () => this.metrics())
  }

  readonly [Symbol.toStringTag] = '@edgemesh/tunnel'

  isStarted (): boolean { return this.started }

  /** Dials nodes by name for this tunnel; exists while the service is started. */
  get dialer (): NodeDialer {
    if (this.nodeDialer === undefined) throw new TunnelError('MESH_NOT_STARTED', 'the tunnel service is not started')
    return this.nodeDialer
  }

  async start (): Promise<void> {
    if (this.started) return
    // Services are all built by now, so the resolver and puncher can be found by name (libp2p style:
    // a service's dependencies are other components, not setters). A fresh dialer per start, since
    // stop() aborts the old one for good.
    this.nodeDialer = new NodeDialer({
      connectionManager: this.c.connectionManager,
      auth: this.c.auth,
      resolver: this.service<PeerResolver>(this.init.resolverService ?? 'nat', 'resolve'),
      puncher: this.service<Puncher>(this.init.puncherService ?? 'nat', 'punch'),
      staticPeers: this.staticPeers,
      logger: this.init.logger
    }, this.init)
    const max = this.init.maxStreams ?? 4096
    await this.c.registrar.handle(TUNNEL_PROTOCOL, (stream, connection) => {
      this.onInbound(stream, connection).catch((err: unknown) => {
        this.log.debug({ err }, 'inbound tunnel stream failed')
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      })
    }, { runOnLimitedConnection: true, maxInboundStreams: max, maxOutboundStreams: max })
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.nodeDialer?.stop()
    this.nodeDialer = undefined
    await this.c.registrar.unhandle(TUNNEL_PROTOCOL)
    for (const l of this.live) l.destroy()
    this.live.clear()
  }

  /** Adds or replaces (undefined: removes) a fixed node name → peer mapping, consulted before the resolver. Data, not a dependency. */
  setStaticPeer (nodeName: string, peer: StaticPeer | undefined): void {
    if (peer === undefined) this.staticPeers.delete(nodeName)
    else this.staticPeers.set(nodeName, peer)
  }

  metrics (): PeerMetrics[] { return this.nodeDialer?.metrics() ?? [] }
  /** Prometheus text of the registry the tunnel samples into (its own, or the process's). */
  async prometheus (): Promise<string> { return await this.registry.render() }

  /** An optional libp2p service by name, if it has `method`. libp2p's components throw on unknown names. */
  private service<T> (name: string, method: string): T | undefined {
    let found: unknown
    try { found = (this.c as unknown as Record<string, unknown>)[name] } catch { return undefined }
    return typeof (found as Record<string, unknown> | undefined)?.[method] === 'function' ? found as T : undefined
  }

  /** Opens a TCP flow to `target` on node `nodeName`; the Duplex is ready for `socket.pipe()`. */
  async openTcp (nodeName: string, target: TunnelTarget, signal: AbortSignal): Promise<Duplex> {
    const { stream, track } = await this.open({ protocol: 'tcp', nodeName, ...target }, signal)
    const duplex = streamToDuplex(stream, { onBytesIn: track.bytesIn, onBytesOut: track.bytesOut })
    duplex.once('close', track.closed)
    this.live.add(duplex)
    duplex.once('close', () => this.live.delete(duplex))
    return duplex
  }

  /** Opens a UDP session to `target` on node `nodeName`. */
  async openUdp (nodeName: string, target: TunnelTarget, signal: AbortSignal): Promise<UdpTunnelSession> {
    const { stream, track } = await this.open({ protocol: 'udp', nodeName, ...target }, signal)
    const ds = new DatagramStream(stream)
    const handle = { destroy: () => { ds.abort(new TunnelError('MESH_NOT_STARTED', 'tunnel service stopped')) } }
    this.live.add(handle)
    ds.addEventListener('close', () => {
      this.live.delete(handle)
      track.bytesIn(ds.bytesIn)
      track.bytesOut(ds.bytesOut)
      track.closed()
    }, { once: true })
    return {
      send: (d) => ds.send(d),
      onDatagram: (fn) => { ds.addEventListener('datagram', (e) => { fn(e.detail) }) },
      onClose: (fn) => { ds.addEventListener('close', (e) => { fn(e.detail) }) },
      close: () => { ds.close() }
    }
  }

  private async open (req: TunnelRequest, signal: AbortSignal): Promise<{ stream: Stream, track: ReturnType<NodeDialer['track']> }> {
    let conn = await this.dialer.connect(req.nodeName, signal)
    let stream: Stream
    try {
      stream = await this.request(conn, req, signal)
    } catch (err) {
      // A relayed connection may close under us when the peer migrates to a punched/direct one;
      // this flow has not started yet, so retrying once on the new connection is invisible to it.
      const retriable = !signal.aborted && conn.status !== 'open' && hasCode(err, 'MESH_STREAM_FAILED')
      if (!retriable) throw err
      this.log.debug({ nodeName: req.nodeName }, 'connection closed while opening a flow; retrying once')
      conn = await this.dialer.connect(req.nodeName, signal)
      stream = await this.request(conn, req, signal)
    }
    const track = this.dialer.track(req.nodeName, conn.remotePeer)
    track.opened()
    return { stream, track }
  }

  private async request (conn: Connection, req: TunnelRequest, signal: AbortSignal): Promise<Stream> {
    const budget = AbortSignal.any([signal, AbortSignal.timeout(this.init.responseTimeoutMs ?? 15_000)])
    // libp2p's negotiation and our reader each listen on it; the default cap of 10 only produces warnings.
    setMaxListeners(Infinity, budget)
    let stream: Stream | undefined
    try {
      stream = await conn.newStream(TUNNEL_PROTOCOL, { signal: budget, runOnLimitedConnection: true })
      stream.send(encodeRequest(req))
      const res = decodeResponseBody(await readFrame(stream, budget))
      if (!res.ok) {
        const code = res.code as ConstructorParameters<typeof TunnelError>[0]
        throw new TunnelError(code, `node "${req.nodeName}" refused ${req.protocol} ${req.ip}:${req.port}: ${res.message}`)
      }
      return stream
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      if (err instanceof TunnelError && err.code !== 'MESH_BAD_HEADER') throw err
      if (signal.aborted) throw new AbortError()
      throw new TunnelError('MESH_STREAM_FAILED', `tunnel stream to "${req.nodeName}" failed before the response`, { cause: err })
    }
  }

  private async refuse (stream: Stream, code: string, message: string): Promise<void> {
    try {
      stream.send(encodeResponse({ ok: false, code, message }))
      await stream.close({ signal: AbortSignal.timeout(2000) })
    } catch (err) {
      stream.abort(err instanceof Error ? err : new TunnelError('MESH_STREAM_FAILED', `could not send the ${code} refusal`))
    }
  }

  private async onInbound (stream: Stream, connection: Connection): Promise<void> {
    const peerNode = this.c.auth.nodeNameOf(connection.remotePeer)
    if (peerNode === undefined) {
      this.log.warn({ peer: connection.remotePeer.toString() }, 'tunnel stream from unauthenticated peer refused')
      await this.refuse(stream, 'AUTH_REQUIRED', 'authenticate with /edgemesh/auth/1.0.0 first')
      // Give the refusal a moment to be read (closing at once races the remote's protocol negotiation),
      // then drop the connection: a peer that skips authentication gets no second chance on it.
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, 1000)
        stream.addEventListener('close', () => { clearTimeout(t); resolve() }, { once: true })
      })
      await connection.close({ signal: AbortSignal.timeout(1000) }).catch((err: Error) => { connection.abort(err) })
      return
    }
    let req: TunnelRequest
    try {
      req = decodeRequestBody(await readFrame(stream, AbortSignal.timeout(this.init.headerTimeoutMs ?? 5000)))
    } catch (err) {
      await this.refuse(stream, 'MESH_BAD_HEADER', err instanceof Error ? err.message : 'bad header')
      return
    }
    if (req.nodeName !== this.init.nodeName) {
      await this.refuse(stream, 'MESH_WRONG_NODE', `this is node "${this.init.nodeName}"`)
      return
    }
    const target = { protocol: req.protocol, ip: req.ip, port: req.port }
    let allowed = false
    try {
      allowed = await this.policy.allow(peerNode, target)
    } catch (err) {
      this.log.warn({ err }, 'target policy threw; denying')
    }
    if (!allowed) {
      this.log.info({ peerNode, ...target }, 'tunnel target denied')
      await this.refuse(stream, 'MESH_TARGET_DENIED', `${req.protocol} ${req.ip}:${req.port} is not a service endpoint on this node`)
      return
    }
    const track = this.dialer.track(peerNode, connection.remotePeer)
    if (req.protocol === 'tcp') await this.serveTcp(stream, req, track)
    else await this.serveUdp(stream, req, track)
  }

  private async serveTcp (stream: Stream, req: TunnelRequest, track: ReturnType<NodeDialer['track']>): Promise<void> {
    let socket: Socket
    try {
      socket = await dialTcp(req.ip, req.port, this.init.dialTimeoutMs ?? 5000)
    } catch (err) {
      await this.refuse(stream, 'MESH_DIAL_FAILED', `cannot connect to ${req.ip}:${req.port}: ${(err as Error).message}`)
      return
    }
    try {
      stream.send(encodeResponse({ ok: true }))
    } catch (err) {
      // The stream was reset while we dialled: do not leave the target connection open.
      socket.destroy()
      throw err
    }
    track.opened()
    const duplex = streamToDuplex(stream, { onBytesIn: track.bytesIn, onBytesOut: track.bytesOut })
    this.live.add(duplex)
    pipeline(socket, duplex, socket, (err) => {
      this.live.delete(duplex)
      track.closed()
      if (err != null) this.log.debug({ err: err.message }, 'tunnelled tcp flow ended with error')
    })
  }

  private async serveUdp (stream: Stream, req: TunnelRequest, track: ReturnType<NodeDialer['track']>): Promise<void> {
    const sock: UdpSocket = createSocket(isIPv6(req.ip) ? 'udp6' : 'udp4')
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject)
        sock.connect(req.port, req.ip, () => { sock.off('error', reject); resolve() })
      })
    } catch (err) {
      sock.close()
      await this.refuse(stream, 'MESH_DIAL_FAILED', `cannot open udp to ${req.ip}:${req.port}: ${(err as Error).message}`)
      return
    }
    stream.send(encodeResponse({ ok: true }))
    track.opened()
    const ds = new DatagramStream(stream)
    const idleMs = this.init.udpIdleTimeoutMs ?? 60_000
    let idle: ReturnType<typeof setTimeout> | undefined
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      clearTimeout(idle)
      this.live.delete(handle)
      try { sock.close() } catch { // already closed by an error
      }
      ds.close()
      track.bytesIn(ds.bytesIn)
      track.bytesOut(ds.bytesOut)
      track.closed()
    }
    const handle = { destroy: () => { finish(); ds.abort(new TunnelError('MESH_NOT_STARTED', 'tunnel service stopped')) } }
    this.live.add(handle)
    const touch = (): void => {
      clearTimeout(idle)
      idle = setTimeout(finish, idleMs)
    }
    touch()
    // Errors such as ICMP port unreachable surface here; UDP is lossy, so they only end nothing.
    sock.on('error', (err) => { this.log.debug({ err: err.message }, 'udp target error') })
    sock.on('message', (msg) => { touch(); ds.send(msg) })
    // After an idle finish the remote may still deliver datagrams; sending on the closed socket would throw
    // inside an event listener, which Node reports as an uncaught exception.
    ds.addEventListener('datagram', (e) => { if (done) return; touch(); sock.send(e.detail) })
    ds.addEventListener('close', finish)
  }
}

async function dialTcp (host: string, port: number, timeoutMs: number): Promise<Socket> {
  return await new Promise<Socket>((resolve, reject) => {
    // The Duplex feeds this socket up to 256 KiB at a time; with the default 16 KiB mark every chunk would pause
    // the pipe and wait for 'drain'.
    const s = netConnect({ host, port, allowHalfOpen: true, writableHighWaterMark: 256 * 1024 } as NetConnectOpts)
    const t = setTimeout(() => { s.destroy(); reject(new TunnelError('MESH_DIAL_TIMEOUT', `timed out after ${timeoutMs} ms`)) }, timeoutMs)
    s.once('connect', () => { clearTimeout(t); resolve(s) })
    s.once('error', (err) => { clearTimeout(t); reject(err) })
  })
}

/** libp2p service factory: `services: { auth: meshAuth(...), tunnel: tunnelService({ nodeName, policy }) }`. */
export function tunnelService (init: TunnelServiceInit): (components: TunnelServiceComponents) => TunnelService {
  return (components) => new TunnelService(components, init)
}
