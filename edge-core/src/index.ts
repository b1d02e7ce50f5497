export * from './edge-hub/index.js'
export * from './bootstrap-client/index.js'
