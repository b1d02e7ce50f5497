export { EdgeController, type DownstreamSink, type EdgeControllerComponents, type EdgeControllerInit } from './edge-controller.js'
export { podReferences } from './pod-references.js'
export { NodeReports, type NodeReportsComponents, type NodeReportsLookup } from './upstream.js'
export { EdgeControllerError, ERROR_CATALOGUE as EDGE_CONTROLLER_ERROR_CATALOGUE, type EdgeControllerCode } from './errors.js'
