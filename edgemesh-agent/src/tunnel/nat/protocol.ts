import { jsonStream as framedJson } from '@edgemesh/mesh'
import { NatError } from './errors.js'
import type { BadMessageError, JsonStream } from '@edgemesh/mesh'
import type { z } from '@edgemesh/common'
import type { Stream } from '@libp2p/interface'

// The wire schemas and framing are shared with edgemesh-server and live in @edgemesh/mesh; the
// agent only reports bad frames from a server under its own code.
export {
  RENDEZVOUS_PROTOCOL, PUNCH_PROTOCOL, MAX_FRAME_BYTES, RendezvousRequest, RendezvousResponse, PeerRecordWire, PunchMessage,
  type JsonStream, type BadMessageError
} from '@edgemesh/mesh'

const natBadMessage: BadMessageError = (message, cause) => new NatError('NAT_BAD_MESSAGE', message, { cause })

export function jsonStream<In> (stream: Stream, schema: z.ZodType<In, z.ZodTypeDef, unknown>, badMessage: BadMessageError = natBadMessage): JsonStream<In> {
  return framedJson(stream, schema, badMessage)
}
