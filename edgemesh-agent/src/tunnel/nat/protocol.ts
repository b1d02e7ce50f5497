import { z } from '@edgemesh/common'
import { lpStream } from '@libp2p/utils'
import { NatError } from './errors.js'
import type { AbortOptions, Stream } from '@libp2p/interface'

// Wire format of the rendezvous and punch protocols, shared by both ends (edgemesh-server imports it
// from here): one length-prefixed (unsigned varint) UTF-8 JSON object per frame, validated with zod
// on receipt.

export const RENDEZVOUS_PROTOCOL = '/edgemesh/rendezvous/1.0.0'
export const PUNCH_PROTOCOL = '/edgemesh/punch/1.0.0'
/** Frames are tiny; anything larger is an attack or a bug. */
export const MAX_FRAME_BYTES = 16 * 1024

const nodeName = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
const multiaddrString = z.string().min(1).max(512)
const addrList = z.array(multiaddrString).max(32)
const errorReply = z.object({ type: z.literal('error'), code: z.string().max(64), message: z.string().max(1024) }).strict()

export const RendezvousRequest = z.discriminatedUnion('type', [
  z.object({ type: z.literal('register'), nodeName, listenAddrs: addrList, observedAddrs: addrList.default([]), ttlMs: z.number().int().positive().max(3_600_000).optional() }).strict(),
  z.object({ type: z.literal('lookup'), nodeName }).strict()
])
export type RendezvousRequest = z.infer<typeof RendezvousRequest>

export const PeerRecordWire = z.object({
  nodeName,
  peerId: z.string().min(1).max(128),
  listenAddrs: addrList,
  observedAddrs: addrList,
  expiresInMs: z.number().int().nonnegative()
}).strict()
export type PeerRecordWire = z.infer<typeof PeerRecordWire>

export const RendezvousResponse = z.discriminatedUnion('type', [
  z.object({ type: z.literal('registered'), ttlMs: z.number().int().positive(), observedAddrs: addrList }).strict(),
  z.object({ type: z.literal('record'), record: PeerRecordWire }).strict(),
  errorReply
])
export type RendezvousResponse = z.infer<typeof RendezvousResponse>

const endpoint = z.object({ ip: z.string().ip(), port: z.number().int().min(1).max(65535) }).strict()

/** A → server: punch toward `nodeName`. Server → B: `sync`, B → server: `ack`. Server → A: `sync` or error. */
export const PunchMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('connect'), nodeName }).strict(),
  z.object({ type: z.literal('sync'), peerId: z.string().min(1).max(128), nodeName, endpoint, inMs: z.number().int().nonnegative().max(60_000) }).strict(),
  z.object({ type: z.literal('ack') }).strict(),
  errorReply
])
export type PunchMessage = z.infer<typeof PunchMessage>

/** A framed JSON reader/writer over one libp2p stream. */
export interface JsonStream<In> {
  read: (options?: AbortOptions) => Promise<In>
  write: (msg: unknown, options?: AbortOptions) => Promise<void>
}

/** Builds the error for a frame that is not JSON or fails the schema; each end throws its own code. */
export type BadMessageError = (message: string, cause?: unknown) => Error

const natBadMessage: BadMessageError = (message, cause) => new NatError('NAT_BAD_MESSAGE', message, { cause })

export function jsonStream<In> (stream: Stream, schema: z.ZodType<In, z.ZodTypeDef, unknown>, badMessage: BadMessageError = natBadMessage): JsonStream<In> {
  const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
  return {
    async read (options) {
      const buf = await lp.read(options)
      let raw: unknown
      try {
        raw = JSON.parse(new TextDecoder().decode(buf.subarray()))
      } catch (err) {
        throw badMessage('frame is not JSON', err)
      }
      const parsed = schema.safeParse(raw)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        throw badMessage(`invalid message: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim())
      }
      return parsed.data
    },
    async write (msg, options) {
      await lp.write(new TextEncoder().encode(JSON.stringify(msg)), options)
    }
  }
}
