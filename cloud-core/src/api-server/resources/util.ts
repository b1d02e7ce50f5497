import type { KubeObject } from '@edgemesh/common'
import { isPlainObject } from '../object-meta.js'
import type { FieldCause } from '../types.js'

// One definition each, shared with the generic storage.
export { isPlainObject as isRec, jsonEqual, DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../object-meta.js'

/** Narrow accessors: stored objects are untyped JSON, and strategies must not crash on odd shapes. */
export type Rec = Record<string, unknown>

export function rec (v: unknown): Rec {
  return isPlainObject(v) ? v : {}
}

export function arr (v: unknown): unknown[] {
  return Array.isArray(v) ? v : []
}

export function str (v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

export function num (v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

/** `obj[key]` as an object, created (and attached) when missing or not an object. */
export function ensureRec (obj: Rec, key: string): Rec {
  const cur = obj[key]
  if (isPlainObject(cur)) return cur
  const fresh: Rec = {}
  obj[key] = fresh
  return fresh
}

export function spec (obj: KubeObject): Rec {
  return rec(obj.spec)
}

export function status (obj: KubeObject): Rec {
  return rec(obj.status)
}

export const NONE = '<none>'

/** `kubectl` renders label selectors as `a=b,c in (x,y)`. */
export function formatLabelSelector (sel: unknown): string {
  if (!isPlainObject(sel)) return NONE
  const parts: string[] = []
  for (const [k, v] of Object.entries(rec(sel.matchLabels))) parts.push(`${k}=${String(v)}`)
  for (const e of arr(sel.matchExpressions)) {
    const r = rec(e)
    const key = str(r.key) ?? ''
    const values = arr(r.values).map(String).join(',')
    switch (r.operator) {
      case 'In': parts.push(`${key} in (${values})`); break
      case 'NotIn': parts.push(`${key} notin (${values})`); break
      case 'Exists': parts.push(key); break
      case 'DoesNotExist': parts.push(`!${key}`); break
    }
  }
  return parts.length === 0 ? NONE : parts.join(',')
}

export function formatMap (m: unknown): string {
  const entries = Object.entries(rec(m))
  return entries.length === 0 ? NONE : entries.map(([k, v]) => `${k}=${String(v)}`).join(',')
}

/** Whether a LabelSelector (matchLabels + matchExpressions) selects `labels`. */
export function selectorMatches (sel: unknown, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {}
  const s = rec(sel)
  for (const [k, v] of Object.entries(rec(s.matchLabels))) if (l[k] !== v) return false
  for (const e of arr(s.matchExpressions)) {
    const r = rec(e)
    const key = str(r.key) ?? ''
    const values = arr(r.values).map(String)
    const has = Object.prototype.hasOwnProperty.call(l, key)
    switch (r.operator) {
      case 'In': if (!has || !values.includes(l[key] ?? '')) return false; break
      case 'NotIn': if (has && values.includes(l[key] ?? '')) return false; break
      case 'Exists': if (!has) return false; break
      case 'DoesNotExist': if (has) return false; break
      default: return false
    }
  }
  return true
}

export function isEmptySelector (sel: unknown): boolean {
  const s = rec(sel)
  return Object.keys(rec(s.matchLabels)).length === 0 && arr(s.matchExpressions).length === 0
}

export function containersOf (podSpec: unknown): Rec[] {
  return arr(rec(podSpec).containers).map(rec)
}

export function cause (field: string, message: string, reason = 'FieldValueInvalid'): FieldCause {
  return { field, message, reason }
}

/** Column helpers: a string column, `priority` 1 for -o wide. */
export function col (name: string, description: string, priority = 0, type: 'string' | 'integer' | 'date' = 'string'): { name: string, type: 'string' | 'integer' | 'date', format: string, description: string, priority: number } {
  return { name, type, format: '', description, priority }
}
