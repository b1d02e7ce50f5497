export * from './envelope.js'
export * from './resource.js'
export * from './errors.js'
