import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type NatErrorCode = keyof typeof ERROR_CATALOGUE

/** Failures of the agent's NAT traversal: rendezvous lookups, server links and hole punching. */
export class NatError extends CodedError<NatErrorCode> {
  /** For *_REJECTED/PUNCH_REFUSED: the code the server answered with. */
  readonly remoteCode?: string
  constructor (code: NatErrorCode, message: string, options?: { cause?: unknown, remoteCode?: string }) {
    super(code, message, options)
    this.remoteCode = options?.remoteCode
  }
}

export const ERROR_CATALOGUE = {
  PUNCH_FAILED: 'TCP simultaneous open toward the peer produced no connection (all attempts refused/reset, e.g. symmetric NAT) or the punched socket failed to upgrade.',
  PUNCH_TIMEOUT: 'The hole punch did not complete before its deadline.',
  PUNCH_REFUSED: 'No edgemesh-server would coordinate the punch (target not registered with a live link, or not authorised); remoteCode says why.',
  RENDEZVOUS_NOT_FOUND: 'No reachable edgemesh-server has a live registration for the node name.',
  RENDEZVOUS_UNAVAILABLE: 'No edgemesh-server could be reached over a fixed-port link.',
  RENDEZVOUS_REJECTED: 'An edgemesh-server refused a registration (e.g. RENDEZVOUS_FORBIDDEN: the node name is not the one the certificate proves); remoteCode says why.',
  NAT_BAD_MESSAGE: 'A rendezvous or punch frame from a server was not valid JSON or failed the schema.',
  NAT_SYNC_UNTRUSTED: 'A punch sync arrived on a connection that is not one of our server links; the stream is reset and nothing is dialled.',
  NAT_SOCKET_TIMEOUT: 'A punched (or fixed-port) socket given an inactivity timeout saw no traffic for that long; its connection is aborted.',
  NAT_SOCKET_ERROR: 'A punched (or fixed-port) socket closed with a transmission error; its connection is aborted.'
} as const satisfies Record<string, string>
