export { NodeReporter, type NodeReporterComponents, type NodeReporterInit } from './node-reporter.js'
export { nodeAddresses, nodeStatus, type NodeAddress, type NodeConditionInit } from './node-status.js'
