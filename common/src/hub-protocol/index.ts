export * from './envelope.js'
export * from './resource.js'
export * from './errors.js'
export * from './msg-id-window.js'
