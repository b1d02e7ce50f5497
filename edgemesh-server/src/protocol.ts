import { jsonStream as framedJson, type JsonStream } from '@edgemesh/edgemesh-agent'
import type { Stream } from '@libp2p/interface'
import type { z } from '@edgemesh/common'
import { ServerError } from './errors.js'

// The wire schemas live with the agent (the client end); the server reuses them and only reports
// bad frames under its own code.
export {
  RENDEZVOUS_PROTOCOL, PUNCH_PROTOCOL, MAX_FRAME_BYTES, RendezvousRequest, RendezvousResponse, PeerRecordWire, PunchMessage,
  type JsonStream
} from '@edgemesh/edgemesh-agent'

export function jsonStream<In> (stream: Stream, schema: z.ZodType<In, z.ZodTypeDef, unknown>): JsonStream<In> {
  return framedJson(stream, schema, (message, cause) => new ServerError('RENDEZVOUS_BAD_REQUEST', message, { cause }))
}
