import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type EdgeHubCode = keyof typeof ERROR_CATALOGUE
export class EdgeHubError extends CodedError<EdgeHubCode> {}

export const ERROR_CATALOGUE = {
  EDGEHUB_STOPPED: 'The edge-hub was stopped; upstream messages still waiting for an ack are rejected.',
  EDGEHUB_CONNECT_FAILED: 'A cloud-hub URL could not be reached or refused the TLS/WebSocket handshake; the next URL is tried after a jittered backoff.',
  EDGEHUB_KEEPALIVE_TIMEOUT: 'Nothing arrived from the cloud within the dead-link timeout (half-open link); the connection was dropped and is re-dialled.',
  EDGEHUB_HANDLER_FAILED: 'The downstream handler failed on a message; it is not acked, so the cloud resends it.',
  EDGEHUB_MESSAGE_DUPLICATE: 'A downstream message repeated a msg_id already applied; it was acked again and not applied twice.'
} as const satisfies Record<string, string>
