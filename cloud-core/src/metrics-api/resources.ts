import type { ResourceDefinition } from '@edgemesh/kube/machinery'

export const METRICS_GROUP = 'metrics.k8s.io'
export const METRICS_VERSION = 'v1beta1'

/**
 * metrics.k8s.io/v1beta1 as metrics-server serves it: NodeMetrics and PodMetrics, get and list only
 * (`kubectl top` reads these; there is nothing to watch or write). Served from memory by MetricsBackend.
 */
export function metricsResources (): ResourceDefinition[] {
  return [
    { group: METRICS_GROUP, version: METRICS_VERSION, resource: 'nodes', kind: 'NodeMetrics', singular: 'node', namespaced: false, verbs: ['get', 'list'] },
    { group: METRICS_GROUP, version: METRICS_VERSION, resource: 'pods', kind: 'PodMetrics', singular: 'pod', namespaced: true, verbs: ['get', 'list'] }
  ]
}
