import { formatLabelSelector } from '../../machinery/selectors.js'
import type { TableColumn } from '../../machinery/types.js'
import { arr, rec, type Rec } from '../../machinery/values.js'

// Cell helpers for the Table printers of the built-in kinds (what `kubectl get` shows).

export const NONE = '<none>'

/** A LabelSelector as a Table cell: its string form, or <none>. */
export function selectorCell (sel: unknown): string {
  const s = formatLabelSelector(sel)
  return s === '' ? NONE : s
}

/** `k=v,k2=v2`, or <none>. */
export function formatMap (m: unknown): string {
  const entries = Object.entries(rec(m))
  return entries.length === 0 ? NONE : entries.map(([k, v]) => `${k}=${String(v)}`).join(',')
}

export function containersOf (podSpec: unknown): Rec[] {
  return arr(rec(podSpec).containers).map(rec)
}

/** Column helpers: a string column, `priority` 1 for -o wide. */
export function col (name: string, description: string, priority = 0, type: 'string' | 'integer' | 'date' = 'string'): TableColumn {
  return { name, type, format: '', description, priority }
}
