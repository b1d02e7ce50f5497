import type { LabelSelector, LabelSelectorRequirement } from 'kubernetes-types/meta/v1.js'

/** Whether `labels` satisfy a structured LabelSelector. An empty selector matches everything, a missing one nothing. */
export function matchesSelector (selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined) return false
  const l = labels ?? {}
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false
  return (selector.matchExpressions ?? []).every(e => matchesRequirement(e, l))
}

function matchesRequirement (e: LabelSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, e.key)
  const v = labels[e.key]
  switch (e.operator) {
    case 'In': return has && (e.values ?? []).includes(v ?? '')
    case 'NotIn': return !has || !(e.values ?? []).includes(v ?? '')
    case 'Exists': return has
    case 'DoesNotExist': return !has
    default: return false
  }
}

/** Whether `labels` contain every pair of a Service-style map selector. An empty map matches nothing here (services without selectors are skipped by callers). */
export function matchesMap (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {}
  return Object.entries(selector).every(([k, v]) => l[k] === v)
}

/** Serializes a LabelSelector into the string form for list calls (matchLabels and In/NotIn/Exists/DoesNotExist). */
export function selectorToString (selector: LabelSelector | undefined): string {
  if (selector === undefined) return ''
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`)
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`)
    else if (e.operator === 'Exists') parts.push(e.key)
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
  }
  return parts.join(',')
}
