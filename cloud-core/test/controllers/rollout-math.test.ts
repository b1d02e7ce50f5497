import { describe, expect, it } from 'vitest'
import { maxScaleDown, newReplicaSetReplicas, resolveFenceposts, scaledValue } from '../../src/controllers/rollout-math.js'

describe('surge and unavailable math', () => {
  it('rounds surge percentages up and unavailable percentages down', () => {
    expect(resolveFenceposts('25%', '25%', 3)).toEqual({ surge: 1, unavailable: 0 })
    expect(resolveFenceposts('25%', '25%', 10)).toEqual({ surge: 3, unavailable: 2 })
    expect(resolveFenceposts('50%', '50%', 5)).toEqual({ surge: 3, unavailable: 2 })
  })
  it('defaults both to 25 %', () => { expect(resolveFenceposts(undefined, undefined, 4)).toEqual({ surge: 1, unavailable: 1 }) })
  it('takes absolute numbers as they are', () => { expect(resolveFenceposts(2, 1, 3)).toEqual({ surge: 2, unavailable: 1 }) })
  it('turns 0 surge and 0 unavailable into 1 unavailable so the rollout can move', () => {
    expect(resolveFenceposts(0, 0, 3)).toEqual({ surge: 0, unavailable: 1 })
    expect(resolveFenceposts('10%', '10%', 3)).toEqual({ surge: 1, unavailable: 0 })
  })
  it('rejects malformed values', () => { expect(() => scaledValue('ten', 3, true, 1)).toThrow(RangeError) })
  it('grows the new replica set only up to desired + surge in total', () => {
    expect(newReplicaSetReplicas(3, 1, 3, 0)).toBe(1)
    expect(newReplicaSetReplicas(3, 1, 4, 1)).toBe(1)
    expect(newReplicaSetReplicas(3, 1, 2, 1)).toBe(3)
    expect(newReplicaSetReplicas(3, 5, 3, 0)).toBe(3)
  })
  it('scales old pods down only while availability stays above desired - unavailable', () => {
    // 3 old + 1 new (not yet available), maxUnavailable 0: nothing may go.
    expect(maxScaleDown(3, 0, 4, 1, 0)).toBe(0)
    // the new pod became available: one old pod may go.
    expect(maxScaleDown(3, 0, 4, 1, 1)).toBe(1)
    expect(maxScaleDown(4, 1, 5, 1, 0)).toBe(1)
  })
})
