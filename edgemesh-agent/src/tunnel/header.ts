import { isIP } from 'node:net'
import { z } from 'zod'
import type { MessageStream } from '@libp2p/interface'
import { byteStream } from '@libp2p/utils'
import { isValidNodeName } from '@edgemesh/mesh'
import { TunnelError } from './errors.js'

/**
 * Wire format of the tunnel header (request) and its answer (response): a 2-byte big-endian length
 * followed by that many bytes of UTF-8 JSON. u16 rather than a varint keeps the decoder trivial and
 * the bound obvious; bodies above MAX_HEADER_BYTES are rejected before anything is buffered.
 *
 *   request:  {"v":1,"protocol":"tcp"|"udp","nodeName":"<target node>","ip":"10.0.0.7","port":8080}
 *   response: {"v":1,"ok":true} | {"v":1,"ok":false,"code":"MESH_TARGET_DENIED","message":"..."}
 *
 * After an ok response the stream carries raw bytes (tcp) or u16-length-prefixed datagrams (udp).
 */
export const TUNNEL_PROTOCOL = '/edgemesh/tunnel/1.0.0'
export const HEADER_VERSION = 1
export const MAX_HEADER_BYTES = 4096

const nodeName = z.string().refine(isValidNodeName, 'not a valid node name (DNS-1123 subdomain)')

const requestSchema = z.object({
  v: z.literal(HEADER_VERSION),
  protocol: z.enum(['tcp', 'udp']),
  nodeName,
  ip: z.string().max(45).refine(s => isIP(s) !== 0, 'not an IP address'),
  port: z.number().int().min(1).max(65535)
}).strict()

const responseSchema = z.union([
  z.object({ v: z.literal(HEADER_VERSION), ok: z.literal(true) }).strict(),
  z.object({ v: z.literal(HEADER_VERSION), ok: z.literal(false), code: z.string().regex(/^[A-Z_]{1,64}$/), message: z.string().max(1024) }).strict()
])

export type TunnelRequest = Omit<z.infer<typeof requestSchema>, 'v'>
export type TunnelResponse = { ok: true } | { ok: false, code: string, message: string }

function frame (value: unknown): Uint8Array {
  const body = Buffer.from(JSON.stringify(value), 'utf8')
  if (body.byteLength > MAX_HEADER_BYTES) throw new TunnelError('MESH_BAD_HEADER', `header of ${body.byteLength} bytes exceeds ${MAX_HEADER_BYTES}`)
  const out = Buffer.allocUnsafe(2 + body.byteLength)
  out.writeUInt16BE(body.byteLength, 0)
  body.copy(out, 2)
  return out
}

export function encodeRequest (req: TunnelRequest): Uint8Array {
  return frame({ v: HEADER_VERSION, protocol: req.protocol, nodeName: req.nodeName, ip: req.ip, port: req.port })
}

export function encodeResponse (res: TunnelResponse): Uint8Array {
  return frame(res.ok ? { v: HEADER_VERSION, ok: true } : { v: HEADER_VERSION, ok: false, code: res.code, message: res.message.slice(0, 1024) })
}

function parseJson (body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch (err) {
    throw new TunnelError('MESH_BAD_HEADER', 'header body is not UTF-8 JSON', { cause: err })
  }
}

export function decodeRequestBody (body: Uint8Array): TunnelRequest {
  if (body.byteLength > MAX_HEADER_BYTES) throw new TunnelError('MESH_BAD_HEADER', `header of ${body.byteLength} bytes exceeds ${MAX_HEADER_BYTES}`)
  const r = requestSchema.safeParse(parseJson(body))
  if (!r.success) throw new TunnelError('MESH_BAD_HEADER', `bad tunnel header: ${r.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  const { v: _v, ...req } = r.data
  return req
}

export function decodeResponseBody (body: Uint8Array): TunnelResponse {
  if (body.byteLength > MAX_HEADER_BYTES) throw new TunnelError('MESH_BAD_HEADER', `response of ${body.byteLength} bytes exceeds ${MAX_HEADER_BYTES}`)
  const r = responseSchema.safeParse(parseJson(body))
  if (!r.success) throw new TunnelError('MESH_BAD_HEADER', 'bad tunnel response')
  return r.data.ok ? { ok: true } : { ok: false, code: r.data.code, message: r.data.message }
}

/**
 * Splits one frame off the front of `buf`: the body and whatever follows, or undefined when more bytes
 * are needed. Throws MESH_BAD_HEADER as soon as the length prefix announces an oversized body.
 */
export function splitFrame (buf: Uint8Array): { body: Uint8Array, rest: Uint8Array } | undefined {
  if (buf.byteLength < 2) return undefined
  const len = ((buf[0] ?? 0) << 8) | (buf[1] ?? 0)
  if (len > MAX_HEADER_BYTES) throw new TunnelError('MESH_BAD_HEADER', `header length ${len} exceeds ${MAX_HEADER_BYTES}`)
  if (buf.byteLength < 2 + len) return undefined
  return { body: buf.subarray(2, 2 + len), rest: buf.subarray(2 + len) }
}

/**
 * Reads exactly one frame body from a stream and leaves any following bytes on the stream.
 * Truncation (the remote closed early) or an oversized length → MESH_BAD_HEADER; `signal` bounds the wait.
 */
export async function readFrame (stream: MessageStream, signal: AbortSignal): Promise<Uint8Array> {
  const bytes = byteStream(stream, { maxBufferSize: MAX_HEADER_BYTES + 2 })
  try {
    const lenBuf = (await bytes.read({ bytes: 2, signal })).subarray()
    const len = ((lenBuf[0] ?? 0) << 8) | (lenBuf[1] ?? 0)
    if (len > MAX_HEADER_BYTES) throw new TunnelError('MESH_BAD_HEADER', `header length ${len} exceeds ${MAX_HEADER_BYTES}`)
    return len === 0 ? new Uint8Array(0) : (await bytes.read({ bytes: len, signal })).subarray()
  } catch (err) {
    if (err instanceof TunnelError) throw err
    if (signal.aborted) throw err
    throw new TunnelError('MESH_BAD_HEADER', 'stream ended inside the tunnel header', { cause: err })
  } finally {
    bytes.unwrap()
  }
}
