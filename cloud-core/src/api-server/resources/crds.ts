import type { KubeObject } from '@edgemesh/common'
import { customResourceDefinitionsInfo } from '@edgemesh/kube/server'
import type { FieldCause, ResourceDefinition, TableColumn } from '@edgemesh/kube/machinery'
import { arr, cause, ensureRec, isRec, jsonEqual, rec, str, DNS1123_LABEL, DNS1123_SUBDOMAIN } from './util.js'

/**
 * Evaluates the simple JSONPath subset CRD printer columns use: `.spec.a.b`, `.items[0].x`,
 * `.status.conditions[?(@.type=="Ready")].status`. Anything else yields undefined (an empty cell).
 */
export function evalJsonPath (obj: unknown, path: string): unknown {
  const p = path.trim().replace(/^\{(.*)\}$/, '$1').replace(/^\$/, '')
  const tokens = p.match(/\.[^.[\]]+|\[[^\]]*\]/g)
  if (tokens === null) return undefined
  let cur: unknown = obj
  for (const t of tokens) {
    if (cur === undefined || cur === null) return undefined
    if (t.startsWith('.')) {
      cur = rec(cur)[t.slice(1)]
    } else {
      const inner = t.slice(1, -1)
      const filter = /^\?\(@\.([\w.-]+)\s*==\s*["']?([^"')]*)["']?\)$/.exec(inner)
      if (filter !== null) {
        cur = arr(cur).find(e => String(rec(e)[filter[1] ?? '']) === filter[2])
      } else if (/^\d+$/.test(inner)) {
        cur = arr(cur)[Number(inner)]
      } else {
        cur = rec(cur)[inner.replace(/^['"]|['"]$/g, '')]
      }
    }
  }
  return cur
}

function printerCell (v: unknown, type: string): unknown {
  if (v === undefined || v === null) return ''
  if (type === 'integer' || type === 'number' || type === 'boolean') return v
  return typeof v === 'string' ? v : JSON.stringify(v)
}

const PRINTER_TYPES = new Set(['integer', 'number', 'string', 'boolean', 'date'])

/**
 * One ResourceDefinition per served version of a CustomResourceDefinition, so the API server can
 * register them when the CRD is created and unregister them when it goes.
 */
export function crdToResourceDefinitions (crd: KubeObject): ResourceDefinition[] {
  const s = rec(crd.spec)
  const names = rec(s.names)
  const group = str(s.group) ?? ''
  const plural = str(names.plural) ?? ''
  const kind = str(names.kind) ?? ''
  const out: ResourceDefinition[] = []
  for (const v of arr(s.versions).map(rec)) {
    if (v.served !== true) continue
    const sub = rec(v.subresources)
    const subresources: string[] = []
    if (sub.status !== undefined) subresources.push('status')
    if (sub.scale !== undefined) subresources.push('scale')
    // Age is added by the server; a CRD that declares its own Age column would print it twice.
    const printer = arr(v.additionalPrinterColumns).map(rec).filter(c => str(c.name) !== undefined && String(c.name).toLowerCase() !== 'age' && str(c.jsonPath) !== undefined)
    const columns: TableColumn[] = printer.map(c => ({
      name: String(c.name),
      type: (PRINTER_TYPES.has(String(c.type)) ? c.type : 'string') as TableColumn['type'],
      format: str(c.format) ?? '',
      description: str(c.description) ?? '',
      priority: typeof c.priority === 'number' ? c.priority : 0
    }))
    const def: ResourceDefinition = {
      group,
      version: String(v.name),
      resource: plural,
      kind,
      singular: str(names.singular) ?? kind.toLowerCase(),
      namespaced: s.scope !== 'Cluster',
      shortNames: arr(names.shortNames).map(String),
      categories: arr(names.categories).map(String),
      subresources,
      hasGeneration: true
    }
    if (columns.length > 0) {
      def.columns = columns
      def.cells = obj => printer.map(c => printerCell(evalJsonPath(obj, String(c.jsonPath)), String(c.type)))
    }
    if (subresources.includes('status')) {
      def.prepareForCreate = obj => { delete obj.status }
      def.prepareForUpdate = (obj, old) => { if (old.status === undefined) delete obj.status; else obj.status = old.status }
      def.prepareForStatusUpdate = (obj, old) => {
        for (const k of Object.keys(obj)) if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') delete obj[k]
        for (const k of Object.keys(old)) if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') obj[k] = old[k]
      }
    }
    out.push(def)
  }
  return out
}

export function validateCrd (crd: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes: FieldCause[] = []
  const s = rec(crd.spec)
  const names = rec(s.names)
  const group = str(s.group) ?? ''
  const plural = str(names.plural) ?? ''
  if (group === '') causes.push(cause('spec.group', 'Required value', 'FieldValueRequired'))
  else if (!DNS1123_SUBDOMAIN.test(group) || !group.includes('.')) causes.push(cause('spec.group', `Invalid value: "${group}": should be a domain with at least one dot`))
  if (plural === '') causes.push(cause('spec.names.plural', 'Required value', 'FieldValueRequired'))
  else if (!DNS1123_LABEL.test(plural)) causes.push(cause('spec.names.plural', `Invalid value: "${plural}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`))
  const singular = str(names.singular)
  if (singular !== undefined && !DNS1123_LABEL.test(singular)) causes.push(cause('spec.names.singular', `Invalid value: "${singular}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`))
  const kind = str(names.kind) ?? ''
  if (kind === '') causes.push(cause('spec.names.kind', 'Required value', 'FieldValueRequired'))
  else if (!/^[A-Za-z][A-Za-z0-9]*$/.test(kind)) causes.push(cause('spec.names.kind', `Invalid value: "${kind}": must be a valid Go identifier`))
  for (const [i, sn] of arr(names.shortNames).entries()) {
    if (typeof sn !== 'string' || !DNS1123_LABEL.test(sn)) causes.push(cause(`spec.names.shortNames[${i}]`, `Invalid value: ${JSON.stringify(sn)}: must be a lowercase RFC 1123 label`))
  }
  if (group !== '' && plural !== '' && crd.metadata.name !== `${plural}.${group}`) {
    causes.push(cause('metadata.name', `Invalid value: "${crd.metadata.name ?? ''}": must be spec.names.plural+"."+spec.group`))
  }
  const scope = str(s.scope)
  if (scope !== 'Namespaced' && scope !== 'Cluster') causes.push(cause('spec.scope', `Unsupported value: "${String(scope)}": supported values: "Cluster", "Namespaced"`, 'FieldValueNotSupported'))
  const versions = arr(s.versions).map(rec)
  if (versions.length === 0) causes.push(cause('spec.versions', 'Invalid value: must have exactly one version marked as storage version', 'FieldValueRequired'))
  const seen = new Set<string>()
  let storage = 0
  versions.forEach((v, i) => {
    const name = str(v.name) ?? ''
    if (!DNS1123_LABEL.test(name)) causes.push(cause(`spec.versions[${i}].name`, `Invalid value: "${name}": a DNS-1035 label`))
    if (seen.has(name)) causes.push(cause(`spec.versions[${i}].name`, `Duplicate value: "${name}"`, 'FieldValueDuplicate'))
    seen.add(name)
    if (v.storage === true) storage++
    if (typeof v.served !== 'boolean') causes.push(cause(`spec.versions[${i}].served`, 'Required value', 'FieldValueRequired'))
    if (typeof v.storage !== 'boolean') causes.push(cause(`spec.versions[${i}].storage`, 'Required value', 'FieldValueRequired'))
    if (!isRec(rec(v.schema).openAPIV3Schema)) causes.push(cause(`spec.versions[${i}].schema.openAPIV3Schema`, 'Required value: schemas are required', 'FieldValueRequired'))
  })
  if (versions.length > 0 && storage !== 1) causes.push(cause('spec.versions', 'Invalid value: must have exactly one version marked as storage version'))
  if (old !== undefined) {
    const o = rec(old.spec)
    if (o.group !== s.group) causes.push(cause('spec.group', 'Invalid value: field is immutable'))
    if (!jsonEqual(rec(o.names).plural, names.plural)) causes.push(cause('spec.names.plural', 'Invalid value: field is immutable'))
    if (o.scope !== s.scope) causes.push(cause('spec.scope', 'Invalid value: field is immutable'))
  }
  return causes
}

function defaultCrd (crd: KubeObject): void {
  const s = ensureRec(crd as Record<string, unknown>, 'spec')
  const names = ensureRec(s, 'names')
  names.singular ??= str(names.kind)?.toLowerCase()
  names.listKind ??= `${str(names.kind) ?? ''}List`
  s.conversion ??= { strategy: 'None' }
}

/** Established as soon as stored: registration is synchronous with the watch that sees the CRD. */
function acceptedStatus (crd: KubeObject, now: Date, old?: KubeObject): Record<string, unknown> {
  const t = now.toISOString().replace(/\.\d+Z$/, 'Z')
  const s = rec(crd.spec)
  const stored = new Set(arr(rec(old?.status).storedVersions).map(String))
  for (const v of arr(s.versions).map(rec)) if (v.storage === true) stored.add(String(v.name))
  const oldConditions = arr(rec(old?.status).conditions)
  return {
    // Keeping the old conditions makes an unchanged re-apply a no-op (no new transition times).
    conditions: oldConditions.length > 0 ? oldConditions : [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: t },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: t }
    ],
    acceptedNames: s.names,
    storedVersions: [...stored]
  }
}

export function customResourceDefinitionsResource (): ResourceDefinition {
  return {
    ...customResourceDefinitionsInfo(),
    prepareForCreate: (obj, ctx) => { defaultCrd(obj); obj.status = acceptedStatus(obj, ctx.now) },
    prepareForUpdate: (obj, old, ctx) => { defaultCrd(obj); obj.status = acceptedStatus(obj, ctx.now, old) },
    prepareForStatusUpdate: (obj, old) => { obj.spec = old.spec },
    validate: (obj, old) => validateCrd(obj, old)
  }
}
