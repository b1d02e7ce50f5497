import { jsonStream as framedJson } from '@edgemesh/mesh'
import { ServerError } from './errors.js'
import type { JsonStream } from '@edgemesh/mesh'
import type { z } from '@edgemesh/common'
import type { Stream } from '@libp2p/interface'

// The wire schemas and framing live in @edgemesh/mesh (shared with the agent); the server only
// reports bad frames under its own code.
export {
  RENDEZVOUS_PROTOCOL, PUNCH_PROTOCOL, MAX_FRAME_BYTES, RendezvousRequest, RendezvousResponse, PeerRecordWire, PunchMessage,
  type JsonStream
} from '@edgemesh/mesh'

export function jsonStream<In> (stream: Stream, schema: z.ZodType<In, z.ZodTypeDef, unknown>): JsonStream<In> {
  return framedJson(stream, schema, (message, cause) => new ServerError('RENDEZVOUS_BAD_REQUEST', message, { cause }))
}
