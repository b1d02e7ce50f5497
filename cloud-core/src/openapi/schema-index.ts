import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { parseApiVersion, type GroupVersionKind } from '@edgemesh/common'
import { decodeModule, typeExpressionSchema, type DecodedModule, type DecodedType } from './dts-decoder.js'
import { OpenApiError } from './errors.js'
import { PATCH_STRATEGIES } from './patch-strategies.js'
import { COMPONENT_PREFIX, componentRef, gvkKey, type GvkTag, type JSONSchema } from './schema-types.js'

export interface SchemaIndexInit {
  /** Directory of the kubernetes-types package. @default resolved from this package's dependencies */
  typesDir?: string
}

/** Where a schema was found by `walk`. */
export interface SchemaLocation {
  /** The property schema as written in its parent (carries description and patch extensions). */
  schema: JSONSchema
  /** The same with `$ref`/`allOf` followed. */
  resolved: JSONSchema
}

/** Component name prefixes, as kube-apiserver names its definitions. */
function prefixFor (modulePath: string): string {
  switch (modulePath) {
    case 'meta/v1': return 'io.k8s.apimachinery.pkg.apis.meta.v1'
    case 'api/resource': return 'io.k8s.apimachinery.pkg.api.resource'
    case 'runtime': return 'io.k8s.apimachinery.pkg.runtime'
    case 'version': return 'io.k8s.apimachinery.pkg.version'
    case 'apiextensions/v1': return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1'
    default: return `io.k8s.api.${modulePath.replace(/\//g, '.')}`
  }
}

const MAX_DEPTH = 64

/** The only float fields among the decoded types (float64 in apiextensions JSONSchemaProps). */
const FLOAT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps': ['maximum', 'minimum', 'multipleOf']
}

function listDts (dir: string, root: string, out: string[]): void {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name)
    if (ent.isDirectory()) listDts(p, root, out)
    else if (ent.name.endsWith('.d.ts')) out.push(relative(root, p).replace(/\\/g, '/').replace(/\.d\.ts$/, ''))
  }
}

/**
 * All built-in Kubernetes schemas, keyed by OpenAPI component name, plus the schemas of the CRDs
 * currently served. Built-in schemas are decoded from `kubernetes-types` on first use and then
 * shared by the validator, the patch schema and the OpenAPI documents.
 */
export class SchemaIndex {
  private readonly typesDir?: string
  private built?: { components: Map<string, JSONSchema>, kinds: Map<string, string> }
  private readonly crds = new Map<string, { gvk: GvkTag, schema: JSONSchema }>()
  private crdGeneration = 0

  constructor (init: SchemaIndexInit = {}) {
    this.typesDir = init.typesDir
  }

  /** Built-in components by name ('io.k8s.api.apps.v1.Deployment'). */
  components (): ReadonlyMap<string, JSONSchema> {
    return this.load().components
  }

  /** Component name of a built-in kind, or undefined. */
  componentNameFor (gvk: GroupVersionKind): string | undefined {
    return this.load().kinds.get(gvkKey(gvk))
  }

  /** Every built-in kind that has a schema. */
  builtInKinds (): GvkTag[] {
    const out: GvkTag[] = []
    for (const name of this.load().kinds.values()) {
      for (const t of this.load().components.get(name)?.['x-kubernetes-group-version-kind'] ?? []) out.push(t)
    }
    return out
  }

  isBuiltIn (gvk: GroupVersionKind): boolean {
    return this.componentNameFor(gvk) !== undefined
  }

  /** The root schema of a kind: a built-in component or a registered CRD schema. */
  schemaFor (gvk: GroupVersionKind): JSONSchema | undefined {
    const name = this.componentNameFor(gvk)
    if (name !== undefined) return this.load().components.get(name)
    return this.crds.get(gvkKey(gvk))?.schema
  }

  /** Registers (or replaces) the schema of a custom resource kind (see crdSchemaFor). */
  setCrdSchema (gvk: GroupVersionKind, schema: JSONSchema): void {
    const key = gvkKey(gvk)
    if (this.componentNameFor(gvk) !== undefined) {
      throw new OpenApiError('OPENAPI_BUILTIN_KIND', `${key} is a built-in kind and cannot be redefined by a CRD`)
    }
    this.crds.set(key, { gvk: { group: gvk.group, version: gvk.version, kind: gvk.kind }, schema })
    this.crdGeneration++
  }

  deleteCrdSchema (gvk: GroupVersionKind): void {
    if (this.crds.delete(gvkKey(gvk))) this.crdGeneration++
  }

  /** CRD schemas by gvkKey. */
  crdSchemas (): ReadonlyMap<string, JSONSchema> {
    const out = new Map<string, JSONSchema>()
    for (const [k, v] of this.crds) out.set(k, v.schema)
    return out
  }

  /** Bumped on every CRD schema change; lets callers cache derived data. */
  get generation (): number {
    return this.crdGeneration
  }

  /** Follows `$ref` and single-element `allOf` wrappers (how upstream attaches descriptions to refs). */
  resolve (schema: JSONSchema): JSONSchema {
    let s = schema
    for (let i = 0; i < MAX_DEPTH; i++) {
      if (typeof s.$ref === 'string') {
        const target = s.$ref.startsWith(COMPONENT_PREFIX) ? this.load().components.get(s.$ref.slice(COMPONENT_PREFIX.length)) : undefined
        if (target === undefined) return {}
        s = target
        continue
      }
      if (Array.isArray(s.allOf) && s.allOf.length === 1 && s.properties === undefined && s.type === undefined) {
        s = s.allOf[0] ?? {}
        continue
      }
      return s
    }
    return {}
  }

  /**
   * The schema at a field path inside a kind, list items skipped:
   * ['spec', 'template', 'spec', 'containers', 'image'].
   */
  walk (gvk: GroupVersionKind, path: readonly string[]): SchemaLocation | undefined {
    const root = this.schemaFor(gvk)
    if (root === undefined) return undefined
    let loc: SchemaLocation = { schema: root, resolved: this.resolve(root) }
    for (const seg of path) {
      let parent = loc.resolved
      if (parent.type === 'array' && parent.items !== undefined) parent = this.resolve(parent.items)
      let next: JSONSchema | undefined
      if (parent.properties !== undefined && Object.hasOwn(parent.properties, seg)) next = parent.properties[seg]
      else if (typeof parent.additionalProperties === 'object') next = parent.additionalProperties
      if (next === undefined) return undefined
      loc = { schema: next, resolved: this.resolve(next) }
    }
    return loc
  }

  private load (): { components: Map<string, JSONSchema>, kinds: Map<string, string> } {
    if (this.built !== undefined) return this.built
    const dir = this.typesDir ?? dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'))
    const paths: string[] = []
    try {
      listDts(dir, dir, paths)
    } catch (err) {
      throw new OpenApiError('OPENAPI_SCHEMAS_UNAVAILABLE', `cannot read Kubernetes schemas from ${dir}`, { cause: err })
    }
    const modules = new Map<string, DecodedModule>()
    for (const p of paths) modules.set(p, decodeModule(p, readFileSync(join(dir, `${p}.d.ts`), 'utf8')))
    if (!modules.has('meta/v1') || !modules.has('core/v1')) {
      throw new OpenApiError('OPENAPI_SCHEMAS_UNAVAILABLE', `${dir} does not look like the kubernetes-types package`)
    }
    const components = new Map<string, JSONSchema>()
    const kinds = new Map<string, string>()
    for (const mod of modules.values()) {
      const prefix = prefixFor(mod.path)
      const ref = (name: string): JSONSchema | undefined => {
        if (mod.types.has(name)) return { $ref: componentRef(`${prefix}.${name}`) }
        const from = mod.imports.get(name)
        if (from !== undefined && modules.get(from)?.types.has(name) === true) return { $ref: componentRef(`${prefixFor(from)}.${name}`) }
        return undefined
      }
      for (const t of mod.types.values()) {
        const name = `${prefix}.${t.name}`
        const schema = typeSchema(t, ref, PATCH_STRATEGIES[name], FLOAT_FIELDS[name] ?? [])
        components.set(name, schema)
        for (const g of schema['x-kubernetes-group-version-kind'] ?? []) kinds.set(gvkKey(g), name)
      }
    }
    this.built = { components, kinds }
    return this.built
  }
}

function withDescription (schema: JSONSchema, description: string | undefined): JSONSchema {
  if (description === undefined || description === '') return schema
  // Upstream wraps references in allOf so a description can sit next to them.
  if (schema.$ref !== undefined) return { description, allOf: [{ $ref: schema.$ref }] }
  return { description, ...schema }
}

function typeSchema (t: DecodedType, ref: (name: string) => JSONSchema | undefined, patch: Record<string, { strategy: string, mergeKey?: string }> | undefined, floats: readonly string[]): JSONSchema {
  if (t.kind === 'alias') {
    if (t.name === 'Quantity') return withDescription({ type: 'string', format: 'quantity' }, t.description)
    if (t.name === 'Time') return withDescription({ type: 'string', format: 'date-time' }, t.description)
    if (t.name === 'MicroTime') return withDescription({ type: 'string', format: 'date-time' }, t.description)
    return withDescription(typeExpressionSchema(t.type, ref), t.description)
  }
  if (t.fields.length === 0) {
    // RawExtension, FieldsV1, JSON: free-form content.
    const base: JSONSchema = t.name === 'JSON' ? { 'x-kubernetes-preserve-unknown-fields': true } : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }
    return withDescription(base, t.description)
  }
  const properties: Record<string, JSONSchema> = {}
  const required: string[] = []
  let apiVersion: string | undefined
  let kind: string | undefined
  for (const f of t.fields) {
    const fieldType = floats.includes(f.name) && f.type === 'number' ? { type: 'number' as const, format: 'double' } : typeExpressionSchema(f.type, ref)
    let prop = withDescription(fieldType, f.description)
    const row = patch?.[f.name]
    if (row !== undefined) {
      prop = { ...prop, 'x-kubernetes-patch-strategy': row.strategy, ...(row.mergeKey !== undefined ? { 'x-kubernetes-patch-merge-key': row.mergeKey } : {}) }
    }
    properties[f.name] = prop
    if (!f.optional) required.push(f.name)
    const lit = /^"([^"]+)"$/.exec(f.type)
    if (lit !== null && f.name === 'apiVersion') apiVersion = lit[1]
    if (lit !== null && f.name === 'kind') kind = lit[1]
  }
  const schema: JSONSchema = { type: 'object', properties }
  if (required.length > 0) schema.required = required
  if (apiVersion !== undefined && kind !== undefined) {
    const { group, version } = parseApiVersion(apiVersion)
    schema['x-kubernetes-group-version-kind'] = [{ group, kind, version }]
  }
  return withDescription(schema, t.description)
}
