import { describe, expect, it } from 'vitest'
import { fieldMatcher, labelMatcher, parseLabelSelector } from '../../src/machinery/selectors.js'
import type { ResourceDefinition } from '../../src/machinery/types.js'

const obj = (labels: Record<string, string>, nodeName = 'n1'): any => ({ metadata: { name: 'p', namespace: 'ns', labels }, spec: { nodeName } })
const def: ResourceDefinition = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', singular: 'pod', namespaced: true, fieldSelectors: { 'spec.nodeName': (o) => (o.spec as { nodeName: string }).nodeName } }

describe('label selectors', () => {
  it('parses set-based terms without splitting inside parentheses', () => {
    expect(parseLabelSelector('a in (x, y),b notin (z),!c,d')).toEqual([
      { op: 'in', key: 'a', values: ['x', 'y'] },
      { op: 'notin', key: 'b', values: ['z'] },
      { op: 'notexists', key: 'c' },
      { op: 'exists', key: 'd' }
    ])
  })

  it('treats a missing key as matching != and notin', () => {
    expect(labelMatcher('a!=x')!(obj({}))).toBe(true)
    expect(labelMatcher('a notin (x)')!(obj({}))).toBe(true)
    expect(labelMatcher('a=x')!(obj({}))).toBe(false)
  })

  it('accepts prefixed keys and empty values', () => {
    expect(labelMatcher('app.kubernetes.io/name=web,empty=')!(obj({ 'app.kubernetes.io/name': 'web', empty: '' }))).toBe(true)
  })

  it('rejects malformed selectors with a BadRequest', () => {
    for (const bad of ['a=b=c', 'a in x', '===', 'a b']) expect(() => parseLabelSelector(bad), bad).toThrow(expect.objectContaining({ reason: 'BadRequest' }))
  })
})

describe('field selectors', () => {
  it('matches metadata fields and definition fields with = and !=', () => {
    expect(fieldMatcher('metadata.namespace=ns,spec.nodeName!=n2', def)!(obj({}))).toBe(true)
    expect(fieldMatcher('spec.nodeName==n2', def)!(obj({}))).toBe(false)
  })

  it('rejects unsupported fields', () => {
    expect(() => fieldMatcher('spec.bogus=1', def)).toThrow(/field label not supported/)
  })
})
