import { CodedError } from '@edgemesh/common'

/** Codes edgemesh-server emits (in logs, metrics labels and wire error replies): the keys of its catalogue. */
export type ServerErrorCode = keyof typeof ERROR_CATALOGUE

export const ERROR_CATALOGUE = {
  RELAY_NO_RESERVATION: 'A relay reservation (or a relayed connection) was refused: the peer is not authenticated with a cluster certificate, or the reservation table is full.',
  RENDEZVOUS_NOT_FOUND: 'No live rendezvous registration exists for the requested node name (never registered, or its TTL expired).',
  RENDEZVOUS_FORBIDDEN: 'A peer tried to register a node name its certificate does not prove, or used rendezvous before authenticating.',
  RENDEZVOUS_BAD_REQUEST: 'A rendezvous or punch message failed schema validation or was too large.',
  PUNCH_PEER_UNAVAILABLE: 'The hole-punch target has no live registration with a direct connection to this server, or it did not answer the sync.',
  PUNCH_FORBIDDEN: 'A peer asked for a hole punch before authenticating.',
  SERVER_IDENTITY_INVALID: 'The server key, certificate or CA in the data dir or config is unreadable or does not match.',
  SERVER_NOT_STARTED: 'The libp2p host (peer id, addresses, services) was asked for while the server is not started.'
} as const satisfies Record<string, string>

export class ServerError extends CodedError<ServerErrorCode> {}
