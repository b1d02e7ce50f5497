import { z } from 'zod'
import { OpenApiError } from './errors.js'
import type { SchemaIndex } from './schema-index.js'
import { componentRef, type GvkTag, type JSONSchema } from './schema-types.js'

/** The parts of a CustomResourceDefinition (apiextensions.k8s.io/v1) that shape its schema. */
const crdShape = z.object({
  spec: z.object({
    group: z.string().min(1),
    names: z.object({ kind: z.string().min(1) }).passthrough(),
    versions: z.array(z.object({
      name: z.string().min(1),
      served: z.boolean().optional(),
      storage: z.boolean().optional(),
      schema: z.object({ openAPIV3Schema: z.unknown().optional() }).passthrough().nullish()
    }).passthrough()).min(1)
  }).passthrough()
}).passthrough()

export interface CrdVersionSchema {
  gvk: GvkTag
  served: boolean
  /** Root schema with apiVersion/kind/metadata added and the GVK tag set. */
  schema: JSONSchema
}

const MAX_DEPTH = 64
const STRING_KEYS = ['format', 'description', 'title', 'pattern'] as const
const NUMBER_KEYS = ['minimum', 'maximum', 'maxLength', 'minLength', 'maxItems', 'minItems'] as const
const BOOL_KEYS = ['nullable', 'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource'] as const
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean'])

/**
 * Copies the keywords we understand out of a user-supplied openAPIV3Schema, with their types
 * checked, and drops the rest. `$ref` is not allowed in CRD schemas (structural schema rules), so
 * nothing here can point outside the CRD except the metadata reference we add ourselves.
 */
export function sanitizeSchema (raw: unknown, depth = 0): JSONSchema {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || depth > MAX_DEPTH) return {}
  const r = raw as Record<string, unknown>
  const out: JSONSchema = {}
  if (typeof r.type === 'string' && TYPES.has(r.type)) out.type = r.type as JSONSchema['type']
  for (const k of STRING_KEYS) if (typeof r[k] === 'string') out[k] = r[k]
  for (const k of NUMBER_KEYS) if (typeof r[k] === 'number' && Number.isFinite(r[k])) out[k] = r[k]
  for (const k of BOOL_KEYS) if (typeof r[k] === 'boolean') out[k] = r[k]
  if (Array.isArray(r.required)) out.required = r.required.filter((x): x is string => typeof x === 'string')
  if (Array.isArray(r.enum)) out.enum = r.enum.slice()
  if (r.default !== undefined) out.default = r.default
  if (typeof r['x-kubernetes-list-type'] === 'string' && ['atomic', 'set', 'map'].includes(r['x-kubernetes-list-type'])) out['x-kubernetes-list-type'] = r['x-kubernetes-list-type'] as 'atomic' | 'set' | 'map'
  if (Array.isArray(r['x-kubernetes-list-map-keys'])) out['x-kubernetes-list-map-keys'] = r['x-kubernetes-list-map-keys'].filter((x): x is string => typeof x === 'string')
  if (r['x-kubernetes-map-type'] === 'atomic' || r['x-kubernetes-map-type'] === 'granular') out['x-kubernetes-map-type'] = r['x-kubernetes-map-type']
  if (typeof r.properties === 'object' && r.properties !== null && !Array.isArray(r.properties)) {
    const props: Record<string, JSONSchema> = {}
    for (const [k, v] of Object.entries(r.properties)) props[k] = sanitizeSchema(v, depth + 1)
    out.properties = props
  }
  if (r.items !== undefined) out.items = sanitizeSchema(r.items, depth + 1)
  if (typeof r.additionalProperties === 'boolean') out.additionalProperties = r.additionalProperties
  else if (r.additionalProperties !== undefined) out.additionalProperties = sanitizeSchema(r.additionalProperties, depth + 1)
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    const v = r[k]
    if (Array.isArray(v)) out[k] = v.map(x => sanitizeSchema(x, depth + 1))
  }
  if (r.not !== undefined) out.not = sanitizeSchema(r.not, depth + 1)
  return out
}

/**
 * The schema of each version of a CRD, as the validator and the OpenAPI documents use it.
 * Like kube-apiserver: apiVersion and kind are always strings, metadata is always ObjectMeta
 * (whatever the CRD says), and a version without a schema accepts any content.
 */
export function crdSchemaFor (crd: unknown): CrdVersionSchema[] {
  const parsed = crdShape.safeParse(crd)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new OpenApiError('OPENAPI_CRD_INVALID', `invalid CustomResourceDefinition: ${issue === undefined ? 'bad shape' : `${issue.path.join('.')}: ${issue.message}`}`)
  }
  const { group, names, versions } = parsed.data.spec
  return versions.map(v => {
    const raw = v.schema?.openAPIV3Schema
    const base = raw === undefined ? { type: 'object' as const, 'x-kubernetes-preserve-unknown-fields': true } : sanitizeSchema(raw)
    const gvk = { group, version: v.name, kind: names.kind }
    const schema: JSONSchema = {
      ...base,
      type: 'object',
      properties: {
        ...base.properties,
        apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
        kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
        metadata: { description: "Standard object's metadata.", allOf: [{ $ref: componentRef('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta') }] }
      },
      'x-kubernetes-group-version-kind': [gvk]
    }
    return { gvk, served: v.served !== false, schema }
  })
}

/** Registers every served version of a CRD in the index (and drops versions no longer served). */
export function applyCrd (index: SchemaIndex, crd: unknown): CrdVersionSchema[] {
  const versions = crdSchemaFor(crd)
  for (const v of versions) {
    if (v.served) index.setCrdSchema(v.gvk, v.schema)
    else index.deleteCrdSchema(v.gvk)
  }
  return versions
}

/** Removes every version of a CRD from the index (on CRD deletion). */
export function removeCrd (index: SchemaIndex, crd: unknown): void {
  for (const v of crdSchemaFor(crd)) index.deleteCrdSchema(v.gvk)
}
