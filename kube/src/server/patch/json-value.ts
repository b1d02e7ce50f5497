/** JSON values as they come out of JSON.parse: the only shapes patch code deals with. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject
export interface JsonObject { [key: string]: JsonValue }

export function isObject (v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Deep copy of a JSON value; `undefined` members are dropped the way JSON.stringify would. */
export function clone<T> (v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T
  if (isObject(v)) {
    const out: JsonObject = {}
    for (const [k, x] of Object.entries(v)) {
      if (x !== undefined) put(out, k, clone(x))
    }
    return out as T
  }
  return v
}

/**
 * Sets an own property even for the key `__proto__`, which JSON.parse produces as data but plain
 * assignment would turn into a prototype change.
 */
export function put (o: JsonObject, k: string, v: JsonValue): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true })
  else o[k] = v
}

/** Coarse JSON type, as Go's reflect.TypeOf would distinguish decoded values. */
export function kindOf (v: unknown): 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object' {
  if (v === null || v === undefined) return 'null'
  if (Array.isArray(v)) return 'array'
  const t = typeof v
  if (t === 'boolean' || t === 'number' || t === 'string') return t
  return 'object'
}
