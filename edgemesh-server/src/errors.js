import { EdgeMeshError } from '@edgemesh/common';
export const ERROR_CATALOGUE = {
    RELAY_NO_RESERVATION: 'A relay reservation (or a relayed connection) was refused: the peer is not authenticated with a cluster certificate, or the reservation table is full.',
    RENDEZVOUS_NOT_FOUND: 'No live rendezvous registration exists for the requested node name (never registered, or its TTL expired).',
    RENDEZVOUS_FORBIDDEN: 'A peer tried to register a node name its certificate does not prove, or used rendezvous before authenticating.',
    RENDEZVOUS_BAD_REQUEST: 'A rendezvous or punch message failed schema validation or was too large.',
    PUNCH_PEER_UNAVAILABLE: 'The hole-punch target has no live registration with a direct connection to this server, or it did not answer the sync.',
    PUNCH_FORBIDDEN: 'A peer asked for a hole punch before authenticating.',
    PUNCH_FAILED: 'TCP simultaneous open did not produce a connection (every attempt was refused or reset), e.g. behind a symmetric NAT.',
    PUNCH_TIMEOUT: 'The hole punch (attempts plus upgrade) did not finish within its deadline.',
    SERVER_IDENTITY_INVALID: 'The server key, certificate or CA in the data dir or config is unreadable or does not match.'
};
export class ServerError extends EdgeMeshError {
    constructor(code, message, options) {
        super(code, message, options);
    }
}
//# sourceMappingURL=errors.js.map