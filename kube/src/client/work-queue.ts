import { ControllerError } from './errors.js'

export interface WorkQueueInit {
  /** First retry delay after an error; doubles per consecutive failure of the same key. @default 5 */
  baseDelayMs?: number
  /** Cap on the per-key retry delay. @default 30_000 */
  maxDelayMs?: number
}

/**
 * A deduplicating, rate-limited queue of keys in the manner of client-go's workqueue:
 * a key is queued at most once; a key being processed is not handed to a second worker, and if it is
 * added meanwhile it is queued again when the worker is done (so no update is lost).
 */
export class WorkQueue {
  private readonly queue: string[] = []
  private readonly queued = new Set<string>()
  private readonly processing = new Set<string>()
  private readonly dirty = new Set<string>()
  private readonly failures = new Map<string, number>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly waiters: Array<() => void> = []
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private shuttingDown = false

  constructor (init: WorkQueueInit = {}) {
    this.baseDelayMs = init.baseDelayMs ?? 5
    this.maxDelayMs = init.maxDelayMs ?? 30_000
  }

  add (key: string): void {
    if (this.shuttingDown) return
    if (this.processing.has(key)) { this.dirty.add(key); return }
    if (this.queued.has(key)) return
    this.queued.add(key)
    this.queue.push(key)
    this.waiters.shift()?.()
  }

  /** Adds the key after `ms`; a later, earlier-firing call does not cancel a pending one (both add, dedup merges). */
  addAfter (key: string, ms: number): void {
    if (this.shuttingDown) return
    if (ms <= 0) { this.add(key); return }
    const existing = this.timers.get(key)
    if (existing !== undefined) clearTimeout(existing)
    const t = setTimeout(() => { this.timers.delete(key); this.add(key) }, ms)
    t.unref?.()
    this.timers.set(key, t)
  }

  /** Re-adds after the key's exponential backoff delay; call `forget` once it succeeds. */
  addRateLimited (key: string): number {
    const n = this.failures.get(key) ?? 0
    this.failures.set(key, n + 1)
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n)
    this.addAfter(key, delay)
    return delay
  }

  forget (key: string): void { this.failures.delete(key) }

  numRequeues (key: string): number { return this.failures.get(key) ?? 0 }

  /** Keys waiting to be processed (not counting delayed ones). */
  len (): number { return this.queue.length }

  /** Takes the next key, waiting for one; rejects with CONTROLLER_QUEUE_SHUT_DOWN once shut down. */
  async get (signal?: AbortSignal): Promise<string> {
    for (;;) {
      if (this.shuttingDown || signal?.aborted === true) throw new ControllerError('CONTROLLER_QUEUE_SHUT_DOWN', 'work queue is shut down')
      const key = this.queue.shift()
      if (key !== undefined) {
        this.queued.delete(key)
        this.processing.add(key)
        return key
      }
      await new Promise<void>(resolve => {
        const onAbort = (): void => resolve()
        signal?.addEventListener('abort', onAbort, { once: true })
        this.waiters.push(() => { signal?.removeEventListener('abort', onAbort); resolve() })
      })
    }
  }

  /** Marks a key as processed; requeues it if it was added while being processed. */
  done (key: string): void {
    this.processing.delete(key)
    if (this.dirty.delete(key)) this.add(key)
  }

  shutDown (): void {
    this.shuttingDown = true
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    for (const w of this.waiters.splice(0)) w()
  }

  isShuttingDown (): boolean { return this.shuttingDown }
}

export interface RunWorkersOptions {
  /** @default 1 */
  concurrency?: number
  signal: AbortSignal
  /** Called when `work` throws; the key is then retried with backoff. */
  onError?: (key: string, err: unknown) => void
}

/**
 * Runs `concurrency` workers until the signal aborts or the queue shuts down. A key whose work throws
 * is retried with per-key exponential backoff; a key whose work returns a number is re-added after that many ms.
 */
export async function runWorkers (queue: WorkQueue, work: (key: string) => Promise<number | undefined | void>, opts: RunWorkersOptions): Promise<void> {
  const worker = async (): Promise<void> => {
    for (;;) {
      let key: string
      try { key = await queue.get(opts.signal) } catch { return }
      try {
        const requeueMs = await work(key)
        queue.forget(key)
        if (typeof requeueMs === 'number') queue.addAfter(key, requeueMs)
      } catch (err) {
        opts.onError?.(key, err)
        queue.addRateLimited(key)
      } finally {
        queue.done(key)
      }
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency ?? 1 }, async () => { await worker() }))
}
