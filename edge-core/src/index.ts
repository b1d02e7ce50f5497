export * from './edge-hub/index.js'
export * from './bootstrap-client/index.js'
export * from './meta-manager/index.js'
export * from './meta-server/index.js'
