import { describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import { WorkQueue, runWorkers } from '../../src/client/work-queue.js'

describe('work queue', () => {
  it('holds a key once however often it is added', async () => {
    const q = new WorkQueue()
    q.add('a'); q.add('b'); q.add('a')
    expect(q.len()).toBe(2)
    expect(await q.get()).toBe('a')
    expect(await q.get()).toBe('b')
  })
  it('does not hand a key to a second worker while it is processed, and requeues it after', async () => {
    const q = new WorkQueue()
    q.add('a')
    const k = await q.get()
    q.add('a')
    expect(q.len()).toBe(0)
    q.done(k)
    expect(q.len()).toBe(1)
  })
  it('doubles the retry delay per failure of the same key and resets it on forget', () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50 })
    expect([q.addRateLimited('k'), q.addRateLimited('k'), q.addRateLimited('k'), q.addRateLimited('k')]).toEqual([10, 20, 40, 50])
    expect(q.numRequeues('k')).toBe(4)
    q.forget('k')
    expect(q.addRateLimited('k')).toBe(10)
    q.shutDown()
  })
  it('adds a delayed key only after its delay', async () => {
    const q = new WorkQueue()
    q.addAfter('x', 40)
    expect(q.len()).toBe(0)
    const t0 = Date.now()
    expect(await q.get(AbortSignal.timeout(2000))).toBe('x')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(30)
  })
  it('rejects waiting workers with CONTROLLER_QUEUE_SHUT_DOWN on shutdown', async () => {
    const q = new WorkQueue()
    const p = q.get()
    q.shutDown()
    await expect(p).rejects.toSatisfy((e: unknown) => hasCode(e, 'CONTROLLER_QUEUE_SHUT_DOWN'))
  })
  it('retries a failing key with backoff until it succeeds', async () => {
    const q = new WorkQueue({ baseDelayMs: 1 })
    const ac = new AbortController()
    let calls = 0
    const done = new Promise<void>(resolve => {
      void runWorkers(q, async () => { calls++; if (calls < 3) throw new Error('boom'); resolve() }, { signal: ac.signal })
    })
    q.add('k')
    await done
    // forget() runs right after the work function resolves.
    await new Promise(resolve => setTimeout(resolve, 5))
    ac.abort(); q.shutDown()
    expect(calls).toBe(3)
    expect(q.numRequeues('k')).toBe(0)
  })
  it('never runs more than the configured number of workers at once', async () => {
    const q = new WorkQueue()
    const ac = new AbortController()
    let running = 0
    let peak = 0
    let finished = 0
    const all = new Promise<void>(resolve => {
      void runWorkers(q, async () => {
        running++; peak = Math.max(peak, running)
        await new Promise(r => setTimeout(r, 10))
        running--
        if (++finished === 8) resolve()
      }, { signal: ac.signal, concurrency: 3 })
    })
    for (let i = 0; i < 8; i++) q.add(`k${i}`)
    await all
    ac.abort(); q.shutDown()
    expect(peak).toBe(3)
  })
})
