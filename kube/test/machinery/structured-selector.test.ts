import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatLabelSelector, isEmptySelector, labelMatcher, matchesMap, matchesSelector } from '../../src/machinery/selectors.js'

describe('label selectors', () => {
  it('matches matchLabels and every expression operator', () => {
    const sel = { matchLabels: { app: 'web' }, matchExpressions: [
      { key: 'tier', operator: 'In', values: ['fe', 'be'] },
      { key: 'env', operator: 'NotIn', values: ['prod'] },
      { key: 'team', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' }
    ] }
    expect(matchesSelector(sel, { app: 'web', tier: 'fe', team: 'x' })).toBe(true)
    expect(matchesSelector(sel, { app: 'web', tier: 'fe', team: 'x', env: 'prod' })).toBe(false)
    expect(matchesSelector(sel, { app: 'web', tier: 'db', team: 'x' })).toBe(false)
    expect(matchesSelector(sel, { app: 'web', tier: 'fe', team: 'x', legacy: '1' })).toBe(false)
    expect(matchesSelector(sel, { app: 'api', tier: 'fe', team: 'x' })).toBe(false)
  })
  it('matches everything with an empty selector and nothing without one', () => {
    expect(matchesSelector({}, { a: 'b' })).toBe(true)
    expect(matchesSelector(undefined, { a: 'b' })).toBe(false)
    expect(matchesSelector(null, { a: 'b' })).toBe(false)
    expect(matchesSelector({ matchLabels: {}, matchExpressions: [] }, undefined)).toBe(true)
    expect(isEmptySelector({})).toBe(true)
    expect(isEmptySelector({ matchExpressions: [{ key: 'a', operator: 'Exists' }] })).toBe(false)
  })
  it('matches nothing for an unknown operator and never throws on odd shapes', () => {
    expect(matchesSelector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, { a: '2' })).toBe(false)
    expect(matchesSelector({ matchLabels: 'x', matchExpressions: 7 }, { a: '1' })).toBe(true)
    expect(matchesSelector({ matchExpressions: [null, 'x'] }, {})).toBe(false)
    expect(formatLabelSelector(undefined)).toBe('')
    expect(formatLabelSelector({})).toBe('')
  })
  it('agrees with the string form: format, then parse and match, gives the same answer', () => {
    const key = fc.constantFrom('app', 'tier', 'example.com/team')
    const value = fc.constantFrom('a', 'b', 'c')
    const expr = fc.oneof(
      fc.record({ key, operator: fc.constantFrom('In', 'NotIn'), values: fc.array(value, { minLength: 1, maxLength: 3 }) }),
      fc.record({ key, operator: fc.constantFrom('Exists', 'DoesNotExist') })
    )
    const selector = fc.record({ matchLabels: fc.dictionary(key, value, { maxKeys: 2 }), matchExpressions: fc.array(expr, { maxLength: 3 }) })
    const labels = fc.dictionary(key, value, { maxKeys: 3 })
    fc.assert(fc.property(selector, labels, (sel, l) => {
      const text = formatLabelSelector(sel)
      const fromText = labelMatcher(text)
      const viaText = fromText === undefined ? true : fromText({ metadata: { labels: l } })
      expect(viaText).toBe(matchesSelector(sel, l))
    }), { numRuns: 500 })
  })
  it('matches a service-style map selector', () => {
    expect(matchesMap({ app: 'web' }, { app: 'web', x: 'y' })).toBe(true)
    expect(matchesMap({ app: 'web' }, undefined)).toBe(false)
  })
  it('serializes to the string form the API parses', () => {
    expect(formatLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }, { key: 'b', operator: 'DoesNotExist' }] }))
      .toBe('app=web,a in (1,2),!b')
  })
})
