import type { KubeObject } from '@edgemesh/common'
import type { ResourceDefinition } from '@edgemesh/kube/machinery'

/** Small stand-ins for the per-kind definitions, so these tests do not depend on resources/. */
export function testResources (): ResourceDefinition[] {
  const str = (v: unknown): string => typeof v === 'string' ? v : ''
  return [
    { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', singular: 'namespace', namespaced: false, shortNames: ['ns'], subresources: ['status'], columns: [{ name: 'Status', type: 'string' }], cells: (o) => [str((o.status as { phase?: string } | undefined)?.phase)] },
    { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap', namespaced: true, shortNames: ['cm'], columns: [{ name: 'Data', type: 'integer' }], cells: (o) => [Object.keys((o.data as object | undefined) ?? {}).length] },
    {
      group: '', version: 'v1', resource: 'pods', kind: 'Pod', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'log'],
      columns: [{ name: 'Status', type: 'string' }, { name: 'Node', type: 'string', priority: 1 }],
      cells: (o: KubeObject) => [str((o.status as { phase?: string } | undefined)?.phase), str((o.spec as { nodeName?: string } | undefined)?.nodeName)],
      fieldSelectors: { 'spec.nodeName': (o) => str((o.spec as { nodeName?: string } | undefined)?.nodeName), 'status.phase': (o) => str((o.status as { phase?: string } | undefined)?.phase) }
    },
    { group: '', version: 'v1', resource: 'nodes', kind: 'Node', singular: 'node', namespaced: false, shortNames: ['no'], subresources: ['status'] },
    { group: '', version: 'v1', resource: 'events', kind: 'Event', singular: 'event', namespaced: true, shortNames: ['ev'] },
    { group: '', version: 'v1', resource: 'services', kind: 'Service', singular: 'service', namespaced: true, shortNames: ['svc'], subresources: ['status'] },
    { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'], hasGeneration: true, columns: [{ name: 'Ready', type: 'string' }], cells: (o) => [`${Number((o.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0)}/${Number((o.spec as { replicas?: number } | undefined)?.replicas ?? 0)}`] },
    { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', singular: 'lease', namespaced: true }
  ]
}

export const CM = { group: '', version: 'v1', resource: 'configmaps' }
export const PODS = { group: '', version: 'v1', resource: 'pods' }
export const NS = { group: '', version: 'v1', resource: 'namespaces' }
export const NODES = { group: '', version: 'v1', resource: 'nodes' }
export const DEPLOY = { group: 'apps', version: 'v1', resource: 'deployments' }

export function cm (name: string, labels: Record<string, string> = {}, data: Record<string, string> = { a: '1' }): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data }
}
