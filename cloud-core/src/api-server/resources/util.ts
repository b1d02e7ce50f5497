import type { KubeObject } from '@edgemesh/common'
import { arr, formatLabelSelector, rec, type FieldCause, type Rec } from '@edgemesh/kube/machinery'

// One definition each, shared with the generic storage.
export { isPlainObject as isRec, jsonEqual, DNS1123_LABEL, DNS1123_SUBDOMAIN } from '@edgemesh/kube/machinery'

export { rec, arr, str, num, ensureRec, type Rec } from '@edgemesh/kube/machinery'

export function spec (obj: KubeObject): Rec {
  return rec(obj.spec)
}

export function status (obj: KubeObject): Rec {
  return rec(obj.status)
}

export const NONE = '<none>'

/** A LabelSelector as a Table cell: its string form, or <none>. */
export function selectorCell (sel: unknown): string {
  const s = formatLabelSelector(sel)
  return s === '' ? NONE : s
}


export function formatMap (m: unknown): string {
  const entries = Object.entries(rec(m))
  return entries.length === 0 ? NONE : entries.map(([k, v]) => `${k}=${String(v)}`).join(',')
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
