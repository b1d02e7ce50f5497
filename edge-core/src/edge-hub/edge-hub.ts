import { EventEmitter } from 'node:events'
import { AbortError, silentLogger, sleep, type Logger, type PodStreamHandler, type Startable } from '@edgemesh/common'
import {
  cloudToEdgeResource, createAck, createMessage, decodeMessage, encodeMessage, isAck, MAX_MESSAGE_BYTES,
  parseEdgeResource, StreamMux, type HubMessage, type MessageInit, type ResourceRef, type StreamMuxInit, type StreamMuxStats
} from '@edgemesh/common/hub-protocol'
import { WebSocket, type RawData } from 'ws'
import { MemoryDedupStore, type DedupStore } from './dedup-store.js'
import { EdgeHubError } from './errors.js'

export interface EdgeHubInit {
  /** Cloud-hub URLs (`wss://host:10000`); on failure the next one is tried. */
  urls: string[]
  /** This node's name (the CN of its certificate is `system:node:<nodeName>`). */
  nodeName: string
  /** Node client certificate and key, and the cluster CA that the cloud-hub's certificate must chain to. */
  certPem: string
  keyPem: string
  caPem: string
  /** A keepalive goes up this often. @default 10_000 */
  keepaliveMs?: number
  /** The link is declared dead when nothing arrived for this long. @default 25_000 */
  deadMs?: number
  /** Unacked upstream messages are sent again after this long. @default 5000 */
  resendMs?: number
  /** First reconnect delay; doubles per failure up to `backoffMaxMs`, with full jitter. @default 500 */
  backoffInitialMs?: number
  /** @default 30_000 */
  backoffMaxMs?: number
  /** TLS + WebSocket handshake time limit. @default 10_000 */
  connectTimeoutMs?: number
  /** @default MAX_MESSAGE_BYTES (4 MiB) */
  maxMessageBytes?: number
  /** Pod-stream limits of the link (receive window, frame split size, streams served at once, socket high-water). @default STREAM_MUX_DEFAULTS */
  podStreams?: StreamMuxInit
}

/** Applies one downstream message; resolve only after it is committed (the ack follows). */
export interface DownstreamHandler {
  handle: (msg: HubMessage, resource: ResourceRef, signal: AbortSignal) => Promise<void>
}

export interface EdgeHubComponents {
  handler: DownstreamHandler
  /** @default an in-memory window of 4096 msg_ids */
  dedup?: DedupStore
  logger?: Logger
  /** For jitter. @default Math.random */
  random?: () => number
  /** Serves the pod streams (logs/exec/attach/port-forward) the cloud opens. @default none: every open is refused with 501 */
  podStreams?: PodStreamHandler
}

export interface EdgeHubEvents {
  'hub:connect': [url: string]
  'hub:disconnect': [reason: string]
}

export type UpstreamInit = Omit<MessageInit, 'msgId' | 'timestamp'>

interface Pending {
  msg: HubMessage
  text: string
  sentAt: number
  resolve: (ack: HubMessage) => void
  reject: (err: unknown) => void
}

interface Link {
  ws: WebSocket
  url: string
  lastSeen: number
  lastSent: number
  chain: Promise<void>
  ac: AbortController
  mux: StreamMux
}

const SOURCE = 'edgehub'

/**
 * The edge end of the edge link: dials the cloud-hub itself (so it works behind NAT), keeps the link alive,
 * applies downstream messages strictly in order through the handler and acks each only after the handler
 * resolves; msg_ids already applied are acked again without re-applying. Upstream messages are resent until
 * the cloud acks them, across reconnects.
 */
export class EdgeHub extends EventEmitter<EdgeHubEvents> implements Startable {
  private readonly init: Required<EdgeHubInit>
  private readonly log: Logger
  private readonly dedup: DedupStore
  private readonly random: () => number
  private readonly pending = new Map<string, Pending>()
  private ac?: AbortController
  private loop?: Promise<void>
  private link?: Link
  private timer?: ReturnType<typeof setInterval>

  constructor (private readonly components: EdgeHubComponents, init: EdgeHubInit) {
    super()
    if (init.urls.length === 0) throw new TypeError('EdgeHub needs at least one cloud-hub URL')
    this.init = {
      keepaliveMs: 10_000,
      deadMs: 25_000,
      resendMs: 5000,
      backoffInitialMs: 500,
      backoffMaxMs: 30_000,
      connectTimeoutMs: 10_000,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      podStreams: {},
      ...init
    }
    this.log = (components.logger ?? silentLogger()).child({ component: 'edge-hub', node: init.nodeName })
    this.dedup = components.dedup ?? new MemoryDedupStore()
    this.random = components.random ?? Math.random
  }

  readonly [Symbol.toStringTag] = '@edgemesh/edge-hub'

  isStarted (): boolean { return this.ac !== undefined }
  isConnected (): boolean { return this.link !== undefined }
  /** The URL of the current connection. */
  get connectedUrl (): string | undefined { return this.link?.url }
  /** Pod-stream state of the current link (undefined while offline). */
  podStreamStats (): StreamMuxStats | undefined { return this.link?.mux.stats() }

  async start (): Promise<void> {
    if (this.ac !== undefined) return
    const ac = new AbortController()
    this.ac = ac
    const tick = Math.max(20, Math.min(this.init.keepaliveMs, this.init.deadMs, this.init.resendMs) / 4)
    this.timer = setInterval(() => this.onTick(), tick)
    this.timer.unref?.()
    this.loop = this.run(ac.signal)
  }

  async stop (): Promise<void> {
    const ac = this.ac
    if (ac === undefined) return
    this.ac = undefined
    clearInterval(this.timer)
    ac.abort()
    this.link?.ws.terminate()
    await this.loop
    this.loop = undefined
    for (const p of this.pending.values()) p.reject(new EdgeHubError('EDGEHUB_STOPPED', 'edge-hub stopped before the cloud acked the message'))
    this.pending.clear()
  }

  /**
   * Uses a renewed certificate (or CA bundle) from the next connection on; the current link is kept
   * (kubeedge #5788: rotated certs not reloaded).
   */
  updateCredentials (creds: { certPem: string, keyPem: string, caPem?: string }): void {
    this.init.certPem = creds.certPem
    this.init.keyPem = creds.keyPem
    if (creds.caPem !== undefined) this.init.caPem = creds.caPem
  }

  /** Resolves once connected (immediately if already). */
  async waitForConnect (signal?: AbortSignal): Promise<void> {
    if (this.link !== undefined) return
    if (signal?.aborted === true) throw new AbortError()
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { this.off('hub:connect', onConnect); reject(new AbortError()) }
      const onConnect = (): void => { signal?.removeEventListener('abort', onAbort); resolve() }
      this.once('hub:connect', onConnect)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * Sends a message up and resolves with the cloud's ack (or, for a `query`, its `response`). While offline it waits; it is resent every
   * `resendMs` (same msg_id) until acked. Rejects with AbortError on `signal`, EDGEHUB_STOPPED on stop.
   */
  async send (init: UpstreamInit, signal?: AbortSignal): Promise<HubMessage> {
    if (this.ac === undefined) throw new EdgeHubError('EDGEHUB_STOPPED', 'edge-hub is not started')
    if (signal?.aborted === true) throw new AbortError()
    if (init.resource !== '') parseEdgeResource(init.resource)
    const msg = createMessage({ source: SOURCE, ...init })
    return await new Promise<HubMessage>((resolve, reject) => {
      const onAbort = (): void => { this.pending.delete(msg.header.msg_id); reject(new AbortError()) }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.pending.set(msg.header.msg_id, {
        msg,
        text: encodeMessage(msg),
        sentAt: 0,
        resolve: ack => { signal?.removeEventListener('abort', onAbort); resolve(ack) },
        reject: err => { signal?.removeEventListener('abort', onAbort); reject(err) }
      })
      this.flushUpstream()
    })
  }

  private async run (signal: AbortSignal): Promise<void> {
    let attempt = 0
    let i = 0
    while (!signal.aborted) {
      const url = this.init.urls[i % this.init.urls.length] as string
      try {
        const ws = await this.connect(url, signal)
        attempt = 0
        await this.serve(ws, url)
      } catch (err) {
        if (signal.aborted) return
        this.log.warn({ code: 'EDGEHUB_CONNECT_FAILED', url, msg: (err as Error).message }, 'cannot reach cloud-hub')
        attempt++
        i++
      }
      if (signal.aborted) return
      // Full jitter: a cloudcore restart must not see every node come back in the same millisecond.
      const cap = Math.min(this.init.backoffMaxMs, this.init.backoffInitialMs * 2 ** Math.min(attempt, 20))
      try { await sleep(Math.floor(this.random() * cap), signal) } catch { return }
    }
  }

  private async connect (url: string, signal: AbortSignal): Promise<WebSocket> {
    const ws = new WebSocket(url, {
      cert: this.init.certPem,
      key: this.init.keyPem,
      ca: this.init.caPem,
      handshakeTimeout: this.init.connectTimeoutMs,
      maxPayload: this.init.maxMessageBytes,
      perMessageDeflate: false
    })
    return await new Promise<WebSocket>((resolve, reject) => {
      const onAbort = (): void => { ws.terminate(); reject(new AbortError()) }
      signal.addEventListener('abort', onAbort, { once: true })
      ws.once('open', () => { signal.removeEventListener('abort', onAbort); ws.off('error', reject); resolve(ws) })
      ws.once('error', err => { signal.removeEventListener('abort', onAbort); ws.terminate(); reject(err) })
    })
  }

  /** Runs one connection until it closes. */
  private async serve (ws: WebSocket, url: string): Promise<void> {
    const now = Date.now()
    const mux = new StreamMux('edge', {
      transport: { send: (frame, done) => { ws.send(frame, () => done()) }, bufferedAmount: () => ws.bufferedAmount },
      handler: this.components.podStreams,
      logger: this.log
    }, this.init.podStreams)
    const link: Link = { ws, url, lastSeen: now, lastSent: now, chain: Promise.resolve(), ac: new AbortController(), mux }
    this.link = link
    const closed = new Promise<string>(resolve => {
      ws.on('close', (code, reason) => resolve(`${code} ${reason.toString()}`.trim()))
    })
    ws.on('error', err => this.log.debug({ err }, 'websocket error'))
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(link, data, isBinary))
    const alive = (): void => { link.lastSeen = Date.now() }
    ws.on('pong', alive)
    ws.on('ping', alive)
    this.log.info({ url }, 'connected to cloud-hub')
    this.emit('hub:connect', url)
    // Everything not yet acked goes again at once on a new link.
    for (const p of this.pending.values()) p.sentAt = 0
    this.flushUpstream()
    const reason = await closed
    link.ac.abort()
    // Every pod stream of this link dies with it; the cloud opens new ones on the next link.
    mux.close(reason)
    if (this.link === link) this.link = undefined
    this.log.info({ url, reason }, 'disconnected from cloud-hub')
    this.emit('hub:disconnect', reason)
  }

  private sendRaw (link: Link, text: string): void {
    if (link.ws.readyState !== WebSocket.OPEN) return
    link.lastSent = Date.now()
    link.ws.send(text)
  }

  private flushUpstream (): void {
    const link = this.link
    if (link === undefined) return
    const now = Date.now()
    for (const p of this.pending.values()) {
      if (p.sentAt + this.init.resendMs <= now) { p.sentAt = now; this.sendRaw(link, p.text) }
    }
  }

  private onTick (): void {
    const link = this.link
    if (link === undefined) return
    const now = Date.now()
    if (now - link.lastSeen > this.init.deadMs) {
      this.log.warn({ code: 'EDGEHUB_KEEPALIVE_TIMEOUT', url: link.url, silentMs: now - link.lastSeen }, 'no traffic from cloud-hub; dropping half-open link')
      link.ws.terminate()
      return
    }
    this.flushUpstream()
    // A WebSocket ping, not a keepalive envelope: a few bytes per interval on a weak link. The cloud-hub
    // answers with a pong (and pings us when it is idle), so each side sees the other alive.
    if (now - link.lastSent >= this.init.keepaliveMs && link.ws.readyState === WebSocket.OPEN) { link.lastSent = now; link.ws.ping() }
  }

  private onMessage (link: Link, data: RawData, isBinary: boolean): void {
    link.lastSeen = Date.now()
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    // Binary messages are pod-stream frames; envelopes are always text.
    if (isBinary) { link.mux.receive(buf); return }
    let msg: HubMessage
    try {
      msg = decodeMessage(buf, this.init.maxMessageBytes)
    } catch (err) {
      this.log.warn({ code: (err as { code?: string }).code, msgId: (err as { msgId?: string }).msgId, msg: (err as Error).message }, 'bad message from cloud-hub; ignored')
      return
    }
    if (msg.route.operation === 'keepalive') return
    // An ack, or the answer to a query we sent: either settles the pending upstream message.
    if (msg.route.operation === 'response' && this.pending.has(msg.header.parent_msg_id)) {
      const p = this.pending.get(msg.header.parent_msg_id)
      this.pending.delete(msg.header.parent_msg_id)
      p?.resolve(msg)
      return
    }
    if (isAck(msg)) return // a late duplicate ack
    let resource: ResourceRef
    try {
      resource = parseEdgeResource(cloudToEdgeResource(msg.route.resource, this.init.nodeName))
    } catch (err) {
      this.log.warn({ code: (err as { code?: string }).code, msgId: msg.header.msg_id, msg: (err as Error).message }, 'bad resource from cloud-hub; ignored')
      return
    }
    // Strictly in order: each message waits for the previous one's commit and ack.
    link.chain = link.chain.then(async () => await this.apply(link, msg, resource))
  }

  private async apply (link: Link, msg: HubMessage, resource: ResourceRef): Promise<void> {
    if (link.ac.signal.aborted) return
    const id = msg.header.msg_id
    try {
      if (await this.dedup.has(id)) {
        this.log.debug({ code: 'EDGEHUB_MESSAGE_DUPLICATE', msgId: id }, 'already applied; acking again')
      } else {
        await this.components.handler.handle(msg, resource, link.ac.signal)
        await this.dedup.add(id)
      }
    } catch (err) {
      this.log.warn({ code: 'EDGEHUB_HANDLER_FAILED', err, msgId: id, resource: msg.route.resource }, 'downstream handler failed; not acked')
      return
    }
    this.sendRaw(link, encodeMessage(createAck(msg, SOURCE)))
  }
}
