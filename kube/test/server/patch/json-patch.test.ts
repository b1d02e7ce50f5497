import { describe, expect, it } from 'vitest'
import { applyJsonPatch, parsePointer } from '../../../src/server/patch/json-patch.js'
import { PatchError } from '../../../src/server/patch/errors.js'

function errorOf (fn: () => unknown): PatchError {
  try { fn() } catch (err) { if (err instanceof PatchError) return err; throw err }
  throw new Error('expected a PatchError')
}

const doc = (): any => ({ metadata: { name: 'x', labels: { a: '1' } }, spec: { list: [1, 2, 3], 'a/b': { '~c': true } } })

describe('applyJsonPatch', () => {
  it('adds, replaces and removes object members', () => {
    const out = applyJsonPatch<any>(doc(), [
      { op: 'add', path: '/metadata/labels/b', value: '2' },
      { op: 'replace', path: '/metadata/name', value: 'y' },
      { op: 'remove', path: '/metadata/labels/a' }
    ])
    expect(out.metadata).toEqual({ name: 'y', labels: { b: '2' } })
  })

  it('inserts into arrays by index and appends with "-"', () => {
    const out = applyJsonPatch<any>(doc(), [{ op: 'add', path: '/spec/list/1', value: 9 }, { op: 'add', path: '/spec/list/-', value: 10 }])
    expect(out.spec.list).toEqual([1, 9, 2, 3, 10])
  })

  it('moves and copies values', () => {
    const out = applyJsonPatch<any>(doc(), [{ op: 'copy', from: '/metadata/labels', path: '/spec/labels' }, { op: 'move', from: '/spec/list/0', path: '/spec/first' }])
    expect(out.spec.labels).toEqual({ a: '1' })
    expect(out.spec.first).toBe(1)
    expect(out.spec.list).toEqual([2, 3])
  })

  it('unescapes ~0 and ~1 in pointers', () => {
    expect(parsePointer('/spec/a~1b/~0c')).toEqual(['spec', 'a/b', '~c'])
    expect(applyJsonPatch<any>(doc(), [{ op: 'test', path: '/spec/a~1b/~0c', value: true }]).spec['a/b']['~c']).toBe(true)
  })

  it('replaces the whole document with an empty path', () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }])).toEqual({ b: 2 })
  })

  it('fails with PATCH_TEST_FAILED when a test op does not match and applies nothing', () => {
    const input = doc()
    const err = errorOf(() => applyJsonPatch(input, [{ op: 'replace', path: '/metadata/name', value: 'z' }, { op: 'test', path: '/metadata/name', value: 'x' }]))
    expect(err.code).toBe('PATCH_TEST_FAILED')
    expect(input).toEqual(doc())
  })

  it('fails with PATCH_INVALID on a missing path for remove and replace', () => {
    expect(errorOf(() => applyJsonPatch(doc(), [{ op: 'remove', path: '/metadata/nope' }])).code).toBe('PATCH_INVALID')
    expect(errorOf(() => applyJsonPatch(doc(), [{ op: 'replace', path: '/spec/list/3', value: 1 }])).code).toBe('PATCH_INVALID')
  })

  it('fails with PATCH_INVALID on malformed operations', () => {
    expect(errorOf(() => applyJsonPatch(doc(), { op: 'add' })).code).toBe('PATCH_INVALID')
    expect(errorOf(() => applyJsonPatch(doc(), [{ op: 'frobnicate', path: '/a' }])).code).toBe('PATCH_INVALID')
    expect(errorOf(() => applyJsonPatch(doc(), [{ op: 'add', path: '/a' }])).code).toBe('PATCH_INVALID')
    expect(errorOf(() => applyJsonPatch(doc(), [{ op: 'add', path: 'a', value: 1 }])).code).toBe('PATCH_INVALID')
    expect(errorOf(() => applyJsonPatch(doc(), [{ op: 'add', path: '/spec/list/01', value: 1 }])).code).toBe('PATCH_INVALID')
  })

  it('refuses to move a value into its own child', () => {
    expect(errorOf(() => applyJsonPatch(doc(), [{ op: 'move', from: '/metadata', path: '/metadata/labels/m' }])).code).toBe('PATCH_INVALID')
  })

  it('does not alias patch values into the result', () => {
    const value = { nested: [1] }
    const out = applyJsonPatch<any>({}, [{ op: 'add', path: '/v', value }])
    out.v.nested.push(2)
    expect(value.nested).toEqual([1])
  })

  it('keeps __proto__ as plain data', () => {
    const out = applyJsonPatch<any>({}, JSON.parse('[{"op":"add","path":"/__proto__","value":{"polluted":true}}]'))
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(({} as any).polluted).toBeUndefined()
    expect(Object.hasOwn(out, '__proto__')).toBe(true)
  })
})

describe('json patch limits', () => {
  it('rejects copy operations that keep doubling the document instead of exhausting memory', () => {
    const ops = Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '/a', path: `/a/x${i}` }))
    const doc = { a: { seed: 'x'.repeat(1024) } }
    expect(() => applyJsonPatch(doc, ops)).toThrow(expect.objectContaining({ code: 'PATCH_INVALID' }))
    expect(doc).toEqual({ a: { seed: 'x'.repeat(1024) } })
  })

  it('rejects a patch with more than 10,000 operations', () => {
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/a', value: 1 }))
    expect(() => applyJsonPatch({ a: 1 }, ops)).toThrow(expect.objectContaining({ code: 'PATCH_INVALID' }))
  })
})
