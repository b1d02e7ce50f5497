import { CodedError } from '../errors.js'

/** The codes of this module: the keys of its catalogue (one table). */
export type HubProtocolCode = keyof typeof ERROR_CATALOGUE
/** A frame or resource string that does not follow the hub wire protocol. */
export class HubProtocolError extends CodedError<HubProtocolCode> {
  /** The msg_id of the offending message when it could be read. */
  readonly msgId?: string
  /** The stream id of the offending stream frame when its header could be read. */
  readonly streamId?: number
  constructor (code: HubProtocolCode, message: string, opts: { msgId?: string, streamId?: number, cause?: unknown } = {}) {
    super(code, message, { cause: opts.cause })
    this.msgId = opts.msgId
    this.streamId = opts.streamId
  }
}

export const ERROR_CATALOGUE = {
  HUB_MESSAGE_INVALID: 'A hub frame is not JSON or does not match the envelope schema (unknown or missing keys, wrong types).',
  HUB_MESSAGE_TOO_LARGE: 'A hub frame is larger than the maximum message size.',
  HUB_RESOURCE_INVALID: 'A route.resource string is not `node/<node>/<ns>/<kind>/<name>` (cloud side) or `<ns>/<kind>/<name>` (edge side).',
  HUB_OPERATION_UNKNOWN: 'A hub message names an operation other than insert, update, delete, query, response or keepalive.',
  HUB_STREAM_FRAME_INVALID: 'A binary pod-stream frame is malformed: shorter than its header, an unknown type, stream id 0, or a payload that does not match its type (OPEN not a valid PodStreamRequest, REFUSE not {status, message}).',
  HUB_STREAM_UNKNOWN: 'A pod-stream frame names a stream that is not open (never opened or already finished), or is one this end may not receive (an OPEN from a node); it is dropped and counted, the link is kept.',
  HUB_STREAM_CREDIT_EXCEEDED: 'A peer sent pod-stream DATA beyond the credit granted to it; that stream is aborted, the link and other streams are kept.',
  HUB_STREAM_FRAME_TOO_LARGE: 'A binary pod-stream frame is larger than the stream frame limit (64 KiB of payload by default).'
} as const satisfies Record<string, string>
