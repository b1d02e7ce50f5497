export * from './errors.js'
export * from './json-patch.js'
export * from './json-value.js'
export * from './merge-patch.js'
