import { EventEmitter } from 'node:events'
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls'
import type { Duplex } from 'node:stream'
import { hasCode, PodStreamError, silentLogger, verifyCert, type KeyAndCert, type Logger, type PodStream, type PodStreamOpener, type PodStreamRequest, type Startable } from '@edgemesh/common'
import {
  createAck, createMessage, decodeMessage, encodeMessage, formatCloudResource, isAck, isValidNodeName,
  MAX_MESSAGE_BYTES, MsgIdWindow, parseEdgeResource, StreamMux, type HubMessage, type ResourceRef, type StreamMuxInit, type StreamMuxStats
} from '@edgemesh/common/hub-protocol'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import type { Clock } from '../bootstrap/clock.js'
import type { HubMetrics } from './metrics.js'
import { NodeQueue, type DownstreamChange, type DownstreamObject } from './node-queue.js'
import type { WatermarkStore } from './watermark-store.js'

/** Where the cloud-hub listens by default (cloudcore's config schema uses the same). */
export const CLOUD_HUB_DEFAULTS = { port: 10000, host: '0.0.0.0' } as const

export interface CloudHubInit {
  /** @default 10000 (0 picks a free port) */
  port?: number
  /** @default '0.0.0.0' */
  host?: string
  /** Unacked downstream messages are sent again after this long. @default 5000 */
  resendMs?: number
  /** A keepalive goes to each node this often. @default 10_000 */
  keepaliveMs?: number
  /** A session with nothing received for this long is closed as half-open. @default 25_000 */
  deadMs?: number
  /** Handshakes (TCP accept to WebSocket open) allowed at once; more are dropped. @default 256 */
  maxHandshakes?: number
  /** A handshake that has not finished by then is dropped. @default 10_000 */
  handshakeTimeoutMs?: number
  /** Downstream messages on the wire unacked per node. @default 64 */
  maxInflight?: number
  /** @default MAX_MESSAGE_BYTES (4 MiB) */
  maxMessageBytes?: number
  /** Upstream msg_ids remembered per node for dedup (only unacked upstream messages are ever resent, so it can be small; it is per node, times 10 000 nodes). @default 1024 */
  dedupWindow?: number
  /** Pod-stream limits per node link (window, frame split size, streams per node, open timeout, socket high-water). @default STREAM_MUX_DEFAULTS */
  podStreams?: StreamMuxInit
}

/** Everything a node should currently have (the edge-controller's view); used to resync on connect. */
export interface DownstreamSource {
  list: (node: string, signal: AbortSignal) => Promise<DownstreamObject[]>
}

/** Receives what nodes send up (status reports, leases, events, query answers). Resolve = commit: only then is it acked. */
export interface UpstreamHandler {
  handle: (node: string, msg: HubMessage, resource: ResourceRef | null) => Promise<void>
}

export interface CloudHubComponents {
  /** Cluster CA (PEM): node client certificates must chain to it. */
  caPem: string
  /** The hub's serving certificate. */
  serving: KeyAndCert
  watermarks: WatermarkStore
  source?: DownstreamSource
  upstream?: UpstreamHandler
  metrics?: HubMetrics
  logger?: Logger
  clock?: Clock
}

export interface CloudHubEvents {
  'node:connect': [node: string]
  'node:disconnect': [node: string, reason: string]
  /** A node connected again while its previous session was still open; the old one is being closed. */
  'node:replaced': [node: string]
}

interface Session {
  node: string
  ws: WebSocket
  lastSeen: number
  lastSent: number
  ac: AbortController
  upstreamChain: Promise<void>
  closed: boolean
  mux: StreamMux
}

const NODE_PREFIX = 'system:node:'
const NODE_GROUP = 'system:nodes'
const SOURCE = 'cloudhub'

/**
 * The cloud end of the edge link (DESIGN.md section 3): WebSocket over TLS with mandatory client
 * certificates; the node name comes from the certificate CN only. Each node has an ordered, UID-coalesced
 * queue; every downstream message is acked, resent every `resendMs` until it is, and its acked version is
 * written to the WatermarkStore so a reconnect (to this or another cloudcore) sends exactly what changed.
 */
export class CloudHub extends EventEmitter<CloudHubEvents> implements Startable {
  private readonly init: Required<CloudHubInit>
  private readonly log: Logger
  private readonly clock: Clock
  private readonly queues = new Map<string, NodeQueue>()
  private readonly sessions = new Map<string, Session>()
  private readonly dedup = new Map<string, MsgIdWindow>()
  private readonly pumping = new Set<string>()
  private readonly sockets = new Set<Socket | Duplex>()
  private readonly peers = new WeakMap<object, { node: string, done: () => void }>()
  private net?: NetServer
  private http?: HttpServer
  private wss?: WebSocketServer
  private timer?: ReturnType<typeof setInterval>
  private handshakes = 0
  private ctx?: SecureContext
  private caPem: string
  private boundPort = 0

  constructor (private readonly components: CloudHubComponents, init: CloudHubInit = {}) {
    super()
    this.init = {
      port: init.port ?? CLOUD_HUB_DEFAULTS.port,
      host: init.host ?? CLOUD_HUB_DEFAULTS.host,
      resendMs: init.resendMs ?? 5000,
      keepaliveMs: init.keepaliveMs ?? 10_000,
      deadMs: init.deadMs ?? 25_000,
      maxHandshakes: init.maxHandshakes ?? 256,
      handshakeTimeoutMs: init.handshakeTimeoutMs ?? 10_000,
      maxInflight: init.maxInflight ?? 64,
      maxMessageBytes: init.maxMessageBytes ?? MAX_MESSAGE_BYTES,
      dedupWindow: init.dedupWindow ?? 1024,
      podStreams: init.podStreams ?? {}
    }
    this.log = (components.logger ?? silentLogger()).child({ component: 'cloud-hub' })
    this.caPem = components.caPem
    this.clock = components.clock ?? { now: () => Date.now() }
  }

  readonly [Symbol.toStringTag] = '@edgemesh/cloud-hub'

  get port (): number { return this.boundPort }
  isStarted (): boolean { return this.net !== undefined }
  /** Nodes with an open session. */
  connectedNodes (): string[] { return [...this.sessions.keys()] }
  queueDepth (node: string): number { return this.queues.get(node)?.depth ?? 0 }
  /** Pod-stream state of a node's current session (undefined when not connected): buffered and queued bytes, streams, drops. */
  podStreamStats (node: string): StreamMuxStats | undefined { return this.sessions.get(node)?.mux.stats() }

  /** The PodStreamOpener the API server's pod subresources (logs/exec/attach/port-forward) use for edge nodes. */
  readonly podStreams: PodStreamOpener = { open: async (node, req, signal) => await this.openPodStream(node, req, signal) }

  /**
   * Opens a pod stream on the node's current session; resolves once the node accepts it. Rejects with
   * PodStreamRefusal (the node refused: its HTTP status and message; 501 when the node serves no pod streams),
   * PodStreamError POD_STREAM_UNAVAILABLE (not connected, `podStreams.maxStreams` reached, no answer within
   * `podStreams.openTimeoutMs`, or the link lost meanwhile), POD_STREAM_INVALID (request outside the schema),
   * or AbortError when `signal` aborts first. `signal` bounds the open only: end or abort the stream itself.
   * The stream is aborted (POD_STREAM_ABORTED) when the node's link is lost or replaced.
   */
  async openPodStream (node: string, req: PodStreamRequest, signal?: AbortSignal): Promise<PodStream> {
    const s = this.sessions.get(node)
    if (s === undefined || s.closed) throw new PodStreamError('POD_STREAM_UNAVAILABLE', `node ${node} is not connected to this cloud-hub`)
    return await s.mux.open(req, signal)
  }

  async start (): Promise<void> {
    if (this.net !== undefined) return
    this.ctx = createSecureContext({ cert: this.components.serving.certPem, key: this.components.serving.keyPem, ca: this.caPem })
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.init.maxMessageBytes, perMessageDeflate: false })
    const http = createHttpServer((_req, res) => { res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n') })
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head))
    // TLS is terminated by hand so every stage from TCP accept to WebSocket open counts against the
    // handshake bound, and so a rotated serving cert can be swapped in with a new secure context.
    const net = createNetServer(raw => {
      if (this.handshakes >= this.init.maxHandshakes) {
        this.log.warn({ code: 'CLOUDHUB_HANDSHAKE_LIMIT', limit: this.init.maxHandshakes }, 'too many handshakes in progress; dropping connection')
        raw.destroy()
        return
      }
      this.handshakes++
      this.sockets.add(raw)
      let counted = true
      const done = (): void => { if (counted) { counted = false; this.handshakes-- } }
      const t = setTimeout(() => { done(); raw.destroy() }, this.init.handshakeTimeoutMs)
      raw.once('close', () => { clearTimeout(t); done(); this.sockets.delete(raw) })
      // A peer resetting mid-handshake must not become an unhandled 'error' on the raw socket.
      raw.on('error', err => { this.log.debug({ err }, 'socket error') })
      const tls = new TLSSocket(raw, { isServer: true, secureContext: this.ctx, requestCert: true, rejectUnauthorized: false })
      tls.on('error', err => { this.log.debug({ err }, 'TLS error') })
      tls.once('secure', () => {
        // A hand-made server TLSSocket does not fill in `authorized`, so the chain is checked here; TLS
        // itself already proved the client holds the certificate's key (CertificateVerify).
        const node = this.verifyPeer(tls)
        if (node === undefined) { tls.destroy(); return }
        this.peers.set(tls, { node, done: () => { clearTimeout(t); done() } })
        http.emit('connection', tls)
      })
    })
    await new Promise<void>((resolve, reject) => {
      net.once('error', reject)
      net.listen(this.init.port, this.init.host, () => { net.off('error', reject); resolve() })
    })
    this.boundPort = (net.address() as AddressInfo).port
    this.net = net
    this.http = http
    this.wss = wss
    const tick = Math.max(20, Math.min(this.init.resendMs, this.init.keepaliveMs, this.init.deadMs) / 4)
    this.timer = setInterval(() => this.onTick(), tick)
    this.timer.unref?.()
    this.log.info({ port: this.boundPort }, 'cloud-hub listening')
  }

  async stop (): Promise<void> {
    const net = this.net
    if (net === undefined) return
    this.net = undefined
    clearInterval(this.timer)
    for (const s of [...this.sessions.values()]) this.endSession(s, 1001, 'cloud-hub stopping', true)
    for (const sock of this.sockets) sock.destroy()
    this.sockets.clear()
    this.wss?.close()
    this.http?.close()
    await new Promise<void>(resolve => net.close(() => resolve()))
  }

  /**
   * Serves a renewed certificate (and/or a new CA bundle) from the next handshake on, without dropping
   * open sessions (kubeedge #5788: rotated certs not reloaded).
   */
  updateCredentials (serving: KeyAndCert, caPem = this.caPem): void {
    this.ctx = createSecureContext({ cert: serving.certPem, key: serving.keyPem, ca: caPem })
    this.caPem = caPem
  }

  /** Queues a change for a node (live changes from the edge-controller). Coalesced by object UID. */
  publish (node: string, change: DownstreamChange): void {
    this.queue(node).push(change)
    this.components.metrics?.queueDepth(node, this.queue(node).depth)
    void this.pump(node)
  }

  private queue (node: string): NodeQueue {
    let q = this.queues.get(node)
    if (q === undefined) { q = new NodeQueue(); this.queues.set(node, q) }
    return q
  }

  /** The node a client certificate names, or undefined (logged) when it is missing, untrusted or not a node's. */
  private verifyPeer (socket: TLSSocket): string | undefined {
    const peer = socket.getPeerCertificate()
    if (peer?.raw === undefined) {
      this.log.warn({ code: 'CLOUDHUB_UNAUTHORIZED' }, 'client presented no certificate')
      return undefined
    }
    const pem = `-----BEGIN CERTIFICATE-----\n${peer.raw.toString('base64')}\n-----END CERTIFICATE-----\n`
    let info
    try {
      info = verifyCert(pem, this.caPem)
    } catch (err) {
      this.log.warn({ code: 'CLOUDHUB_UNAUTHORIZED', reason: (err as { code?: string }).code }, 'client certificate not valid for the cluster CA')
      return undefined
    }
    const name = info.commonName.startsWith(NODE_PREFIX) ? info.commonName.slice(NODE_PREFIX.length) : ''
    if (!info.organizations.includes(NODE_GROUP) || !isValidNodeName(name)) {
      this.log.warn({ code: 'CLOUDHUB_UNAUTHORIZED', cn: info.commonName }, 'client certificate does not name a node (CN system:node:<name>, O system:nodes)')
      return undefined
    }
    return name
  }

  private onUpgrade (req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const peer = this.peers.get(socket)
    if (peer === undefined) { socket.destroy(); return }
    this.wss?.handleUpgrade(req, socket, head, ws => {
      peer.done()
      this.attach(peer.node, ws)
    })
  }

  private attach (node: string, ws: WebSocket): void {
    const old = this.sessions.get(node)
    const now = this.clock.now()
    const s: Session = { node, ws, lastSeen: now, lastSent: now, ac: new AbortController(), upstreamChain: Promise.resolve(), closed: false, mux: this.streamMux(node, ws) }
    this.sessions.set(node, s)
    if (old !== undefined) {
      // kubeedge #4070: the new connection wins; the old one may be a half-open ghost.
      this.log.info({ code: 'CLOUDHUB_SESSION_REPLACED', node }, 'node reconnected; closing its previous session')
      this.endSession(old, 4000, 'replaced by a newer connection', true)
      this.emit('node:replaced', node)
    }
    this.components.metrics?.connected(this.sessions.size)
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(s, data, isBinary))
    const alive = (): void => { s.lastSeen = this.clock.now() }
    ws.on('pong', alive)
    ws.on('ping', alive)
    ws.on('error', err => {
      if (hasCode(err, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')) this.log.warn({ code: 'HUB_MESSAGE_TOO_LARGE', node }, 'frame over the size limit; closing')
      else this.log.debug({ err, node }, 'websocket error')
    })
    ws.on('close', (code, reason) => this.endSession(s, code, reason.toString() || 'closed', false))
    this.queue(node).resetSent()
    this.log.info({ node }, 'node connected')
    this.emit('node:connect', node)
    void this.resync(s)
  }

  /** The pod-stream multiplexer of one session: binary messages on its WebSocket. */
  private streamMux (node: string, ws: WebSocket): StreamMux {
    const m = this.components.metrics
    return new StreamMux('cloud', {
      transport: {
        send: (frame, done) => {
          m?.bytes(node, 'out', frame.length)
          ws.send(frame, () => done())
        },
        bufferedAmount: () => ws.bufferedAmount
      },
      observer: m === undefined
        ? undefined
        : {
            opened: kind => m.podStreamOpened(kind),
            closed: kind => m.podStreamClosed(kind),
            bytes: (direction, n) => m.podStreamBytes(direction, n),
            refused: status => m.podStreamRefused(status),
            aborted: cause => m.podStreamAborted(cause),
            dropped: reason => m.streamFrameDropped(reason)
          },
      logger: this.log.child({ node })
    }, this.init.podStreams)
  }

  private endSession (s: Session, code: number, reason: string, closeSocket: boolean): void {
    if (s.closed) return
    s.closed = true
    s.ac.abort()
    s.mux.close(reason)
    if (closeSocket) {
      try { s.ws.close(code, reason) } catch { /* already closing */ }
      // A half-open peer never answers the close frame.
      const t = setTimeout(() => s.ws.terminate(), 1000)
      t.unref?.()
    }
    if (this.sessions.get(s.node) === s) {
      this.sessions.delete(s.node)
      this.components.metrics?.connected(this.sessions.size)
      this.log.info({ node: s.node, code, reason }, 'node disconnected')
      this.emit('node:disconnect', s.node, reason)
    }
  }

  private send (s: Session, msg: HubMessage): void {
    const text = encodeMessage(msg)
    s.lastSent = this.clock.now()
    this.components.metrics?.bytes(s.node, 'out', Buffer.byteLength(text))
    s.ws.send(text)
  }

  /** Diffs what the node should have against its watermarks and queues exactly the difference. */
  private async resync (s: Session): Promise<void> {
    const source = this.components.source
    try {
      if (source !== undefined) {
        const [objects, marks] = await Promise.all([source.list(s.node, s.ac.signal), this.components.watermarks.list(s.node)])
        if (s.closed) return
        const q = this.queue(s.node)
        const want = new Set<string>()
        for (const o of objects) {
          want.add(o.uid)
          if (marks.get(o.uid)?.resourceVersion !== o.resourceVersion && q.pending(o.uid) === undefined) q.push({ type: 'upsert', object: o })
        }
        for (const [uid, m] of marks) {
          if (!want.has(uid) && q.pending(uid)?.type !== 'delete') {
            q.push({ type: 'delete', object: { uid, resourceVersion: m.resourceVersion, namespace: m.namespace, kind: m.kind, name: m.name } })
          }
        }
      }
    } catch (err) {
      if (!s.closed) this.log.warn({ err, node: s.node }, 'resync failed; sending what is queued')
    }
    this.components.metrics?.queueDepth(s.node, this.queue(s.node).depth)
    if (!s.closed) this.resend(s, this.clock.now())
    await this.pump(s.node)
  }

  private async pump (node: string): Promise<void> {
    if (this.pumping.has(node)) return
    this.pumping.add(node)
    try {
      for (;;) {
        const s = this.sessions.get(node)
        if (s === undefined || s.closed) return
        const q = this.queue(node)
        const room = this.init.maxInflight - q.inflight
        if (room <= 0) return
        const batch = q.unsent(room)
        if (batch.length === 0) return
        for (const [uid, e] of batch) {
          const o = e.change.object
          let op: 'insert' | 'update' | 'delete' = 'delete'
          if (e.change.type === 'upsert') op = (await this.components.watermarks.get(node, uid)) === undefined ? 'insert' : 'update'
          if (s.closed || this.sessions.get(node) !== s) return
          // The entry may have been superseded while we awaited the watermark.
          if (q.pending(uid) !== e.change) continue
          const msg = createMessage({
            operation: op,
            source: SOURCE,
            resource: formatCloudResource({ node, namespace: o.namespace, kind: o.kind, name: o.name }),
            resourceVersion: o.resourceVersion,
            content: op === 'delete' ? { metadata: { uid, name: o.name, namespace: o.namespace ?? undefined, resourceVersion: o.resourceVersion } } : o.object ?? null
          })
          q.markSent(uid, msg.header.msg_id, this.clock.now(), op)
          this.send(s, msg)
        }
      }
    } catch (err) {
      this.log.warn({ err, node }, 'sending to node failed')
    } finally {
      this.pumping.delete(node)
    }
  }

  private resend (s: Session, now: number): void {
    const q = this.queue(s.node)
    const due = q.overdue(now, this.init.resendMs)
    if (due.length === 0) return
    let n = 0
    for (const [uid, e] of due) {
      const o = e.change.object
      const msgId = e.msgId
      if (msgId === undefined) continue
      // Resent with the same msg_id: an edge that applied it but whose ack was lost just acks again.
      const msg = createMessage({
        msgId,
        operation: e.operation ?? (e.change.type === 'delete' ? 'delete' : 'update'),
        source: SOURCE,
        resource: formatCloudResource({ node: s.node, namespace: o.namespace, kind: o.kind, name: o.name }),
        resourceVersion: o.resourceVersion,
        content: e.change.type === 'delete' ? { metadata: { uid, name: o.name, namespace: o.namespace ?? undefined, resourceVersion: o.resourceVersion } } : o.object ?? null
      })
      q.markSent(uid, msgId, now)
      this.send(s, msg)
      n++
    }
    if (n > 0) {
      this.components.metrics?.resent(s.node, n)
      this.log.debug({ node: s.node, n }, 'resent unacked messages')
    }
  }

  private onTick (): void {
    const now = this.clock.now()
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastSeen > this.init.deadMs) {
        this.log.warn({ code: 'CLOUDHUB_KEEPALIVE_TIMEOUT', node: s.node, silentMs: now - s.lastSeen }, 'no traffic from node; closing half-open session')
        this.endSession(s, 4001, 'keepalive timeout', false)
        s.ws.terminate()
        continue
      }
      this.resend(s, now)
      // A WebSocket ping (a few bytes on the wire; the node's ws answers with a pong), not a keepalive
      // envelope: weak links pay for every idle byte (kubeedge #6491). Keepalive envelopes from nodes are still accepted.
      if (now - s.lastSent >= this.init.keepaliveMs) { s.lastSent = now; s.ws.ping() }
    }
  }

  private onMessage (s: Session, data: RawData, isBinary: boolean): void {
    if (s.closed) return
    s.lastSeen = this.clock.now()
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    this.components.metrics?.bytes(s.node, 'in', buf.length)
    // Binary messages are pod-stream frames; envelopes are always text.
    if (isBinary) { s.mux.receive(buf); return }
    let msg: HubMessage
    try {
      msg = decodeMessage(buf, this.init.maxMessageBytes)
    } catch (err) {
      this.log.warn({ code: (err as { code?: string }).code, node: s.node, msgId: (err as { msgId?: string }).msgId, msg: (err as Error).message }, 'bad message from node; ignored')
      return
    }
    const op = msg.route.operation
    if (op === 'keepalive') return
    if (isAck(msg)) { void this.onAck(s, msg.header.parent_msg_id); return }
    let resource: ResourceRef | null = null
    if (msg.route.resource !== '') {
      try {
        resource = parseEdgeResource(msg.route.resource)
      } catch (err) {
        this.log.warn({ code: 'HUB_RESOURCE_INVALID', node: s.node, msgId: msg.header.msg_id, msg: (err as Error).message }, 'bad resource from node; ignored')
        return
      }
    } else if (op !== 'response') {
      this.log.warn({ code: 'HUB_RESOURCE_INVALID', node: s.node, msgId: msg.header.msg_id }, 'message without resource; ignored')
      return
    }
    this.onUpstream(s, msg, resource)
  }

  private async onAck (s: Session, parent: string): Promise<void> {
    const q = this.queue(s.node)
    const acked = q.ack(parent)
    if (acked === undefined) {
      this.log.debug({ code: 'CLOUDHUB_ACK_UNKNOWN', node: s.node, parent }, 'ack for a message that is not pending')
      return
    }
    const o = acked.change.object
    try {
      if (acked.change.type === 'delete') await this.components.watermarks.delete(s.node, o.uid)
      else await this.components.watermarks.put(s.node, o.uid, { resourceVersion: o.resourceVersion, namespace: o.namespace, kind: o.kind, name: o.name })
    } catch (err) {
      this.log.warn({ err, node: s.node }, 'watermark write failed; the object will be resent on the next resync')
    }
    q.prune(this.init.maxInflight * 4)
    this.components.metrics?.acked(s.node, (this.clock.now() - acked.firstSentAt) / 1000)
    this.components.metrics?.queueDepth(s.node, q.depth)
    await this.pump(s.node)
  }

  private onUpstream (s: Session, msg: HubMessage, resource: ResourceRef | null): void {
    let seen = this.dedup.get(s.node)
    if (seen === undefined) { seen = new MsgIdWindow(this.init.dedupWindow); this.dedup.set(s.node, seen) }
    const window = seen
    s.upstreamChain = s.upstreamChain.then(async () => {
      if (s.closed) return
      if (window.has(msg.header.msg_id)) {
        this.log.debug({ code: 'CLOUDHUB_MESSAGE_DUPLICATE', node: s.node, msgId: msg.header.msg_id }, 'duplicate upstream message; acking again')
        this.send(s, createAck(msg, SOURCE))
        return
      }
      try {
        await this.components.upstream?.handle(s.node, msg, resource)
      } catch (err) {
        this.log.warn({ code: 'CLOUDHUB_UPSTREAM_FAILED', err, node: s.node, msgId: msg.header.msg_id }, 'upstream handler failed; not acked')
        return
      }
      window.add(msg.header.msg_id)
      if (!s.closed) this.send(s, createAck(msg, SOURCE))
    })
  }
}
