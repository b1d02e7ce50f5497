import { createHash } from 'node:crypto'
import type { ResourceDefinition } from '@edgemesh/kube/machinery'
import { SchemaIndex } from './schema-index.js'
import { COMPONENT_PREFIX, componentRef, gvkKey, type GvkTag, type JSONSchema } from './schema-types.js'

/** `GET /openapi/v3`: one entry per group/version, each pointing at its document by content hash. */
export interface OpenApiRoot {
  paths: Record<string, { serverRelativeURL: string }>
}

export interface OpenApiDocument {
  /** Serialised once; served as is. */
  json: string
  /** Upper-case hex SHA-256 of `json`; changes whenever the document does. */
  hash: string
}

export interface OpenApiBuild {
  root: OpenApiRoot
  /** Keyed by root path: 'api/v1', 'apis/apps/v1'. */
  documents: Map<string, OpenApiDocument>
}

/** The version kubectl reads from `info.version`; matches the /version we report (minor 32). */
const INFO = { title: 'Kubernetes', version: 'v1.32.0' }

const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']

const query = (name: string, description: string, type: 'string' | 'boolean' | 'integer' = 'string'): Record<string, unknown> =>
  ({ name, in: 'query', description, schema: { type, uniqueItems: true } })

const DRY_RUN = query('dryRun', 'When present, indicates that modifications should not be persisted. Valid values are: All.')
const FIELD_MANAGER = query('fieldManager', 'A name associated with the actor or entity that is making these changes.')
// kubectl looks for this parameter on the kind's patch operation to decide that the server validates.
const FIELD_VALIDATION = query('fieldValidation', 'How the server handles unknown or duplicate fields: Ignore, Warn or Strict (the default).')
const FORCE = query('force', 'Force is going to "force" Apply requests; it must be unset for non-apply patch requests.', 'boolean')
const PRETTY = query('pretty', "If 'true', then the output is pretty printed.")

function pathParam (name: string, description: string): Record<string, unknown> {
  return { name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } }
}

/** Where a group/version lives: core is under /api, the rest under /apis. */
export function groupVersionPath (group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`
}

/** OpenAPI component name for a custom resource: reversed group domain + version + kind, like upstream. */
export function crdComponentName (gvk: GvkTag): string {
  return `${gvk.group.split('.').reverse().join('.')}.${gvk.version}.${gvk.kind}`
}

function refsOf (schema: unknown, out: Set<string>): void {
  if (Array.isArray(schema)) { for (const s of schema) refsOf(s, out); return }
  if (typeof schema !== 'object' || schema === null) return
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith(COMPONENT_PREFIX)) out.add(v.slice(COMPONENT_PREFIX.length))
    else if (typeof v === 'object') refsOf(v, out)
  }
}

interface DocState {
  paths: Record<string, Record<string, unknown>>
  components: Map<string, JSONSchema>
}

function operation (action: string, def: ResourceDefinition, gvk: GvkTag, summary: string, extra: Record<string, unknown>, ref: string | undefined): Record<string, unknown> {
  const opId = `${action}${def.group === '' ? 'Core' : def.group.split('.')[0]}${def.version}${def.kind}`
  const ok = ref === undefined ? { description: 'OK' } : { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } }
  return {
    tags: [def.group === '' ? `core_${def.version}` : `${def.group}_${def.version}`],
    description: summary,
    operationId: opId,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
    responses: { 200: ok, 401: { description: 'Unauthorized' } }
  }
}

/**
 * Builds `/openapi/v3` and one document per served group/version from the resource definitions
 * and the schemas in `index` (built-ins) plus `crdSchemas` (gvkKey → root schema, see crdSchemaFor).
 * Each served kind gets list/item paths whose patch operation carries the GVK and a fieldValidation
 * parameter (so kubectl validates on the server) but does NOT list strategic-merge-patch in its
 * requestBody: kubectl then takes merge keys from its compiled-in types, which are exact.
 */
export function buildOpenApi (resources: readonly ResourceDefinition[], crdSchemas: ReadonlyMap<string, JSONSchema>, index: SchemaIndex = new SchemaIndex()): OpenApiBuild {
  const docs = new Map<string, DocState>()
  const builtins = index.components()
  const sorted = [...resources].sort((a, b) => `${a.group}/${a.version}/${a.resource}`.localeCompare(`${b.group}/${b.version}/${b.resource}`))
  for (const def of sorted) {
    const gvPath = groupVersionPath(def.group, def.version)
    let doc = docs.get(gvPath)
    if (doc === undefined) { doc = { paths: {}, components: new Map() }; docs.set(gvPath, doc) }
    const gvk: GvkTag = { group: def.group, version: def.version, kind: def.kind }
    let kindRef: string | undefined
    const builtinName = index.componentNameFor(gvk)
    if (builtinName !== undefined) {
      kindRef = componentRef(builtinName)
      doc.components.set(builtinName, builtins.get(builtinName) ?? {})
    } else {
      const crd = crdSchemas.get(gvkKey(gvk))
      if (crd !== undefined) {
        const name = crdComponentName(gvk)
        kindRef = componentRef(name)
        doc.components.set(name, crd)
      }
    }
    const verbs = new Set(def.verbs ?? ALL_VERBS)
    const base = `/${gvPath}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.resource}`
    const nsParams = def.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : []
    const nameParam = pathParam('name', `name of the ${def.kind}`)
    const body = kindRef === undefined ? undefined : { content: { 'application/json': { schema: { $ref: kindRef } } }, required: true }
    const patchBody = {
      content: {
        'application/json-patch+json': { schema: { type: 'object' } },
        'application/merge-patch+json': { schema: { type: 'object' } },
        'application/apply-patch+yaml': { schema: { type: 'object' } }
      },
      required: true
    }

    const list: Record<string, unknown> = { parameters: [...nsParams, PRETTY] }
    if (verbs.has('list')) list.get = operation('list', def, gvk, `list or watch objects of kind ${def.kind}`, {}, undefined)
    if (verbs.has('create')) list.post = operation('post', def, gvk, `create a ${def.kind}`, { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], ...(body !== undefined ? { requestBody: body } : {}) }, kindRef)
    if (verbs.has('deletecollection')) list.delete = operation('deletecollection', def, gvk, `delete collection of ${def.kind}`, {}, undefined)
    doc.paths[base] = list

    const item: Record<string, unknown> = { parameters: [nameParam, ...nsParams, PRETTY] }
    if (verbs.has('get')) item.get = operation('get', def, gvk, `read the specified ${def.kind}`, {}, kindRef)
    if (verbs.has('update')) item.put = operation('put', def, gvk, `replace the specified ${def.kind}`, { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], ...(body !== undefined ? { requestBody: body } : {}) }, kindRef)
    if (verbs.has('patch')) item.patch = operation('patch', def, gvk, `partially update the specified ${def.kind}`, { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE], requestBody: patchBody }, kindRef)
    if (verbs.has('delete')) item.delete = operation('delete', def, gvk, `delete a ${def.kind}`, { parameters: [DRY_RUN] }, undefined)
    doc.paths[`${base}/{name}`] = item

    if (def.namespaced && verbs.has('list')) {
      doc.paths[`/${gvPath}/${def.resource}`] = { parameters: [PRETTY], get: operation('list', def, gvk, `list or watch objects of kind ${def.kind} in all namespaces`, {}, undefined) }
    }

    for (const sub of def.subresources ?? []) {
      if (sub !== 'status' && sub !== 'scale') continue
      const subGvk: GvkTag = sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk
      const subName = index.componentNameFor(subGvk)
      const subRef = sub === 'scale' ? (subName === undefined ? undefined : componentRef(subName)) : kindRef
      if (sub === 'scale' && subName !== undefined) doc.components.set(subName, builtins.get(subName) ?? {})
      doc.paths[`${base}/{name}/${sub}`] = {
        parameters: [nameParam, ...nsParams, PRETTY],
        get: operation('get', def, subGvk, `read ${sub} of the specified ${def.kind}`, {}, subRef),
        put: operation('put', def, subGvk, `replace ${sub} of the specified ${def.kind}`, { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION] }, subRef),
        patch: operation('patch', def, subGvk, `partially update ${sub} of the specified ${def.kind}`, { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE], requestBody: patchBody }, subRef)
      }
    }
  }

  const root: OpenApiRoot = { paths: {} }
  const documents = new Map<string, OpenApiDocument>()
  for (const [gvPath, doc] of [...docs].sort(([a], [b]) => a.localeCompare(b))) {
    // Every type reachable from the served kinds, so explain can follow $ref to any depth.
    const pending = [...doc.components.keys()]
    while (pending.length > 0) {
      const name = pending.pop() as string
      const refs = new Set<string>()
      refsOf(doc.components.get(name), refs)
      for (const r of refs) {
        if (doc.components.has(r)) continue
        const target = builtins.get(r)
        if (target === undefined) continue
        doc.components.set(r, target)
        pending.push(r)
      }
    }
    const schemas: Record<string, JSONSchema> = {}
    for (const name of [...doc.components.keys()].sort()) schemas[name] = doc.components.get(name) ?? {}
    const json = JSON.stringify({ openapi: '3.0.0', info: INFO, paths: doc.paths, components: { schemas } })
    const hash = createHash('sha256').update(json).digest('hex').toUpperCase()
    documents.set(gvPath, { json, hash })
    root.paths[gvPath] = { serverRelativeURL: `/openapi/v3/${gvPath}?hash=${hash}` }
  }
  return { root, documents }
}

export interface OpenApiPublisherComponents {
  index: SchemaIndex
  /** The served resources right now (e.g. `registry.all`). */
  resources: () => readonly ResourceDefinition[]
}

/**
 * Caches the documents and rebuilds them only when the set of served resources or the CRD
 * schemas change, so CRDs coming and going show up in the next /openapi/v3 request.
 */
export class OpenApiPublisher {
  private readonly index: SchemaIndex
  private readonly resources: () => readonly ResourceDefinition[]
  private cache?: { key: string, build: OpenApiBuild }

  constructor (components: OpenApiPublisherComponents) {
    this.index = components.index
    this.resources = components.resources
  }

  /** The current build (cached). */
  current (): OpenApiBuild {
    const resources = this.resources()
    const key = `${this.index.generation}|${resources.map(r => `${r.group}/${r.version}/${r.resource}/${r.kind}/${String(r.namespaced)}/${(r.verbs ?? []).join(',')}/${(r.subresources ?? []).join(',')}`).sort().join(';')}`
    if (this.cache?.key !== key) this.cache = { key, build: buildOpenApi(resources, this.index.crdSchemas(), this.index) }
    return this.cache.build
  }

  /** Body of `GET /openapi/v3`. */
  rootJson (): string {
    return JSON.stringify(this.current().root)
  }

  /** Body of `GET /openapi/v3/<gvPath>` ('apis/apps/v1'), or undefined (404). */
  document (gvPath: string): OpenApiDocument | undefined {
    return this.current().documents.get(gvPath.replace(/^\/+|\/+$/g, ''))
  }

  /**
   * `GET /openapi/v2` is deliberately not served: a 404 makes kubectl fall back to its compiled-in
   * types for strategic merge, which are exact, while v3 covers validation and explain.
   */
  v2 (): undefined {
    return undefined
  }
}
