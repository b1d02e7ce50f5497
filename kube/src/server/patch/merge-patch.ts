import { clone, isObject, put } from './json-value.js'
import type { JsonObject, JsonValue } from './json-value.js'

/**
 * RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge recursively, `null`
 * deletes a member, anything else (arrays included) replaces. Returns a new value; neither input
 * is modified.
 */
export function applyMergePatch<T = JsonValue> (target: unknown, patch: unknown): T {
  return merge(target as JsonValue | undefined, patch as JsonValue) as T
}

function merge (target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return clone(patch)
  const out: JsonObject = isObject(target) ? clone(target) : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete out[k]
    } else {
      put(out, k, merge(Object.hasOwn(out, k) ? out[k] : undefined, v))
    }
  }
  return out
}
