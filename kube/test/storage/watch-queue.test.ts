import { describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import { WatchQueue } from '../../src/storage/watch-queue.js'
import { prefixEnd } from '../../src/storage/key-range.js'

describe('WatchQueue', () => {
  it('delivers pushed items in order to a waiting consumer', async () => {
    const q = new WatchQueue<number>()
    const signal = new AbortController().signal
    const first = q.next(signal)
    q.push(1)
    q.push(2)
    expect(await first).toBe(1)
    expect(await q.next(signal)).toBe(2)
  })

  it('fails the consumer with STORE_WATCH_OVERFLOW once the bound is exceeded', async () => {
    const q = new WatchQueue<number>({ maxBuffered: 3 })
    expect([q.push(1), q.push(2), q.push(3), q.push(4)]).toEqual([true, true, true, false])
    const err = await q.next(new AbortController().signal).then(() => undefined, (e: unknown) => e)
    expect(hasCode(err, 'STORE_WATCH_OVERFLOW')).toBe(true)
    expect(q.push(5)).toBe(false)
  })

  it('returns undefined to a waiting consumer when the signal aborts', async () => {
    const q = new WatchQueue<number>()
    const ac = new AbortController()
    const pending = q.next(ac.signal)
    ac.abort()
    expect(await pending).toBeUndefined()
  })

  it('drains buffered items before reporting a graceful end', async () => {
    const q = new WatchQueue<number>()
    const signal = new AbortController().signal
    q.push(7)
    q.end()
    expect(await q.next(signal)).toBe(7)
    expect(await q.next(signal)).toBeUndefined()
  })

  it('keeps order across many items while reclaiming consumed space', async () => {
    const q = new WatchQueue<number>({ maxBuffered: 100_000 })
    const signal = new AbortController().signal
    const got: number[] = []
    for (let i = 0; i < 5_000; i++) {
      q.push(i)
      if (i % 3 === 0) got.push(await q.next(signal) as number)
    }
    while (q.size > 0) got.push(await q.next(signal) as number)
    expect(got).toEqual(Array.from({ length: 5_000 }, (_, i) => i))
  })
})

describe('prefixEnd', () => {
  it('bounds exactly the keys that start with the prefix', () => {
    const end = prefixEnd('/a/') as string
    expect(end).toBe('/a0')
    expect('/a/zzz' < end && '/a/zzz' >= '/a/').toBe(true)
    expect('/ab' < end).toBe(false)
  })

  it('has no bound for the empty prefix', () => {
    expect(prefixEnd('')).toBeUndefined()
  })
})
