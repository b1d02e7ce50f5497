export * from './dedup-store.js'
export * from './edge-hub.js'
export { EdgeHubError, ERROR_CATALOGUE as EDGE_HUB_ERROR_CATALOGUE, type EdgeHubCode } from './errors.js'
