import { ERROR_CATALOGUE as IDENTITY_ERRORS } from './identity/errors.js'
import { ERROR_CATALOGUE as TUNNEL_ERRORS } from './tunnel/errors.js'
import { NAT_ERRORS } from './tunnel/nat/index.js'

export { IdentityError, type IdentityErrorCode } from './identity/errors.js'
export * from './identity/peer-key.js'
export * from './identity/node-cert.js'
export * from './identity/auth-frame.js'
export * from './identity/mesh-auth.js'
export * from './identity/gater.js'
export { TunnelError, type TunnelErrorCode } from './tunnel/errors.js'
export * from './tunnel/types.js'
export * from './tunnel/header.js'
export * from './tunnel/stream-duplex.js'
export * from './tunnel/datagram-stream.js'
export * from './tunnel/connection-manager.js'
export * from './tunnel/tunnel-service.js'
export * from './tunnel/host.js'
export * from './tunnel/nat/index.js'

/** Every error code the agent's identity, tunnel and NAT traversal modules throw, with its meaning. */
export const ERROR_CATALOGUE: Record<string, string> = { ...IDENTITY_ERRORS, ...TUNNEL_ERRORS, ...NAT_ERRORS }
export { IDENTITY_ERRORS, TUNNEL_ERRORS }
