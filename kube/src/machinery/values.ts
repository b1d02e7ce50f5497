import { isPlainObject } from './object-meta.js'

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
