import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type TunnelErrorCode = keyof typeof ERROR_CATALOGUE

/** A tunnel failure. Codes that travel on the wire (in the header response) are the MESH_* ones plus AUTH_REQUIRED. */
export class TunnelError extends CodedError<TunnelErrorCode | 'AUTH_REQUIRED'> {}

export const ERROR_CATALOGUE = {
  MESH_BAD_HEADER: 'A tunnel header or response frame was truncated, oversized, not JSON, or failed the schema.',
  MESH_TARGET_DENIED: 'The receiving agent\'s TargetPolicy does not allow this peer to reach this ip:port; nothing was dialled.',
  MESH_DIAL_FAILED: 'The receiving agent could not connect to the allowed target (refused, unreachable or timed out).',
  MESH_WRONG_NODE: 'The header names a different node than the one that received it.',
  MESH_PEER_UNREACHABLE: 'No direct, relayed or punched connection to the peer could be established.',
  MESH_PEER_UNKNOWN: 'The node name could not be resolved to a peer id and addresses.',
  MESH_STREAM_FAILED: 'The tunnel stream could not be opened or broke before the header was answered.',
  MESH_STREAM_RESET: 'The local end of a tunnel stream was destroyed without an error of its own (its proxied socket went away); the stream is reset, not closed, so the peer sees the flow end abruptly.',
  MESH_PSK_INVALID: 'The pre-shared key file is not a libp2p pnet v1 key (/key/swarm/psk/1.0.0/, /base16/, 64 hex digits).',
  MESH_NOT_STARTED: 'The tunnel service is not started, or was stopped: no node dialer, no new flows; flows still open when it stops end with this error.',
  MESH_DIAL_TIMEOUT: 'The receiving agent\'s connect to an allowed target did not finish within dialTimeoutMs; the flow is refused with MESH_DIAL_FAILED on the wire.'
} as const satisfies Record<string, string>
