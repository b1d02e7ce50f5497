export * from './dedup-store.js'
export * from './edge-hub.js'
export * from './errors.js'
