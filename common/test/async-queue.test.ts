import { describe, expect, it } from 'vitest'
import { AsyncQueue } from '../src/async-queue.js'

describe('AsyncQueue', () => {
  it('iterates pushed items in order and stops at end()', async () => {
    const q = new AsyncQueue<number>()
    const got: number[] = []
    const done = (async () => { for await (const n of q) got.push(n) })()
    q.push(1)
    q.push(2)
    await new Promise(resolve => setImmediate(resolve))
    q.push(3)
    q.end()
    await done
    expect(got).toEqual([1, 2, 3])
  })

  it('throws the failure to the iterating consumer and drops what was buffered', async () => {
    const q = new AsyncQueue<number>()
    q.push(1)
    q.fail(new Error('boom'))
    const got: number[] = []
    await expect((async () => { for await (const n of q) got.push(n) })()).rejects.toThrow('boom')
    expect(got).toEqual([])
    expect(q.push(2)).toBe(false)
  })

  it('fails with QUEUE_OVERFLOW when the consumer falls maxBuffered behind, unless told another error', async () => {
    const q = new AsyncQueue<number>({ maxBuffered: 2 })
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([true, true, false])
    await expect(q.next()).rejects.toMatchObject({ code: 'QUEUE_OVERFLOW' })
    const custom = new AsyncQueue<number>({ maxBuffered: 1, overflow: max => Object.assign(new Error(`over ${max}`), { code: 'MINE' }) })
    custom.push(1)
    custom.push(2)
    await expect(custom.next()).rejects.toMatchObject({ code: 'MINE', message: 'over 1' })
  })

  it('is unbounded by default', () => {
    const q = new AsyncQueue<number>()
    for (let i = 0; i < 50_000; i++) expect(q.push(i)).toBe(true)
    expect(q.size).toBe(50_000)
  })
})
