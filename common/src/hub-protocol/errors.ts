import { CodedError } from '../errors.js'

/** The codes of this module: the keys of its catalogue (one table). */
export type HubProtocolCode = keyof typeof ERROR_CATALOGUE
/** A frame or resource string that does not follow the hub wire protocol. */
export class HubProtocolError extends CodedError<HubProtocolCode> {
  /** The msg_id of the offending message when it could be read. */
  readonly msgId?: string
  constructor (code: HubProtocolCode, message: string, opts: { msgId?: string, cause?: unknown } = {}) {
    super(code, message, { cause: opts.cause })
    this.msgId = opts.msgId
  }
}

export const ERROR_CATALOGUE = {
  HUB_MESSAGE_INVALID: 'A hub frame is not JSON or does not match the envelope schema (unknown or missing keys, wrong types).',
  HUB_MESSAGE_TOO_LARGE: 'A hub frame is larger than the maximum message size.',
  HUB_RESOURCE_INVALID: 'A route.resource string is not `node/<node>/<ns>/<kind>/<name>` (cloud side) or `<ns>/<kind>/<name>` (edge side).',
  HUB_OPERATION_UNKNOWN: 'A hub message names an operation other than insert, update, delete, query, response or keepalive.'
} as const satisfies Record<string, string>
