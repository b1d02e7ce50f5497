import { describe, expect, it } from 'vitest'
import { applyMergePatch } from '../../../src/server/patch/merge-patch.js'

describe('applyMergePatch', () => {
  it('merges objects recursively and deletes members set to null', () => {
    const out = applyMergePatch({ a: { b: 1, c: 2 }, d: 3 }, { a: { b: null, e: 4 }, d: null })
    expect(out).toEqual({ a: { c: 2, e: 4 } })
  })

  it('replaces arrays wholesale', () => {
    expect(applyMergePatch({ l: [1, 2, 3] }, { l: [4] })).toEqual({ l: [4] })
  })

  it('replaces the target when the patch is not an object', () => {
    expect(applyMergePatch({ a: 1 }, [1])).toEqual([1])
    expect(applyMergePatch({ a: 1 }, 'x')).toBe('x')
  })

  it('builds objects where the target has a scalar', () => {
    expect(applyMergePatch({ a: 'x' }, { a: { b: 1, c: null } })).toEqual({ a: { b: 1 } })
  })

  it('handles the kubectl scale body on a Deployment', () => {
    const d = { spec: { replicas: 1, template: { spec: { containers: [{ name: 'c' }] } } } }
    expect(applyMergePatch(d, { spec: { replicas: 5 } })).toEqual({ spec: { replicas: 5, template: { spec: { containers: [{ name: 'c' }] } } } })
  })

  it('does not modify its inputs', () => {
    const t = { a: { b: 1 } }
    const p = { a: { b: null, c: { d: 1 } } }
    const out = applyMergePatch<any>(t, p)
    out.a.c.d = 2
    expect(t).toEqual({ a: { b: 1 } })
    expect(p).toEqual({ a: { b: null, c: { d: 1 } } })
  })
})
