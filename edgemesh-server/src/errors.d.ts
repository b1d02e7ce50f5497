import { EdgeMeshError } from '@edgemesh/common';
/** Codes edgemesh-server emits (in logs, metrics labels and wire error replies). */
export type ServerErrorCode = 'RELAY_NO_RESERVATION' | 'RENDEZVOUS_NOT_FOUND' | 'RENDEZVOUS_FORBIDDEN' | 'RENDEZVOUS_BAD_REQUEST' | 'PUNCH_PEER_UNAVAILABLE' | 'PUNCH_FORBIDDEN' | 'PUNCH_FAILED' | 'PUNCH_TIMEOUT' | 'SERVER_IDENTITY_INVALID';
export declare const ERROR_CATALOGUE: Record<ServerErrorCode, string>;
export declare class ServerError extends EdgeMeshError {
    readonly code: ServerErrorCode;
    constructor(code: ServerErrorCode, message: string, options?: {
        cause?: unknown;
    });
}
