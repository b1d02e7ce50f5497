/**
 * The subset of OpenAPI v3 / JSON Schema that Kubernetes uses for its types (and that CRDs
 * may use in `openAPIV3Schema`), plus the Kubernetes `x-kubernetes-*` extensions.
 * Kept as a plain JSON shape so documents can be serialised as they are.
 */
export interface JSONSchema {
  $ref?: string
  allOf?: JSONSchema[]
  oneOf?: JSONSchema[]
  anyOf?: JSONSchema[]
  not?: JSONSchema
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean'
  format?: string
  description?: string
  title?: string
  properties?: Record<string, JSONSchema>
  additionalProperties?: JSONSchema | boolean
  items?: JSONSchema
  required?: string[]
  enum?: unknown[]
  default?: unknown
  nullable?: boolean
  minimum?: number
  maximum?: number
  maxLength?: number
  minLength?: number
  pattern?: string
  maxItems?: number
  minItems?: number
  'x-kubernetes-group-version-kind'?: GvkTag[]
  'x-kubernetes-patch-merge-key'?: string
  'x-kubernetes-patch-strategy'?: string
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map'
  'x-kubernetes-list-map-keys'?: string[]
  'x-kubernetes-map-type'?: 'atomic' | 'granular'
  'x-kubernetes-int-or-string'?: boolean
  'x-kubernetes-preserve-unknown-fields'?: boolean
  'x-kubernetes-embedded-resource'?: boolean
  [extension: `x-${string}`]: unknown
}

export interface GvkTag { group: string, version: string, kind: string }

/** Map key for a GVK: 'apps/v1/Deployment', '/v1/Pod' for the core group. */
export function gvkKey (gvk: GvkTag): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}`
}

/** OpenAPI v3 component reference for a schema name. */
export function componentRef (name: string): string {
  return `#/components/schemas/${name}`
}

export const COMPONENT_PREFIX = '#/components/schemas/'
