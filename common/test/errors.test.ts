import { describe, expect, it } from 'vitest'
import { CodedError, EdgeMeshError, hasCode } from '../src/errors.js'

type DemoCode = 'DEMO_ONE' | 'DEMO_TWO'
class DemoError extends CodedError<DemoCode> {}

describe('CodedError', () => {
  it('carries its code, cause and the subclass name, and is an EdgeMeshError', () => {
    const cause = new Error('inner')
    const err = new DemoError('DEMO_TWO', 'outer', { cause })
    expect(err).toBeInstanceOf(EdgeMeshError)
    expect(err).toBeInstanceOf(DemoError)
    expect(err).toMatchObject({ code: 'DEMO_TWO', name: 'DemoError', message: 'outer', cause })
    expect(hasCode(err, 'DEMO_TWO')).toBe(true)
    expect(hasCode(err, 'DEMO_ONE')).toBe(false)
  })

  it('accepts only the codes of its union (checked by the compiler)', () => {
    // @ts-expect-error: not a DemoCode
    const err = new DemoError('OTHER', 'x')
    expect(err.code).toBe('OTHER')
  })
})
