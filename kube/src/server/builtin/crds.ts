import type { ResourceInfo } from '../../machinery/types.js'
import { col } from './print-util.js'

export function customResourceDefinitionsInfo (): ResourceInfo {
  return {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    singular: 'customresourcedefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    subresources: ['status'],
    hasGeneration: true,
    columns: [col('Created At', 'When the CRD was created.', 0, 'date')],
    cells: obj => [obj.metadata.creationTimestamp ?? '']
  }
}
