export * from './framing.js'
export * from './nat-protocol.js'
