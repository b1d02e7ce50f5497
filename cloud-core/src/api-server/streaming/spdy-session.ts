import type { Duplex } from 'node:stream'
import { constants as Z, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib'
import { AsyncQueue, type Logger } from '@edgemesh/common'
import { SPDY3_DICTIONARY } from './spdy-dictionary.js'
import { StreamingError } from './errors.js'

/** The defaults of SpdySessionInit. */
export const SPDY_DEFAULTS = {
  /** kubectl's spdystream writes at most 32 KiB of data per frame; room to spare, and a bound. */
  maxFrameBytes: 1024 * 1024,
  maxHeaderBytes: 64 * 1024,
  maxHeaders: 64,
  /** Open streams at once: exec needs 5, a port-forward 2 per forwarded connection. */
  maxStreams: 256,
  /** Data frames buffered per stream before the session stops reading the connection. */
  maxBufferedFrames: 64
} as const

export interface SpdySessionInit {
  /** @default 1 MiB */
  maxFrameBytes?: number
  /** Inflated size of one header block. @default 64 KiB */
  maxHeaderBytes?: number
  /** Header pairs in one block. @default 64 */
  maxHeaders?: number
  /** @default 256 */
  maxStreams?: number
  /** @default 64 */
  maxBufferedFrames?: number
}

export interface SpdySessionComponents {
  logger: Logger
}

const VERSION = 3
const TYPE = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const
const FLAG_FIN = 0x01
const FLAG_UNIDIRECTIONAL = 0x02
/** RST_STREAM status codes used here. */
export const SPDY_RST = { protocolError: 1, refusedStream: 3, cancel: 5 } as const
const GOAWAY_OK = 0
const GOAWAY_PROTOCOL_ERROR = 1

/** One stream of a server-side SPDY/3.1 session: the client opened it with its headers. */
export class SpdyStream implements AsyncIterable<Uint8Array> {
  /** Data from the client; ends at its FIN (or when the stream or session goes away). */
  readonly inbound: AsyncQueue<Uint8Array>
  localEnded = false
  remoteEnded = false
  private replied = false
  private drained?: PromiseWithResolvers<void>

  constructor (readonly session: SpdySession, readonly id: number, readonly headers: ReadonlyMap<string, string>) {
    this.inbound = new AsyncQueue()
  }

  /** Sends the SYN_REPLY (kubectl waits for one per stream). Idempotent. */
  async reply (): Promise<void> {
    if (this.replied) return
    this.replied = true
    await this.session.sendReply(this.id)
  }

  async write (data: Uint8Array): Promise<void> {
    if (this.localEnded || data.byteLength === 0) return
    await this.reply()
    const max = this.session.maxDataBytes
    for (let off = 0; off < data.byteLength; off += max) await this.session.sendData(this.id, data.subarray(off, off + max), false)
  }

  /** Half-closes this side (DATA with FIN). Idempotent. */
  async end (): Promise<void> {
    if (this.localEnded) return
    await this.reply()
    this.localEnded = true
    await this.session.sendData(this.id, new Uint8Array(0), true)
    this.session.maybeForget(this)
  }

  /** Tears the stream down (RST_STREAM). */
  reset (status: number = SPDY_RST.cancel): void {
    if (this.localEnded && this.remoteEnded) return
    this.localEnded = true
    this.remoteEnded = true
    this.inbound.end()
    this.session.sendReset(this.id, status)
    this.session.maybeForget(this)
  }

  async * [Symbol.asyncIterator] (): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.inbound.next()
      this.drained?.resolve()
      if (chunk === undefined) return
      yield chunk
    }
  }

  /** @internal */
  async push (data: Uint8Array, fin: boolean): Promise<void> {
    if (this.remoteEnded) return
    if (data.byteLength > 0) this.inbound.push(data)
    if (fin) {
      this.remoteEnded = true
      this.inbound.end()
      this.session.maybeForget(this)
      return
    }
    while (this.inbound.size >= this.session.maxBufferedFrames && !this.remoteEnded && !this.session.signal.aborted) {
      this.drained = Promise.withResolvers<void>()
      await this.drained.promise
    }
  }

  /** @internal the session is gone */
  gone (): void {
    this.localEnded = true
    this.remoteEnded = true
    this.inbound.end()
    this.drained?.resolve()
  }
}

/**
 * The server side of a SPDY/3.1 session, as kubectl's spdystream speaks it: frames, zlib-compressed
 * header blocks (one inflate and one deflate context per connection, SYNC_FLUSH per block, the SPDY/3
 * dictionary), PING echo; SETTINGS and WINDOW_UPDATE are ignored because spdystream does no flow
 * control. Only the client opens streams. Frame size, header block size and concurrent streams are
 * bounded; a violation closes the session with a logged StreamingError code.
 */
export class SpdySession {
  /** Streams as the client opens them; ends when the session closes. */
  readonly incoming = new AsyncQueue<SpdyStream>()
  readonly maxBufferedFrames: number
  readonly maxDataBytes = 32 * 1024
  private readonly init: Required<SpdySessionInit>
  private readonly log: Logger
  private readonly streams = new Map<number, SpdyStream>()
  private readonly ac = new AbortController()
  private readonly inflate: Inflate
  private readonly deflate: Deflate
  private lastRemoteId = 0
  private writes: Promise<void> = Promise.resolve()
  private goneAway = false

  constructor (private readonly socket: Duplex, components: SpdySessionComponents, init: SpdySessionInit = {}, head?: Buffer) {
    this.init = { ...SPDY_DEFAULTS, ...init }
    this.maxBufferedFrames = this.init.maxBufferedFrames
    this.log = components.logger
    this.inflate = createInflate({ dictionary: SPDY3_DICTIONARY })
    this.deflate = createDeflate({ dictionary: SPDY3_DICTIONARY })
    // A corrupt block surfaces through the flush; these only keep an 'error' from being unhandled.
    this.inflate.on('error', () => {})
    this.deflate.on('error', () => {})
    socket.once('close', () => { this.finish() })
    socket.on('error', () => { this.finish() })
    this.readLoop(head).catch((err: unknown) => {
      // A connection reset is the client leaving, not a protocol error.
      if (err instanceof StreamingError) this.destroy(err)
      else { this.log.debug({ err }, 'SPDY connection ended'); this.destroy() }
    })
  }

  /** Aborted when the session ends. */
  get signal (): AbortSignal { return this.ac.signal }

  get openStreams (): number { return this.streams.size }

  /** Graceful end: GOAWAY, then the connection is closed once written. */
  async close (): Promise<void> {
    if (this.ac.signal.aborted) return
    await this.sendGoAway(GOAWAY_OK).catch(() => {})
    this.socket.end()
    this.finish()
  }

  /** Immediate end; with an error, its code is logged. */
  destroy (err?: StreamingError): void {
    if (this.ac.signal.aborted) return
    if (err !== undefined) {
      this.log.warn({ code: err.code, err: err.message }, 'SPDY session closed on a protocol error')
      // Best effort: tell the peer why, then drop the connection.
      if (this.socket.writable) this.socket.write(controlFrame(TYPE.goAway, 0, goAwayPayload(this.lastRemoteId, GOAWAY_PROTOCOL_ERROR)))
    }
    this.socket.destroy()
    this.finish()
  }

  /** @internal */
  async sendReply (id: number): Promise<void> {
    await this.enqueue(async () => {
      const block = await this.compress(new Map())
      const payload = Buffer.alloc(4 + block.length)
      payload.writeUInt32BE(id & 0x7fffffff, 0)
      block.copy(payload, 4)
      return controlFrame(TYPE.synReply, 0, payload)
    })
  }

  /** @internal */
  async sendData (id: number, data: Uint8Array, fin: boolean): Promise<void> {
    await this.enqueue(async () => {
      const header = Buffer.alloc(8)
      header.writeUInt32BE(id & 0x7fffffff, 0)
      header.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24 | data.byteLength) >>> 0, 4)
      return Buffer.concat([header, data])
    })
  }

  /** @internal */
  sendReset (id: number, status: number): void {
    const payload = Buffer.alloc(8)
    payload.writeUInt32BE(id & 0x7fffffff, 0)
    payload.writeUInt32BE(status, 4)
    this.enqueue(async () => controlFrame(TYPE.rstStream, 0, payload)).catch(() => {})
  }

  /** @internal forgets a stream closed in both directions, freeing its slot. */
  maybeForget (s: SpdyStream): void {
    if (s.localEnded && s.remoteEnded) this.streams.delete(s.id)
  }

  private async sendGoAway (status: number): Promise<void> {
    if (this.goneAway) return
    this.goneAway = true
    await this.enqueue(async () => controlFrame(TYPE.goAway, 0, goAwayPayload(this.lastRemoteId, status)))
  }

  /** Frames leave in the order they were asked for (a SYN_REPLY before the stream's data), each after the socket drains. */
  private async enqueue (frame: () => Promise<Buffer>): Promise<void> {
    const next = this.writes.then(async () => {
      if (this.ac.signal.aborted || !this.socket.writable) throw new StreamingError('STREAM_SPDY_PROTOCOL', 'SPDY session closed')
      const buf = await frame()
      if (!this.socket.write(buf)) await waitDrain(this.socket, this.ac.signal)
    })
    this.writes = next.catch(() => {})
    await next
  }

  private async readLoop (head?: Buffer): Promise<void> {
    let buf: Buffer = head ?? Buffer.alloc(0)
    const max = this.init.maxFrameBytes
    const drain = async (): Promise<void> => {
      while (buf.length >= 8) {
        const length = buf.readUIntBE(5, 3)
        if (length > max) throw new StreamingError('STREAM_SPDY_FRAME_TOO_LARGE', `SPDY frame of ${length} bytes exceeds the limit of ${max}`)
        if (buf.length < 8 + length) return
        const frame = buf.subarray(0, 8 + length)
        buf = buf.subarray(8 + length)
        await this.onFrame(frame)
        if (this.ac.signal.aborted) return
      }
    }
    await drain()
    for await (const chunk of this.socket) {
      buf = buf.length === 0 ? chunk as Buffer : Buffer.concat([buf, chunk as Buffer])
      await drain()
      if (this.ac.signal.aborted) return
    }
    this.finish()
  }

  private async onFrame (frame: Buffer): Promise<void> {
    const flags = frame[4]!
    const payload = frame.subarray(8)
    if ((frame[0]! & 0x80) === 0) {
      const id = frame.readUInt32BE(0) & 0x7fffffff
      // Data for a stream that is gone (reset by us) is dropped, as SPDY allows.
      await this.streams.get(id)?.push(payload, (flags & FLAG_FIN) !== 0)
      return
    }
    const version = frame.readUInt16BE(0) & 0x7fff
    if (version !== VERSION) throw new StreamingError('STREAM_SPDY_PROTOCOL', `unsupported SPDY version ${version}`)
    const type = frame.readUInt16BE(2)
    switch (type) {
      case TYPE.synStream: {
        if (payload.length < 10) throw new StreamingError('STREAM_SPDY_PROTOCOL', 'short SYN_STREAM frame')
        const id = payload.readUInt32BE(0) & 0x7fffffff
        // Decompress first: the inflate context is shared by every block of the connection.
        const headers = await this.decompress(payload.subarray(10))
        if (id === 0 || id % 2 === 0 || id <= this.lastRemoteId) throw new StreamingError('STREAM_SPDY_PROTOCOL', `invalid SYN_STREAM stream id ${id}`)
        this.lastRemoteId = id
        if (this.streams.size >= this.init.maxStreams) throw new StreamingError('STREAM_SPDY_TOO_MANY_STREAMS', `more than ${this.init.maxStreams} concurrent SPDY streams`)
        const s = new SpdyStream(this, id, headers)
        this.streams.set(id, s)
        if ((flags & FLAG_UNIDIRECTIONAL) !== 0) s.localEnded = true
        if ((flags & FLAG_FIN) !== 0) await s.push(new Uint8Array(0), true)
        this.incoming.push(s)
        return
      }
      case TYPE.headers:
        if (payload.length < 4) throw new StreamingError('STREAM_SPDY_PROTOCOL', 'short HEADERS frame')
        await this.decompress(payload.subarray(4))
        if ((flags & FLAG_FIN) !== 0) await this.streams.get(payload.readUInt32BE(0) & 0x7fffffff)?.push(new Uint8Array(0), true)
        return
      case TYPE.synReply:
        throw new StreamingError('STREAM_SPDY_PROTOCOL', 'SYN_REPLY from a client (the server opens no streams)')
      case TYPE.rstStream: {
        if (payload.length < 8) throw new StreamingError('STREAM_SPDY_PROTOCOL', 'short RST_STREAM frame')
        const s = this.streams.get(payload.readUInt32BE(0) & 0x7fffffff)
        if (s !== undefined) { s.gone(); this.streams.delete(s.id) }
        return
      }
      case TYPE.ping:
        if (payload.length !== 4) throw new StreamingError('STREAM_SPDY_PROTOCOL', 'PING frame of the wrong length')
        // Only the client's (odd) pings are answered; an even id would be an answer to us.
        if (payload.readUInt32BE(0) % 2 === 1) await this.enqueue(async () => controlFrame(TYPE.ping, 0, Buffer.from(payload)))
        return
      case TYPE.goAway:
        // The client leaves; the streams it has open finish on their own.
        return
      default:
        // SETTINGS, WINDOW_UPDATE and unknown control frames are ignored (SPDY/3.1 2.2.1).
    }
  }

  private async decompress (block: Buffer): Promise<Map<string, string>> {
    const max = this.init.maxHeaderBytes
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    const onData = (c: Buffer): void => {
      size += c.length
      if (size > max) over = true
      else chunks.push(c)
    }
    this.inflate.on('data', onData)
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => { reject(new StreamingError('STREAM_SPDY_PROTOCOL', `corrupt SPDY header block: ${err.message}`)) }
        this.inflate.once('error', onError)
        this.inflate.write(block)
        this.inflate.flush(Z.Z_SYNC_FLUSH, () => { this.inflate.off('error', onError); resolve() })
      })
    } finally {
      this.inflate.off('data', onData)
    }
    if (over) throw new StreamingError('STREAM_SPDY_HEADERS_TOO_LARGE', `SPDY header block inflates to more than ${max} bytes`)
    return parseHeaderBlock(Buffer.concat(chunks), this.init.maxHeaders)
  }

  private async compress (headers: Map<string, string>): Promise<Buffer> {
    const chunks: Buffer[] = []
    const onData = (c: Buffer): void => { chunks.push(c) }
    this.deflate.on('data', onData)
    try {
      await new Promise<void>(resolve => {
        this.deflate.write(encodeHeaderBlock(headers))
        this.deflate.flush(Z.Z_SYNC_FLUSH, () => { resolve() })
      })
    } finally {
      this.deflate.off('data', onData)
    }
    return Buffer.concat(chunks)
  }

  private finish (): void {
    if (this.ac.signal.aborted) return
    this.ac.abort()
    for (const s of this.streams.values()) s.gone()
    this.streams.clear()
    this.incoming.end()
    this.inflate.close()
    this.deflate.close()
  }
}

function controlFrame (type: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8)
  header.writeUInt16BE(0x8000 | VERSION, 0)
  header.writeUInt16BE(type, 2)
  header.writeUInt32BE((flags << 24 | payload.length) >>> 0, 4)
  return Buffer.concat([header, payload])
}

function goAwayPayload (lastId: number, status: number): Buffer {
  const p = Buffer.alloc(8)
  p.writeUInt32BE(lastId & 0x7fffffff, 0)
  p.writeUInt32BE(status, 4)
  return p
}

/** A header block: pair count, then length-prefixed names and values (32-bit lengths). Names are lower case. */
export function encodeHeaderBlock (headers: ReadonlyMap<string, string>): Buffer {
  const parts: Buffer[] = []
  const n = Buffer.alloc(4)
  n.writeUInt32BE(headers.size)
  parts.push(n)
  for (const [k, v] of headers) {
    for (const s of [k.toLowerCase(), v]) {
      const b = Buffer.from(s, 'utf8')
      const len = Buffer.alloc(4)
      len.writeUInt32BE(b.length)
      parts.push(len, b)
    }
  }
  return Buffer.concat(parts)
}

export function parseHeaderBlock (buf: Buffer, maxHeaders: number): Map<string, string> {
  const bad = (why: string): StreamingError => new StreamingError('STREAM_SPDY_PROTOCOL', `malformed SPDY header block: ${why}`)
  if (buf.length < 4) throw bad('no pair count')
  const count = buf.readUInt32BE(0)
  if (count > maxHeaders) throw new StreamingError('STREAM_SPDY_HEADERS_TOO_LARGE', `SPDY header block has ${count} headers, more than ${maxHeaders}`)
  const out = new Map<string, string>()
  let off = 4
  const next = (): string => {
    if (off + 4 > buf.length) throw bad('truncated length')
    const len = buf.readUInt32BE(off)
    off += 4
    if (off + len > buf.length) throw bad('truncated value')
    const s = buf.toString('utf8', off, off + len)
    off += len
    return s
  }
  for (let i = 0; i < count; i++) {
    const name = next()
    const value = next()
    if (name === '') throw bad('empty header name')
    out.set(name.toLowerCase(), value)
  }
  return out
}

async function waitDrain (socket: Duplex, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>(resolve => {
    const done = (): void => { socket.off('drain', done); socket.off('close', done); signal.removeEventListener('abort', done); resolve() }
    socket.on('drain', done)
    socket.on('close', done)
    signal.addEventListener('abort', done, { once: true })
  })
}
