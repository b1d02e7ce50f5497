import { lpStream } from '@libp2p/utils'
import type { z } from '@edgemesh/common'
import type { AbortOptions, Stream } from '@libp2p/interface'

// One length-prefixed (unsigned varint) UTF-8 JSON object per frame, validated with zod on receipt:
// the framing of the rendezvous and punch protocols, used by both ends.

/** Frames are tiny; anything larger is an attack or a bug. */
export const MAX_FRAME_BYTES = 16 * 1024

/** A framed JSON reader/writer over one libp2p stream. */
export interface JsonStream<In> {
  read: (options?: AbortOptions) => Promise<In>
  write: (msg: unknown, options?: AbortOptions) => Promise<void>
}

/**
 * Builds the error for a frame that is not JSON or fails the schema. Each end reports bad frames
 * under its own catalogued code (the agent NAT_BAD_MESSAGE, the server RENDEZVOUS_BAD_REQUEST), so
 * there is no default.
 */
export type BadMessageError = (message: string, cause?: unknown) => Error

export function jsonStream<In> (stream: Stream, schema: z.ZodType<In, z.ZodTypeDef, unknown>, badMessage: BadMessageError): JsonStream<In> {
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
