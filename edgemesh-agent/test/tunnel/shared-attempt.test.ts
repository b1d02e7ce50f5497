import { describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import { SharedAttempts } from '../../src/tunnel/shared-attempt.js'
import { TunnelError } from '../../src/tunnel/errors.js'

/** An attempt that settles when the test says so, recording the signal it ran on. */
function controllable<T> (): { run: (signal: AbortSignal) => Promise<T>, runs: AbortSignal[], resolve: (v: T) => void, reject: (e: Error) => void } {
  const runs: AbortSignal[] = []
  let settle: { resolve: (v: T) => void, reject: (e: Error) => void } | undefined
  return {
    runs,
    run: async (signal) => {
      runs.push(signal)
      return await new Promise<T>((resolve, reject) => { settle = { resolve, reject } })
    },
    resolve: (v) => { settle?.resolve(v) },
    reject: (e) => { settle?.reject(e) }
  }
}

const tick = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 5)) }

describe('SharedAttempts', () => {
  it('runs one attempt for concurrent callers of one key and gives each its result', async () => {
    const s = new SharedAttempts<string>()
    const a = controllable<string>()
    const x = s.join('k', a.run)
    const y = s.join('k', a.run)
    await tick()
    expect(a.runs).toHaveLength(1)
    a.resolve('done')
    expect(await x).toBe('done')
    expect(await y).toBe('done')
    expect(s.has('k')).toBe(false)
  })

  it('keeps the attempt running for the others when the first caller aborts', async () => {
    const s = new SharedAttempts<string>()
    const a = controllable<string>()
    const first = new AbortController()
    const x = s.join('k', a.run, first.signal)
    const y = s.join('k', a.run, AbortSignal.timeout(10_000))
    await tick()
    first.abort()
    await expect(x).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    expect(a.runs[0]!.aborted).toBe(false)
    a.resolve('done')
    expect(await y).toBe('done')
  })

  it('aborts the attempt when the last waiter leaves, and the next caller starts afresh', async () => {
    const s = new SharedAttempts<string>()
    const a = controllable<string>()
    const [c1, c2] = [new AbortController(), new AbortController()]
    const x = s.join('k', a.run, c1.signal)
    const y = s.join('k', a.run, c2.signal)
    await tick()
    c1.abort()
    await expect(x).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    c2.abort()
    await expect(y).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    expect(a.runs[0]!.aborted).toBe(true)
    expect(s.has('k')).toBe(false)
    const z = s.join('k', a.run)
    await tick()
    expect(a.runs).toHaveLength(2)
    a.resolve('again')
    expect(await z).toBe('again')
  })

  it('does not start an attempt for a caller whose signal has already fired', async () => {
    const s = new SharedAttempts<string>()
    const a = controllable<string>()
    await expect(s.join('k', a.run, AbortSignal.abort())).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    expect(a.runs).toHaveLength(0)
  })

  it('passes a failure to every waiter and forgets the failed attempt', async () => {
    const s = new SharedAttempts<string>()
    const a = controllable<string>()
    const x = s.join('k', a.run)
    const y = s.join('k', a.run)
    await tick()
    a.reject(new TunnelError('MESH_PEER_UNREACHABLE', 'nope'))
    await expect(x).rejects.toSatisfy(e => hasCode(e, 'MESH_PEER_UNREACHABLE'))
    await expect(y).rejects.toSatisfy(e => hasCode(e, 'MESH_PEER_UNREACHABLE'))
    expect(s.has('k')).toBe(false)
  })

  it('turns a run that throws synchronously into a rejection', async () => {
    const s = new SharedAttempts<string>()
    const boom = (): Promise<string> => { throw new TunnelError('MESH_NOT_STARTED', 'sync throw') }
    await expect(s.join('k', boom)).rejects.toSatisfy(e => hasCode(e, 'MESH_NOT_STARTED'))
    expect(s.has('k')).toBe(false)
  })

  it('keeps different keys apart', async () => {
    const s = new SharedAttempts<string>()
    const a = controllable<string>()
    const b = controllable<string>()
    const ac = new AbortController()
    const x = s.join('a', a.run, ac.signal)
    const y = s.join('b', b.run)
    await tick()
    ac.abort()
    await expect(x).rejects.toBeDefined()
    expect(a.runs[0]!.aborted).toBe(true)
    expect(b.runs[0]!.aborted).toBe(false)
    b.resolve('b')
    expect(await y).toBe('b')
  })

  it('lets a pinned attempt outlive every waiter', async () => {
    const s = new SharedAttempts<string>()
    const a = controllable<string>()
    const pinned = s.pin('k', a.run)
    const ac = new AbortController()
    const x = s.join('k', a.run, ac.signal)
    await tick()
    expect(a.runs).toHaveLength(1)
    ac.abort()
    await expect(x).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    expect(a.runs[0]!.aborted).toBe(false)
    expect(s.has('k')).toBe(true)
    a.resolve('kept')
    expect(await pinned).toBe('kept')
  })

  it('pins an attempt already running instead of starting a second one', async () => {
    const s = new SharedAttempts<string>()
    const a = controllable<string>()
    const ac = new AbortController()
    const x = s.join('k', a.run, ac.signal)
    const pinned = s.pin('k', a.run)
    await tick()
    expect(a.runs).toHaveLength(1)
    ac.abort()
    await expect(x).rejects.toBeDefined()
    expect(a.runs[0]!.aborted).toBe(false)
    a.resolve('one')
    expect(await pinned).toBe('one')
  })

  it('aborts every attempt on abortAll and releases waiters with the reason even if run ignores its signal', async () => {
    const s = new SharedAttempts<string>()
    const deaf = controllable<string>()
    const pinnedRun = controllable<string>()
    const x = s.join('a', deaf.run)
    const pinned = s.pin('b', pinnedRun.run)
    await tick()
    s.abortAll(new TunnelError('MESH_NOT_STARTED', 'stopped'))
    await expect(x).rejects.toSatisfy(e => hasCode(e, 'MESH_NOT_STARTED'))
    expect(deaf.runs[0]!.aborted).toBe(true)
    expect(pinnedRun.runs[0]!.aborted).toBe(true)
    expect(s.size).toBe(0)
    pinnedRun.reject(new Error('aborted run'))
    await expect(pinned).rejects.toBeDefined()
  })

  it('aborts one key with abort(key) and leaves the others running', async () => {
    const s = new SharedAttempts<string>()
    const a = controllable<string>()
    const b = controllable<string>()
    const x = s.join('a', a.run)
    const y = s.join('b', b.run)
    await tick()
    s.abort('a')
    await expect(x).rejects.toSatisfy(e => hasCode(e, 'ABORTED'))
    expect(b.runs[0]!.aborted).toBe(false)
    b.resolve('b')
    expect(await y).toBe('b')
  })
})
