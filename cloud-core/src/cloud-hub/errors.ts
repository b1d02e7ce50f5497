// Cloud-hub failures are per-connection events, not exceptions: each is logged with one of these codes.
export const ERROR_CATALOGUE: Record<string, string> = {
  CLOUDHUB_UNAUTHORIZED: 'A hub client presented no certificate from the cluster CA, or one whose CN is not `system:node:<name>` with O `system:nodes`; the connection is closed.',
  CLOUDHUB_HANDSHAKE_LIMIT: 'Too many TLS/WebSocket handshakes were in progress; the new connection was dropped (the node retries with backoff).',
  CLOUDHUB_KEEPALIVE_TIMEOUT: 'Nothing arrived from a node within the dead-link timeout (half-open link); its session was closed.',
  CLOUDHUB_SESSION_REPLACED: 'A node connected again; its older session was closed in favour of the new one.',
  CLOUDHUB_MESSAGE_DUPLICATE: 'An upstream message repeated a msg_id already handled; it was acked again and not applied twice.',
  CLOUDHUB_ACK_UNKNOWN: 'An ack names a msg_id that is not pending (a late duplicate ack); it is ignored.',
  CLOUDHUB_UPSTREAM_FAILED: 'The upstream handler failed on a message from a node; it is not acked, so the node resends it.'
}
