export { JoinError, ERROR_CATALOGUE as JOIN_ERROR_CATALOGUE, type JoinCode } from './errors.js'
export * from './join.js'
export { credentialPaths, saveNodeCredentials } from './credential-files.js'
