export { MetricsBackend, type MetricsBackendComponents } from './metrics-backend.js'
export { NodeMetricsCache, type NodeMetricsCacheComponents, type NodeMetricsCacheInit, type NodeUsage } from './node-metrics-cache.js'
export { METRICS_GROUP, METRICS_VERSION, metricsResources } from './resources.js'
