// `@edgemesh/kube/testing`: the Store conformance suite and shared fixtures.
export * from './storage/store-suite.js'
export * from './fixtures.js'
