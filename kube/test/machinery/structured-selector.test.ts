import { describe, expect, it } from 'vitest'
import { matchesMap, matchesSelector, formatLabelSelector } from '../../src/machinery/selectors.js'

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
