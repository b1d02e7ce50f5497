import { z } from '@edgemesh/common'
import { IdentityError } from './errors.js'

export const AUTH_PROTOCOL = '/edgemesh/auth/1.0.0'
export const AUTH_VERSION = 1
/** A PEM node cert is ~1 KiB; 16 KiB leaves room for intermediates while bounding what a stranger can make us buffer. */
export const MAX_AUTH_FRAME_BYTES = 16 * 1024

const certFrame = z.object({ version: z.literal(AUTH_VERSION), certPem: z.string().min(1).max(MAX_AUTH_FRAME_BYTES) }).strict()
const errorFrame = z.object({
  version: z.literal(AUTH_VERSION),
  error: z.object({ code: z.string().regex(/^[A-Z_]{1,64}$/), message: z.string().max(1024) }).strict()
}).strict()
const frame = z.union([certFrame, errorFrame])

export type AuthFrame = z.infer<typeof frame>

export function encodeAuthFrame (f: AuthFrame): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(f))
}

/** Decodes one frame body (the length prefix is handled by the stream). Throws AUTH_BAD_FRAME. */
export function decodeAuthFrame (body: Uint8Array): AuthFrame {
  if (body.byteLength > MAX_AUTH_FRAME_BYTES) throw new IdentityError('AUTH_BAD_FRAME', `auth frame of ${body.byteLength} bytes exceeds ${MAX_AUTH_FRAME_BYTES}`)
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch (err) {
    throw new IdentityError('AUTH_BAD_FRAME', 'auth frame is not UTF-8 JSON', { cause: err })
  }
  const r = frame.safeParse(json)
  if (!r.success) throw new IdentityError('AUTH_BAD_FRAME', `auth frame does not match the schema: ${r.error.issues[0]?.message ?? ''}`)
  return r.data
}
