import { AbortError } from '@edgemesh/common'

interface Attempt<T> {
  promise: Promise<T>
  /** Aborts the attempt itself: only once every waiter has given up (or on `abort`/`abortAll`). */
  controller: AbortController
  waiters: number
  /** Must run to its end whoever waits (an inbound punch sync we acknowledged): waiters leaving never abort it. */
  pinned: boolean
  settled: boolean
}

/**
 * One running attempt per key (a dial, a punch) shared by every caller that wants the same thing
 * while it runs. The attempt runs on its own signal, never on a caller's: each waiter races its own
 * signal, and the attempt is aborted only when the last waiter has given up — so one caller aborting
 * does not fail the others. A settled attempt is forgotten: the next caller starts afresh.
 */
export class SharedAttempts<T> {
  private readonly running = new Map<string, Attempt<T>>()

  /** True while an attempt for `key` runs. */
  has (key: string): boolean { return this.running.has(key) }

  /** Attempts running now. */
  get size (): number { return this.running.size }

  /**
   * Waits for the attempt for `key`, starting it with `run` if none is running. Rejects with AbortError
   * as soon as `signal` fires (the attempt goes on while others wait for it or it is pinned).
   */
  async join (key: string, run: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted === true) throw new AbortError()
    const attempt = this.running.get(key) ?? this.begin(key, run, false)
    attempt.waiters++
    try {
      // Racing the attempt's own signal too: after abort()/abortAll() a waiter is released at once,
      // even when `run` is slow to notice.
      return await raceSignal(attempt.promise, signal === undefined ? attempt.controller.signal : AbortSignal.any([signal, attempt.controller.signal]))
    } finally {
      attempt.waiters--
      if (attempt.waiters === 0 && !attempt.pinned && !attempt.settled) this.drop(key, attempt)
    }
  }

  /**
   * Makes sure an attempt for `key` runs to its end even if nobody waits for it (until `abort`/`abortAll`):
   * starts one with `run`, or pins the one already running (then `run` is not called). Returns its promise,
   * which never rejects unhandled.
   */
  pin (key: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const running = this.running.get(key)
    if (running !== undefined) {
      running.pinned = true
      return running.promise
    }
    return this.begin(key, run, true).promise
  }

  /** Aborts the attempt for `key`, if any, releasing its waiters with `reason` (AbortError by default). */
  abort (key: string, reason?: Error): void {
    const a = this.running.get(key)
    if (a !== undefined) this.drop(key, a, reason)
  }

  /** Aborts every running attempt (stop), releasing their waiters with `reason` (AbortError by default). */
  abortAll (reason?: Error): void {
    for (const [key, a] of [...this.running]) this.drop(key, a, reason)
  }

  private drop (key: string, attempt: Attempt<T>, reason?: Error): void {
    attempt.controller.abort(reason ?? new AbortError())
    if (this.running.get(key) === attempt) this.running.delete(key)
  }

  private begin (key: string, run: (signal: AbortSignal) => Promise<T>, pinned: boolean): Attempt<T> {
    const controller = new AbortController()
    // The executor catches a `run` that throws synchronously, and starts it now (not a microtask later).
    const started = new Promise<T>((resolve) => { resolve(run(controller.signal)) })
    const attempt: Attempt<T> = {
      controller,
      waiters: 0,
      pinned,
      settled: false,
      promise: started.finally(() => {
        attempt.settled = true
        if (this.running.get(key) === attempt) this.running.delete(key)
      })
    }
    // Waiters that gave up (or a pin nobody awaits) leave nobody to observe a later rejection.
    attempt.promise.catch(() => {})
    this.running.set(key, attempt)
    return attempt
  }
}

/**
 * Settles with `p`, or rejects as soon as `signal` fires (leaving `p` running): with the signal's reason
 * when it is an EdgeMeshError-style typed error (`code`), else with AbortError.
 */
export async function raceSignal<T> (p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return await p
  if (signal.aborted) throw abortReason(signal)
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(abortReason(signal)) }
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}

function abortReason (signal: AbortSignal): Error {
  const r: unknown = signal.reason
  // A caller's plain `controller.abort()` reason is a DOMException; callers match on our ABORTED code instead.
  if (r instanceof Error && typeof (r as { code?: unknown }).code === 'string' && !(r instanceof DOMException)) return r
  return new AbortError()
}
