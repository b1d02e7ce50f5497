// The mesh protocol parts that edgemesh-agent and edgemesh-server share. Nothing here may import the
// agent's tunnel service, DNS or proxy (edgemesh-server/test/module-graph.int.test.ts checks the server's built binary).
export { IdentityError, type IdentityErrorCode, ERROR_CATALOGUE, ERROR_CATALOGUE as IDENTITY_ERRORS } from './identity/errors.js'
export * from './identity/peer-key.js'
export * from './identity/node-cert.js'
export * from './identity/auth-frame.js'
export * from './identity/mesh-auth.js'
export * from './identity/authorizer.js'
export * from './identity/gater.js'
export * from './wire/index.js'
