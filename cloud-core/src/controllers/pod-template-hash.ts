import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js'

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** JSON with sorted object keys and undefined dropped, so equal templates hash equally whatever their key order. */
export function canonicalJson (v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null'
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`
}

function fnv1a32 (s: string): number {
  let h = 0x811c9dc5
  for (const byte of Buffer.from(s, 'utf8')) {
    h ^= byte
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/**
 * The pod-template-hash label value: FNV-1a of the canonical template (without an existing hash label)
 * plus the collision count, encoded in the vowel-free alphabet upstream uses so it never spells words.
 */
export function podTemplateHash (template: PodTemplateSpec, collisionCount?: number): string {
  let n = fnv1a32(canonicalTemplate(template) + (collisionCount !== undefined ? `#${collisionCount}` : ''))
  let out = ''
  do {
    out += ALPHABET[n % ALPHABET.length]
    n = Math.floor(n / ALPHABET.length)
  } while (n > 0)
  return out
}

/** Whether two templates are the same apart from the hash label. */
export function templatesEqual (a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  // Compare the canonical text, not the 32-bit hash: a hash collision must not hide a template change.
  return canonicalTemplate(a ?? {}) === canonicalTemplate(b ?? {})
}

/** Canonical JSON of a template without its pod-template-hash label. */
function canonicalTemplate (template: PodTemplateSpec): string {
  const labels = { ...(template.metadata?.labels ?? {}) }
  delete labels['pod-template-hash']
  return canonicalJson({ ...template, metadata: { ...(template.metadata ?? {}), labels } })
}
