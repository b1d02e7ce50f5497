import type { KubeObject } from '@edgemesh/common'
import { badRequest } from './errors.js'
import { isPlainObject } from './object-meta.js'
import type { ResourceDefinition } from './types.js'
import { arr, rec, str } from './values.js'

/** One parsed label requirement. */
export type LabelRequirement =
  | { op: 'eq' | 'neq', key: string, value: string }
  | { op: 'in' | 'notin', key: string, values: string[] }
  | { op: 'exists' | 'notexists', key: string }

export type Matcher = (obj: KubeObject) => boolean

export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
export const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/

/** Splits on commas that are not inside a `(...)` set. */
function splitTerms (s: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; continue }
    cur += ch
  }
  out.push(cur)
  return out.map(t => t.trim()).filter(t => t !== '')
}

function checkKey (key: string, selector: string): string {
  if (!LABEL_KEY.test(key) || key.length > 317) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${selector}"`)
  return key
}

function checkValue (value: string, selector: string): string {
  if (!LABEL_VALUE.test(value) || value.length > 63) throw badRequest(`unable to parse requirement: invalid label value "${value}" in selector "${selector}"`)
  return value
}

/** Parses a Kubernetes label selector (`a=b,c!=d,e in (f,g),h notin (i),j,!k`). Throws 400 on syntax errors. */
export function parseLabelSelector (selector: string): LabelRequirement[] {
  const reqs: LabelRequirement[] = []
  for (const term of splitTerms(selector)) {
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(term)
    if (set !== null) {
      const values = set[3]!.split(',').map(v => v.trim()).filter(v => v !== '').map(v => checkValue(v, selector))
      reqs.push({ op: set[2] === 'in' ? 'in' : 'notin', key: checkKey(set[1]!, selector), values })
      continue
    }
    const neq = /^([^=!\s]+)\s*!=\s*(\S*)$/.exec(term)
    if (neq !== null) { reqs.push({ op: 'neq', key: checkKey(neq[1]!, selector), value: checkValue(neq[2]!, selector) }); continue }
    const eq = /^([^=!\s]+)\s*==?\s*(\S*)$/.exec(term)
    if (eq !== null) { reqs.push({ op: 'eq', key: checkKey(eq[1]!, selector), value: checkValue(eq[2]!, selector) }); continue }
    const not = /^!\s*(\S+)$/.exec(term)
    if (not !== null) { reqs.push({ op: 'notexists', key: checkKey(not[1]!, selector) }); continue }
    if (/^\S+$/.test(term)) { reqs.push({ op: 'exists', key: checkKey(term, selector) }); continue }
    throw badRequest(`unable to parse requirement: invalid label selector term "${term}"`)
  }
  return reqs
}

export function labelMatcher (selector: string | undefined): Matcher | undefined {
  if (selector === undefined || selector.trim() === '') return undefined
  const reqs = parseLabelSelector(selector)
  return (obj) => {
    const labels = obj.metadata.labels ?? {}
    return reqs.every(r => {
      const has = Object.hasOwn(labels, r.key)
      const v = labels[r.key]
      switch (r.op) {
        case 'eq': return has && v === r.value
        case 'neq': return !has || v !== r.value
        case 'in': return has && r.values.includes(v!)
        case 'notin': return !has || !r.values.includes(v!)
        case 'exists': return has
        case 'notexists': return !has
        default: return false
      }
    })
  }
}

/** Field selectors support `=`, `==` and `!=` on metadata.name, metadata.namespace and the definition's own fields. */
export function fieldMatcher (selector: string | undefined, def: ResourceDefinition): Matcher | undefined {
  if (selector === undefined || selector.trim() === '') return undefined
  const terms = selector.split(',').map(t => t.trim()).filter(t => t !== '').map(term => {
    const m = /^([^=!]+?)\s*(!=|==|=)\s*(.*)$/.exec(term)
    if (m === null) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`)
    const field = m[1]!
    const extract = fieldExtractor(field, def)
    if (extract === undefined) {
      throw badRequest(`field label not supported: ${field}`)
    }
    return { extract, neg: m[2] === '!=', value: m[3]! }
  })
  return (obj) => terms.every(t => ((t.extract(obj) ?? '') === t.value) !== t.neg)
}

function fieldExtractor (field: string, def: ResourceDefinition): ((obj: KubeObject) => string | undefined) | undefined {
  if (field === 'metadata.name') return o => o.metadata.name
  if (field === 'metadata.namespace') return o => o.metadata.namespace ?? ''
  return def.fieldSelectors?.[field]
}

export function combine (...ms: Array<Matcher | undefined>): Matcher | undefined {
  const real = ms.filter((m): m is Matcher => m !== undefined)
  if (real.length === 0) return undefined
  return (obj) => real.every(m => m(obj))
}

// Structured LabelSelectors (matchLabels + matchExpressions), as workloads and Services carry them.
// Stored objects are untyped JSON, so these read defensively: odd shapes never throw.

/** Whether `labels` satisfy a structured LabelSelector. An empty selector matches everything, a missing one nothing; an unknown operator matches nothing. */
export function matchesSelector (selector: unknown, labels: Record<string, string> | undefined): boolean {
  if (!isPlainObject(selector)) return false
  const l = labels ?? {}
  for (const [k, v] of Object.entries(rec(selector.matchLabels))) if (l[k] !== v) return false
  for (const e of arr(selector.matchExpressions)) {
    const r = rec(e)
    const key = str(r.key) ?? ''
    const values = arr(r.values).map(String)
    const has = Object.hasOwn(l, key)
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

/** Whether `labels` contain every pair of a Service-style map selector. An empty map matches nothing here (services without selectors are skipped by callers). */
export function matchesMap (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {}
  return Object.entries(selector).every(([k, v]) => l[k] === v)
}

/** Whether a structured selector has no terms at all. */
export function isEmptySelector (selector: unknown): boolean {
  const s = rec(selector)
  return Object.keys(rec(s.matchLabels)).length === 0 && arr(s.matchExpressions).length === 0
}

/** The string form of a structured selector, as list calls and `kubectl get -o wide` take it; '' for none. */
export function formatLabelSelector (selector: unknown): string {
  if (!isPlainObject(selector)) return ''
  const parts: string[] = []
  for (const [k, v] of Object.entries(rec(selector.matchLabels))) parts.push(`${k}=${String(v)}`)
  for (const e of arr(selector.matchExpressions)) {
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
  return parts.join(',')
}
