export { EdgeController, type DownstreamSink, type EdgeControllerComponents, type EdgeControllerInit } from './edge-controller.js'
export { podReferences } from './pod-references.js'
