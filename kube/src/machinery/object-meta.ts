import { randomInt } from 'node:crypto'
import type { KubeObject } from '@edgemesh/common'
import { LABEL_KEY, LABEL_VALUE } from './selectors.js'
import type { FieldCause } from './types.js'

/** RFC 1123 subdomain (most object names, CRD groups). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
/** Lower-case RFC 1123 label (namespace names, service names, ports). */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const ALNUM = 'bcdfghjklmnpqrstvwxz2456789'

/**
 * Name problems as field causes. Besides DNS-1123 we name the path-traversal characters explicitly:
 * names become store keys and URL segments, so '..', '/' and '%' must never get through.
 */
export function validateName (name: string, field = 'metadata.name', label = false): FieldCause[] {
  if (name === '') return [{ field, message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }]
  if (name.includes('/') || name.includes('%') || name === '.' || name.includes('..')) {
    return [{ field, message: `Invalid value: "${name}": may not contain '/', '%' or '..'` }]
  }
  const max = label ? 63 : 253
  if (name.length > max) return [{ field, message: `Invalid value: "${name}": must be no more than ${max} characters` }]
  const re = label ? DNS1123_LABEL : DNS1123_SUBDOMAIN
  if (!re.test(name)) {
    return [{ field, message: `Invalid value: "${name}": a lowercase RFC 1123 ${label ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-'${label ? '' : " or '.'"}, and must start and end with an alphanumeric character` }]
  }
  return []
}

/** Whether a URL path segment is safe to use as a name or namespace at all (checked before anything else). */
export function isSafeSegment (s: string): boolean {
  return s !== '' && s !== '.' && !s.includes('..') && !s.includes('/') && !s.includes('%') && !s.includes('\\')
}

/** `generateName` + 5 random lowercase alphanumerics, like kube-apiserver (no vowels: no accidental words). */
export function generateName (prefix: string): string {
  let s = ''
  for (let i = 0; i < 5; i++) s += ALNUM[randomInt(ALNUM.length)]!
  return `${prefix.slice(0, 253 - 5)}${s}`
}

/** RFC 3339 with second precision, as Kubernetes serialises metav1.Time. */
export function timestamp (d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function deepClone<T> (v: T): T {
  return structuredClone(v)
}

/**
 * Deep equality of JSON values, insensitive to key order (it differs between clients); a key whose
 * value is undefined counts as absent. Keys are compared as own properties, so a `__proto__` key
 * parsed from JSON is data, not the prototype.
 */
export function jsonEqual (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const bb = b as unknown[]
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]))
  }
  const ao = a as Record<string, unknown>
  const bo = b as Record<string, unknown>
  const ak = Object.keys(ao).filter(k => ao[k] !== undefined)
  const bk = Object.keys(bo).filter(k => bo[k] !== undefined)
  return ak.length === bk.length && ak.every(k => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]))
}

/** The fields of an object that are not metadata/status: what counts as "spec" for generation bumps. */
export function specOf (obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj
  return rest
}

const STRING_FIELDS = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp'] as const

/**
 * Shape checks on metadata that the storage itself relies on (selectors, finalizers, keys), so a
 * body with `finalizers: "x"` or numeric labels never reaches the store even without a schema.
 */
export function validateMetadataShape (meta: Record<string, unknown>): FieldCause[] {
  const causes: FieldCause[] = []
  const bad = (field: string, message: string): void => { causes.push({ field: `metadata.${field}`, message, reason: 'FieldValueTypeInvalid' }) }
  for (const f of STRING_FIELDS) if (meta[f] !== undefined && typeof meta[f] !== 'string') bad(f, 'Invalid value: must be a string')
  for (const f of ['generation', 'deletionGracePeriodSeconds'] as const) {
    if (meta[f] !== undefined && (typeof meta[f] !== 'number' || !Number.isInteger(meta[f]))) bad(f, 'Invalid value: must be an integer')
  }
  for (const f of ['labels', 'annotations'] as const) {
    const m = meta[f]
    if (m === undefined || m === null) continue
    if (!isPlainObject(m) || Object.values(m).some(v => typeof v !== 'string')) { bad(f, 'Invalid value: must be a map of strings'); continue }
    if (f === 'labels') {
      for (const [k, v] of Object.entries(m)) {
        if (!LABEL_KEY.test(k) || k.length > 317) causes.push({ field: `metadata.labels`, message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'` })
        else if (!LABEL_VALUE.test(v as string) || (v as string).length > 63) causes.push({ field: `metadata.labels`, message: `Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character` })
      }
    } else if (JSON.stringify(m).length > 256 * 1024) {
      causes.push({ field: 'metadata.annotations', message: 'Too long: must have at most 262144 bytes', reason: 'FieldValueTooLong' })
    }
  }
  if (meta.finalizers !== undefined && meta.finalizers !== null && (!Array.isArray(meta.finalizers) || meta.finalizers.some(x => typeof x !== 'string' || x === ''))) bad('finalizers', 'Invalid value: must be a list of non-empty strings')
  for (const f of ['ownerReferences', 'managedFields'] as const) {
    const v = meta[f]
    if (v !== undefined && v !== null && (!Array.isArray(v) || v.some(x => !isPlainObject(x)))) bad(f, 'Invalid value: must be a list of objects')
  }
  return causes
}
