export { NodeReporter, type NodeReporterComponents, type NodeReporterInit } from './node-reporter.js'
export { nodeAddresses, nodeStatus, type NodeAddress } from './node-status.js'
