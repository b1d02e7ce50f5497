import { describe, expect, it } from 'vitest'
import { FifoCache } from '../../src/server/decode-cache.js'

describe('FifoCache', () => {
  it('returns what was stored under a key', () => {
    const c = new FifoCache<number>(4)
    c.set('a', 1)
    expect(c.get('a')).toBe(1)
    expect(c.get('b')).toBeUndefined()
  })

  it('drops the oldest entry once the limit is reached', () => {
    const c = new FifoCache<number>(2)
    c.set('a', 1)
    c.set('b', 2)
    c.set('c', 3)
    expect(c.get('a')).toBeUndefined()
    expect(c.get('b')).toBe(2)
    expect(c.get('c')).toBe(3)
    expect(c.size).toBe(2)
  })

  it('keeps the first value stored under a key', () => {
    const c = new FifoCache<number>(2)
    c.set('a', 1)
    c.set('a', 2)
    expect(c.get('a')).toBe(1)
    expect(c.size).toBe(1)
  })
})
