import { z } from 'zod'
import { podStreamRequestSchema, type PodStreamRequest } from '../pod-streams.js'
import { HubProtocolError } from './errors.js'

/**
 * Pod-stream frames: binary WebSocket messages on the edge link, next to the JSON envelopes (which stay
 * text messages). Layout: `type` (u8) · `stream id` (u32, big-endian; allocated by the cloud only) · payload.
 *
 * | type | byte | payload |
 * |---|---|---|
 * | OPEN   | 1 | JSON PodStreamRequest (cloud → edge) |
 * | ACCEPT | 2 | empty (edge → cloud) |
 * | REFUSE | 3 | JSON `{status, message}` (edge → cloud) |
 * | DATA   | 4 | channel (u8) · bytes; costs `bytes + 1` of credit |
 * | END    | 5 | empty: the sender's side is done (half-close) |
 * | ABORT  | 6 | UTF-8 reason: the stream is torn down both ways |
 * | CREDIT | 7 | u32: bytes of DATA the sender of this frame will take more |
 */
export const STREAM_FRAME = { open: 1, accept: 2, refuse: 3, data: 4, end: 5, abort: 6, credit: 7 } as const
export type StreamFrameTypeName = keyof typeof STREAM_FRAME

export const STREAM_FRAME_HEADER_BYTES = 5
/** Stream ids are u32; 0 is never allocated. */
export const MAX_STREAM_ID = 0xffff_ffff
/** Longest ABORT reason / REFUSE message we send (longer ones are cut). */
export const MAX_STREAM_REASON_CHARS = 1024

export type StreamFrame =
  | { type: 'open', id: number, request: PodStreamRequest }
  | { type: 'accept', id: number }
  | { type: 'refuse', id: number, status: number, message: string }
  | { type: 'data', id: number, channel: number, data: Uint8Array }
  | { type: 'end', id: number }
  | { type: 'abort', id: number, reason: string }
  | { type: 'credit', id: number, bytes: number }

const refuseSchema = z.object({
  status: z.number().int().min(100).max(599),
  message: z.string().max(4 * MAX_STREAM_REASON_CHARS)
}).strict()

/** Credit a DATA frame uses: its payload (channel byte included, so even empty frames cost something). */
export function dataFrameCost (dataBytes: number): number {
  return dataBytes + 1
}

function header (type: number, id: number, payloadBytes: number): Buffer {
  if (!Number.isInteger(id) || id < 1 || id > MAX_STREAM_ID) throw new RangeError(`stream id ${id} out of range`)
  const buf = Buffer.allocUnsafe(STREAM_FRAME_HEADER_BYTES + payloadBytes)
  buf[0] = type
  buf.writeUInt32BE(id, 1)
  return buf
}

function withText (type: number, id: number, text: string): Buffer {
  const body = Buffer.from(text, 'utf8')
  const buf = header(type, id, body.length)
  body.copy(buf, STREAM_FRAME_HEADER_BYTES)
  return buf
}

/** One frame as the bytes of one binary WebSocket message. */
export function encodeStreamFrame (frame: StreamFrame): Buffer {
  switch (frame.type) {
    case 'open': return withText(STREAM_FRAME.open, frame.id, JSON.stringify(frame.request))
    case 'accept': return header(STREAM_FRAME.accept, frame.id, 0)
    case 'refuse': return withText(STREAM_FRAME.refuse, frame.id, JSON.stringify({ status: frame.status, message: frame.message.slice(0, MAX_STREAM_REASON_CHARS) }))
    case 'data': {
      if (!Number.isInteger(frame.channel) || frame.channel < 0 || frame.channel > 255) throw new RangeError(`channel ${frame.channel} out of range`)
      const buf = header(STREAM_FRAME.data, frame.id, 1 + frame.data.byteLength)
      buf[STREAM_FRAME_HEADER_BYTES] = frame.channel
      buf.set(frame.data, STREAM_FRAME_HEADER_BYTES + 1)
      return buf
    }
    case 'end': return header(STREAM_FRAME.end, frame.id, 0)
    case 'abort': return withText(STREAM_FRAME.abort, frame.id, frame.reason.slice(0, MAX_STREAM_REASON_CHARS))
    case 'credit': {
      if (!Number.isInteger(frame.bytes) || frame.bytes < 1 || frame.bytes > 0xffff_ffff) throw new RangeError(`credit ${frame.bytes} out of range`)
      const buf = header(STREAM_FRAME.credit, frame.id, 4)
      buf.writeUInt32BE(frame.bytes, STREAM_FRAME_HEADER_BYTES)
      return buf
    }
  }
}

function invalid (message: string, streamId?: number, cause?: unknown): HubProtocolError {
  return new HubProtocolError('HUB_STREAM_FRAME_INVALID', message, { streamId, cause })
}

function json (body: Buffer, id: number, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw invalid(`${what} payload of stream ${id} is not JSON`, id, err)
  }
}

function issue (err: z.ZodError): string {
  const i = err.issues[0]
  const path = i?.path.join('.') ?? ''
  return `${path === '' ? '' : `${path}: `}${i?.message ?? 'invalid'}`
}

/**
 * Parses and validates one binary message. `maxBytes` bounds the whole frame (header included), and
 * `maxDataBytes` the data of a DATA frame (the split size: a peer that sends more breaks the protocol). Throws
 * HubProtocolError: HUB_STREAM_FRAME_TOO_LARGE or HUB_STREAM_FRAME_INVALID, with `streamId` set whenever
 * the header could be read (so the receiver can refuse or abort that one stream and keep the link).
 */
export function decodeStreamFrame (data: Uint8Array, maxBytes: number, maxDataBytes = maxBytes): StreamFrame {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (buf.length < STREAM_FRAME_HEADER_BYTES) throw invalid(`stream frame of ${buf.length} bytes is shorter than its header`)
  const type = buf[0] as number
  const id = buf.readUInt32BE(1)
  if (id === 0) throw invalid('stream id 0 is never allocated')
  if (buf.length > maxBytes) throw new HubProtocolError('HUB_STREAM_FRAME_TOO_LARGE', `stream frame of ${buf.length} bytes exceeds ${maxBytes}`, { streamId: id })
  const body = buf.subarray(STREAM_FRAME_HEADER_BYTES)
  const empty = (name: StreamFrameTypeName): void => {
    if (body.length !== 0) throw invalid(`${name.toUpperCase()} frame of stream ${id} carries ${body.length} payload bytes`, id)
  }
  switch (type) {
    case STREAM_FRAME.open: {
      const r = podStreamRequestSchema.safeParse(json(body, id, 'OPEN'))
      if (!r.success) throw invalid(`OPEN request of stream ${id} does not match the pod-stream request: ${issue(r.error)}`, id, r.error)
      return { type: 'open', id, request: r.data }
    }
    case STREAM_FRAME.accept: empty('accept'); return { type: 'accept', id }
    case STREAM_FRAME.refuse: {
      const r = refuseSchema.safeParse(json(body, id, 'REFUSE'))
      if (!r.success) throw invalid(`REFUSE of stream ${id} is not {status, message}: ${issue(r.error)}`, id, r.error)
      return { type: 'refuse', id, status: r.data.status, message: r.data.message }
    }
    case STREAM_FRAME.data:
      if (body.length < 1) throw invalid(`DATA frame of stream ${id} has no channel byte`, id)
      if (body.length - 1 > maxDataBytes) throw new HubProtocolError('HUB_STREAM_FRAME_TOO_LARGE', `DATA frame of stream ${id} carries ${body.length - 1} bytes, more than ${maxDataBytes}`, { streamId: id })
      return { type: 'data', id, channel: body[0] as number, data: body.subarray(1) }
    case STREAM_FRAME.end: empty('end'); return { type: 'end', id }
    case STREAM_FRAME.abort: return { type: 'abort', id, reason: body.toString('utf8', 0, Math.min(body.length, 4 * MAX_STREAM_REASON_CHARS)) }
    case STREAM_FRAME.credit: {
      if (body.length !== 4) throw invalid(`CREDIT frame of stream ${id} has ${body.length} payload bytes, not 4`, id)
      const bytes = body.readUInt32BE(0)
      if (bytes === 0) throw invalid(`CREDIT frame of stream ${id} grants 0 bytes`, id)
      return { type: 'credit', id, bytes }
    }
    default:
      throw invalid(`unknown stream frame type ${type}`, id)
  }
}
