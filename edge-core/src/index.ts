export * from './edge-hub/index.js'
