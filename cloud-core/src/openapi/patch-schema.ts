import type { GroupVersionKind } from '@edgemesh/common'
import type { PatchMeta, PatchSchema } from '@edgemesh/kube/machinery'
import type { SchemaIndex } from './schema-index.js'
import type { JSONSchema } from './schema-types.js'

export interface OpenApiPatchSchemaComponents {
  index: SchemaIndex
}

function typeOf (s: JSONSchema): PatchMeta['type'] {
  if (s.type === 'array') return 'list'
  if (s.type === 'object' || s.properties !== undefined) {
    return s.properties === undefined && s.additionalProperties !== undefined && s.additionalProperties !== false ? 'map' : 'object'
  }
  if (s.type !== undefined || s['x-kubernetes-int-or-string'] === true) return 'primitive'
  return undefined
}

/**
 * Strategic-merge metadata from the same schemas the validator uses. Only built-in kinds support
 * strategic merge: kube-apiserver answers 415 for it on custom resources, and so should we.
 */
export class OpenApiPatchSchema implements PatchSchema {
  private readonly index: SchemaIndex

  constructor (components: OpenApiPatchSchemaComponents) {
    this.index = components.index
  }

  lookup (gvk: GroupVersionKind, path: readonly string[]): PatchMeta | undefined {
    const loc = this.index.walk(gvk, path)
    if (loc === undefined) return undefined
    const meta: PatchMeta = {}
    const mergeKey = loc.schema['x-kubernetes-patch-merge-key'] ?? loc.resolved['x-kubernetes-patch-merge-key']
    const strategy = loc.schema['x-kubernetes-patch-strategy'] ?? loc.resolved['x-kubernetes-patch-strategy']
    const type = typeOf(loc.resolved)
    if (mergeKey !== undefined) meta.mergeKey = mergeKey
    if (strategy !== undefined) meta.strategy = strategy
    if (type !== undefined) meta.type = type
    return meta
  }

  supportsStrategic (gvk: GroupVersionKind): boolean {
    return this.index.isBuiltIn(gvk)
  }
}

export function openApiPatchSchema (): (components: OpenApiPatchSchemaComponents) => OpenApiPatchSchema {
  return (components) => new OpenApiPatchSchema(components)
}
