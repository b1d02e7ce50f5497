import { IDENTITY_ERRORS } from '@edgemesh/mesh'
import { ERROR_CATALOGUE as TUNNEL_ERRORS } from './tunnel/errors.js'
import { NAT_ERRORS } from './tunnel/nat/index.js'

// Identity, auth, gater and wire schemas live in @edgemesh/mesh (shared with edgemesh-server);
// re-exported so agent users need one import.
export * from '@edgemesh/mesh'
export { TunnelError, type TunnelErrorCode } from './tunnel/errors.js'
export * from './tunnel/types.js'
export * from './tunnel/header.js'
export * from './tunnel/stream-duplex.js'
export * from './tunnel/datagram-stream.js'
export * from './tunnel/node-dialer.js'
export * from './tunnel/tunnel-service.js'
export * from './tunnel/host.js'
export * from './tunnel/nat/index.js'
// The agent's framing reports bad server frames as NAT_BAD_MESSAGE; it wins over the mesh one.
export { jsonStream } from './tunnel/nat/index.js'

/** Every error code the agent's identity (from @edgemesh/mesh), tunnel and NAT traversal modules throw, with its meaning. */
export const ERROR_CATALOGUE: Record<string, string> = { ...IDENTITY_ERRORS, ...TUNNEL_ERRORS, ...NAT_ERRORS }
export { TUNNEL_ERRORS }
