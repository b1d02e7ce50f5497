import type { Logger } from 'pino'
import { AbortError } from '../errors.js'
import { PodStreamError, PodStreamRefusal, podStreamRequestSchema, type PodStream, type PodStreamHandler, type PodStreamKind, type PodStreamRequest } from '../pod-streams.js'
import { HubProtocolError } from './errors.js'
import { MuxStream, type StreamAbortCause, type StreamLink } from './mux-stream.js'
import { decodeStreamFrame, encodeStreamFrame, MAX_STREAM_ID, MAX_STREAM_REASON_CHARS, STREAM_FRAME, STREAM_FRAME_HEADER_BYTES, type StreamFrame } from './stream-frames.js'

export type { StreamAbortCause } from './mux-stream.js'

/** The pod-stream limits of one edge link; CloudHub and EdgeHub take these as their defaults. */
export const STREAM_MUX_DEFAULTS = {
  /** Credit each receiver grants per stream, i.e. the most it buffers for one stream. */
  windowBytes: 256 * 1024,
  /** Largest DATA payload in one frame; larger sends are split. A frame is at most this + 6 bytes. */
  maxFrameDataBytes: 64 * 1024,
  /** Streams open at once on one link (per node); more opens are refused. */
  maxStreams: 64,
  /** The cloud gives up on an OPEN the node has not answered by then. */
  openTimeoutMs: 10_000,
  /**
   * DATA waits while this much is queued in the socket (ws bufferedAmount), so a JSON envelope is never
   * queued behind more than this plus one frame, whatever the streams move.
   */
  linkHighWaterBytes: 256 * 1024
} as const

export interface StreamMuxInit {
  /** @default STREAM_MUX_DEFAULTS.windowBytes (256 KiB) */
  windowBytes?: number
  /** @default STREAM_MUX_DEFAULTS.maxFrameDataBytes (64 KiB) */
  maxFrameDataBytes?: number
  /** @default STREAM_MUX_DEFAULTS.maxStreams (64) */
  maxStreams?: number
  /** @default STREAM_MUX_DEFAULTS.openTimeoutMs (10 s) */
  openTimeoutMs?: number
  /** @default STREAM_MUX_DEFAULTS.linkHighWaterBytes (256 KiB) */
  linkHighWaterBytes?: number
}

/** The socket under the multiplexer (a WebSocket sending binary messages). */
export interface StreamTransport {
  /** Sends one binary message; `done` runs once the socket has taken it (written or failed). */
  send: (frame: Buffer, done: () => void) => void
  /** Bytes queued in the socket and not yet written (ws `bufferedAmount`). */
  bufferedAmount: () => number
}

export type StreamDropReason = 'unknown_stream' | 'closed_stream' | 'invalid' | 'unexpected'

/** What a multiplexer reports (metrics); every hook optional. */
export interface StreamMuxObserver {
  /** A stream was accepted and is open. */
  opened?: (kind: PodStreamKind) => void
  /** An accepted stream finished or was torn down. */
  closed?: (kind: PodStreamKind) => void
  /** DATA payload bytes, `out` sent and `in` received. */
  bytes?: (direction: 'in' | 'out', n: number) => void
  /** The node refused an open (cloud side) or this end refused one (edge side). */
  refused?: (status: number) => void
  aborted?: (cause: StreamAbortCause) => void
  dropped?: (reason: StreamDropReason) => void
}

export interface StreamMuxStats {
  /** Streams opening or open. */
  streams: number
  /** Received DATA bytes not yet taken by consumers (bounded by window × streams). */
  bufferedBytes: number
  peakBufferedBytes: number
  /** Bytes this end has queued on the socket that it has not yet taken (max of our count and bufferedAmount). */
  queuedBytes: number
  peakQueuedBytes: number
  /** Frames dropped: unknown or closed stream ids, malformed frames, frames the role may not receive. */
  dropped: number
}

export interface StreamMuxComponents {
  transport: StreamTransport
  /** Edge side only: serves OPENs. Without one, every OPEN is refused with 501. */
  handler?: PodStreamHandler
  observer?: StreamMuxObserver
  logger: Logger
}

interface Opening {
  resolve: (s: PodStream) => void
  reject: (err: unknown) => void
}

/**
 * Pod streams multiplexed over one edge link. The cloud (`role: 'cloud'`) opens streams and allocates
 * their ids; the edge (`role: 'edge'`) accepts or refuses them and can never open one. Everything that
 * arrives is untrusted: frames for unknown ids are dropped and counted, DATA beyond the granted credit
 * or a frame that breaks the protocol aborts that stream only, never the link.
 */
export class StreamMux implements StreamLink {
  readonly maxFrameDataBytes: number
  readonly grantThreshold: number
  private readonly window: number
  private readonly maxStreams: number
  private readonly openTimeoutMs: number
  private readonly highWater: number
  private readonly maxFrameBytes: number
  private readonly streams = new Map<number, MuxStream>()
  private readonly opening = new Map<number, Opening>()
  private readonly accepted = new Set<number>()
  private readonly drainWaiters = new Set<() => void>()
  private readonly log: Logger
  /** Cloud: the next id to allocate. Edge: one past the highest id the cloud has opened. */
  private nextId = 1
  private pendingWrite = 0
  private buffer = 0
  private peakBuffer = 0
  private peakQueued = 0
  private droppedFrames = 0
  private closedReason?: string
  private pollTimer?: ReturnType<typeof setTimeout>

  constructor (readonly role: 'cloud' | 'edge', private readonly components: StreamMuxComponents, init: StreamMuxInit = {}) {
    this.window = init.windowBytes ?? STREAM_MUX_DEFAULTS.windowBytes
    this.maxFrameDataBytes = init.maxFrameDataBytes ?? STREAM_MUX_DEFAULTS.maxFrameDataBytes
    this.maxStreams = init.maxStreams ?? STREAM_MUX_DEFAULTS.maxStreams
    this.openTimeoutMs = init.openTimeoutMs ?? STREAM_MUX_DEFAULTS.openTimeoutMs
    this.highWater = init.linkHighWaterBytes ?? STREAM_MUX_DEFAULTS.linkHighWaterBytes
    if (this.window < 2 || this.maxFrameDataBytes < 1) throw new RangeError('pod-stream window must be at least 2 bytes and frames at least 1')
    this.grantThreshold = Math.max(1, Math.floor(this.window / 4))
    // An OPEN carries a request JSON (command up to 1024 args): allow it the larger of a DATA frame and 1 MiB.
    this.maxFrameBytes = STREAM_FRAME_HEADER_BYTES + 1 + Math.max(this.maxFrameDataBytes, 1024 * 1024)
    this.log = components.logger
  }

  get isClosed (): boolean { return this.closedReason !== undefined }

  stats (): StreamMuxStats {
    return {
      streams: this.streams.size,
      bufferedBytes: this.buffer,
      peakBufferedBytes: this.peakBuffer,
      queuedBytes: this.queuedNow(),
      peakQueuedBytes: this.peakQueued,
      dropped: this.droppedFrames
    }
  }

  /**
   * Cloud side: opens a stream and resolves once the node accepts. Rejects with PodStreamRefusal (the node
   * refused), PodStreamError POD_STREAM_INVALID (a request outside the schema; nothing is sent) or
   * POD_STREAM_UNAVAILABLE (link closed, stream limit reached, no answer within `openTimeoutMs`, or the
   * link lost while waiting), and AbortError when `signal` aborts first. `signal` bounds the open only.
   */
  async open (req: PodStreamRequest, signal?: AbortSignal): Promise<PodStream> {
    if (this.role !== 'cloud') throw new PodStreamError('POD_STREAM_INVALID', 'only the cloud opens pod streams')
    if (signal?.aborted === true) throw new AbortError()
    const parsed = podStreamRequestSchema.safeParse(req)
    if (!parsed.success) throw new PodStreamError('POD_STREAM_INVALID', `pod stream request: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? 'invalid'}`.trim())
    if (this.closedReason !== undefined) throw new PodStreamError('POD_STREAM_UNAVAILABLE', `the edge link is closed (${this.closedReason})`)
    if (this.streams.size >= this.maxStreams) throw new PodStreamError('POD_STREAM_UNAVAILABLE', `the node already has ${this.streams.size} pod streams open, the most one node may have (maxStreams)`)
    if (this.nextId > MAX_STREAM_ID) throw new PodStreamError('POD_STREAM_UNAVAILABLE', 'stream ids of this link are used up; the node must reconnect')
    const id = this.nextId++
    const s = new MuxStream(id, parsed.data.kind, this)
    this.streams.set(id, s)
    return await new Promise<PodStream>((resolve, reject) => {
      const cleanup = (): void => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); this.opening.delete(id) }
      const onAbort = (): void => { cleanup(); s.teardown('local', 'open cancelled', true); reject(new AbortError()) }
      const timer = setTimeout(() => {
        cleanup()
        s.teardown('timeout', `no answer within ${this.openTimeoutMs} ms`, true)
        reject(new PodStreamError('POD_STREAM_UNAVAILABLE', `the node did not answer the pod stream open within ${this.openTimeoutMs} ms`))
      }, this.openTimeoutMs)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.opening.set(id, {
        resolve: st => { cleanup(); resolve(st) },
        reject: err => { cleanup(); reject(err) }
      })
      this.write({ type: 'open', id, request: parsed.data })
      s.grant(this.window)
    })
  }

  /** Handles one binary message from the peer. Never throws: bad input is logged, counted and dropped. */
  receive (buf: Buffer): void {
    if (this.closedReason !== undefined) return
    let frame: StreamFrame
    try {
      frame = decodeStreamFrame(buf, this.maxFrameBytes, this.maxFrameDataBytes)
    } catch (err) {
      this.onBadFrame(buf, err)
      return
    }
    if (frame.type === 'open') { this.onOpen(frame.id, frame.request); return }
    const s = this.streams.get(frame.id)
    if (s === undefined) { this.dropUnknown(frame); return }
    switch (frame.type) {
      case 'data':
        if (!this.accepted.has(s.id)) { s.teardown('protocol', 'DATA before the stream was accepted', true); return }
        this.components.observer?.bytes?.('in', frame.data.byteLength)
        s.onData(frame.channel, frame.data)
        return
      case 'end':
        if (!this.accepted.has(s.id)) { s.teardown('protocol', 'END before the stream was accepted', true); return }
        s.onEnd()
        return
      case 'credit': s.onCredit(frame.bytes); return
      case 'abort': s.teardown('peer', frame.reason === '' ? 'aborted by the peer' : frame.reason, false); return
      case 'accept': this.onAccept(s); return
      case 'refuse': this.onRefuse(s, frame.status, frame.message)
    }
  }

  /** The link is gone: every stream is torn down (no frames sent), pending opens reject. Idempotent. */
  close (reason: string): void {
    if (this.closedReason !== undefined) return
    this.closedReason = reason
    clearTimeout(this.pollTimer)
    for (const [id, o] of [...this.opening]) {
      o.reject(new PodStreamError('POD_STREAM_UNAVAILABLE', `the edge link was lost before the node answered (${reason})`))
      this.opening.delete(id)
    }
    for (const s of [...this.streams.values()]) s.teardown('link', `edge link lost: ${reason}`, false)
    this.wakeWriters()
  }

  // --- StreamLink ---

  write (frame: StreamFrame): boolean {
    if (this.closedReason !== undefined) return false
    const buf = encodeStreamFrame(frame)
    this.pendingWrite += buf.length
    if (frame.type === 'data') this.components.observer?.bytes?.('out', frame.data.byteLength)
    this.peakQueued = Math.max(this.peakQueued, this.queuedNow())
    let settled = false
    this.components.transport.send(buf, () => {
      if (settled) return
      settled = true
      this.pendingWrite -= buf.length
      if (this.drainWaiters.size > 0) this.scheduleWake()
    })
    return true
  }

  writable (): boolean {
    return this.closedReason !== undefined || this.queuedNow() < this.highWater
  }

  whenWritable (wake: () => void): void {
    this.drainWaiters.add(wake)
    this.scheduleWake()
  }

  release (s: MuxStream, cause?: StreamAbortCause): void {
    if (this.streams.get(s.id) !== s) return
    this.streams.delete(s.id)
    const o = this.opening.get(s.id)
    if (o !== undefined) {
      this.opening.delete(s.id)
      o.reject(new PodStreamError('POD_STREAM_UNAVAILABLE', `the pod stream was torn down before the node answered (${cause ?? 'closed'})`))
    }
    if (cause !== undefined) {
      this.components.observer?.aborted?.(cause)
      if (cause === 'credit') this.log.warn({ code: 'HUB_STREAM_CREDIT_EXCEEDED', id: s.id, kind: s.kind }, 'peer sent pod-stream data beyond its credit; stream aborted')
      else if (cause === 'protocol') this.log.warn({ code: 'HUB_STREAM_FRAME_INVALID', id: s.id, kind: s.kind }, 'peer broke the pod-stream protocol; stream aborted')
    }
    if (this.accepted.delete(s.id)) this.components.observer?.closed?.(s.kind)
  }

  buffered (delta: number): void {
    this.buffer += delta
    if (this.buffer > this.peakBuffer) this.peakBuffer = this.buffer
  }

  // --- internals ---

  private queuedNow (): number {
    return Math.max(this.pendingWrite, this.components.transport.bufferedAmount())
  }

  /**
   * Wakes the waiting writers once the socket queue is below the high-water mark. Our own frames report
   * back when written; when what fills the socket is not ours (envelopes), nothing will, so poll.
   */
  private scheduleWake (): void {
    if (this.writable()) { this.wakeWriters(); return }
    if (this.pendingWrite > 0 || this.pollTimer !== undefined) return
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined
      if (this.drainWaiters.size > 0) this.scheduleWake()
    }, 5)
  }

  private wakeWriters (): void {
    const ws = [...this.drainWaiters]
    this.drainWaiters.clear()
    for (const w of ws) w()
  }

  private drop (reason: StreamDropReason, detail: Record<string, unknown>, msg: string): void {
    this.droppedFrames++
    this.components.observer?.dropped?.(reason)
    this.log.debug({ code: reason === 'invalid' ? 'HUB_STREAM_FRAME_INVALID' : 'HUB_STREAM_UNKNOWN', reason, ...detail }, msg)
  }

  private dropUnknown (frame: StreamFrame): void {
    // Ids only grow, so one below the next id is a stream that has finished (a late CREDIT is normal).
    if (frame.id < this.nextId) this.drop('closed_stream', { id: frame.id, type: frame.type }, 'frame for a closed pod stream; dropped')
    else this.drop('unknown_stream', { id: frame.id, type: frame.type }, 'frame for a pod stream that was never opened; dropped')
  }

  private onBadFrame (buf: Buffer, err: unknown): void {
    const id = err instanceof HubProtocolError ? err.streamId : undefined
    const msg = (err as Error).message
    if (id !== undefined && this.role === 'edge' && buf[0] === STREAM_FRAME.open && !this.streams.has(id) && id >= this.nextId) {
      this.nextId = id + 1
      this.refuse(id, 400, msg)
      return
    }
    const s = id === undefined ? undefined : this.streams.get(id)
    if (s !== undefined) {
      this.log.warn({ code: (err as { code?: string }).code, id, msg }, 'bad pod-stream frame; aborting that stream')
      s.teardown('protocol', msg, true)
      return
    }
    this.drop('invalid', { id, err: (err as { code?: string }).code, msg }, 'bad pod-stream frame; dropped')
  }

  private onAccept (s: MuxStream): void {
    const o = this.opening.get(s.id)
    if (this.role !== 'cloud' || o === undefined) { s.teardown('protocol', 'unexpected ACCEPT', true); return }
    this.accepted.add(s.id)
    this.components.observer?.opened?.(s.kind)
    o.resolve(s)
  }

  private onRefuse (s: MuxStream, status: number, message: string): void {
    const o = this.opening.get(s.id)
    if (this.role !== 'cloud' || o === undefined) { s.teardown('protocol', 'unexpected REFUSE', true); return }
    this.opening.delete(s.id)
    this.streams.delete(s.id)
    this.components.observer?.refused?.(status)
    o.reject(new PodStreamRefusal(status, message))
  }

  private refuse (id: number, status: number, message: string): void {
    this.components.observer?.refused?.(status)
    this.write({ type: 'refuse', id, status, message: message.slice(0, MAX_STREAM_REASON_CHARS) })
  }

  /** Edge side: a new stream from the cloud. */
  private onOpen (id: number, req: PodStreamRequest): void {
    if (this.role !== 'edge') { this.drop('unexpected', { id }, 'a node tried to open a pod stream; dropped'); return }
    if (id < this.nextId) { this.drop('unexpected', { id }, 'OPEN reuses a stream id; dropped'); return }
    this.nextId = id + 1
    if (this.streams.size >= this.maxStreams) { this.refuse(id, 503, `this node already serves ${this.streams.size} pod streams`); return }
    const handler = this.components.handler
    if (handler === undefined) { this.refuse(id, 501, 'this node does not serve pod streams'); return }
    const s = new MuxStream(id, req.kind, this)
    this.streams.set(id, s)
    let state: 'pending' | 'accepted' | 'refused' = 'pending'
    const accept = (): PodStream => {
      if (state === 'accepted') return s
      if (s.signal.aborted) throw new PodStreamError('POD_STREAM_ABORTED', 'the pod stream was torn down before it was accepted')
      if (state === 'refused') throw new PodStreamError('POD_STREAM_INVALID', 'accept after the stream was refused')
      state = 'accepted'
      this.accepted.add(id)
      this.components.observer?.opened?.(s.kind)
      this.write({ type: 'accept', id })
      s.grant(this.window)
      return s
    }
    const refuse = (status: number, message: string): void => {
      state = 'refused'
      this.streams.delete(id)
      s.teardown('local', 'refused', false)
      this.refuse(id, status >= 100 && status <= 599 ? Math.trunc(status) : 500, message)
    }
    const serve = async (): Promise<void> => {
      try {
        await handler.handle(req, accept, s.signal)
      } catch (err) {
        if (state === 'pending' && !s.signal.aborted) {
          if (err instanceof PodStreamRefusal) { refuse(err.httpStatus, err.message); return }
          this.log.warn({ code: 'POD_STREAM_REFUSED', err, id, kind: req.kind, namespace: req.namespace, pod: req.pod }, 'pod stream handler failed; refused with 500')
          refuse(500, `the node failed to serve the pod stream: ${(err as Error).message ?? String(err)}`)
        } else if (state === 'accepted' && !s.signal.aborted) {
          this.log.warn({ code: 'POD_STREAM_ABORTED', err, id, kind: req.kind, namespace: req.namespace, pod: req.pod }, 'pod stream handler failed; aborting the stream')
          s.abort(`the node failed while serving the stream: ${(err as Error).message ?? String(err)}`)
        }
        return
      }
      if (state === 'pending' && !s.signal.aborted) refuse(500, 'the node neither accepted nor refused the pod stream')
      else if (state === 'accepted' && !s.signal.aborted) await s.end().catch(() => {})
    }
    void serve()
  }
}
