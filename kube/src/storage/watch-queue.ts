import { StoreError } from './errors.js'

export interface WatchQueueInit {
  /** Events buffered for a consumer before it is cut off with STORE_WATCH_OVERFLOW. @default 10_000 */
  maxBuffered?: number
}

/**
 * A bounded single-consumer queue between a store's write path and one watcher. Producers never wait:
 * a consumer that falls `maxBuffered` events behind is failed with STORE_WATCH_OVERFLOW so that writers
 * are never slowed down by a slow reader (the reader relists, like a Kubernetes 410).
 */
export class WatchQueue<T> {
  private items: T[] = []
  private head = 0
  private failure?: Error
  private ended = false
  private wake?: () => void
  private readonly maxBuffered: number

  constructor (init: WatchQueueInit = {}) {
    this.maxBuffered = init.maxBuffered ?? 10_000
  }

  get closed (): boolean { return this.ended || this.failure !== undefined }

  get size (): number { return this.items.length - this.head }

  /** Returns false if the queue is closed (or has just overflowed). */
  push (item: T): boolean {
    if (this.closed) return false
    if (this.size >= this.maxBuffered) {
      this.fail(new StoreError('STORE_WATCH_OVERFLOW', `watcher fell more than ${this.maxBuffered} events behind`))
      return false
    }
    this.items.push(item)
    this.notify()
    return true
  }

  /** Ends the stream with an error; buffered events are dropped because the consumer must relist anyway. */
  fail (err: Error): void {
    if (this.closed) return
    this.failure = err
    this.items = []
    this.head = 0
    this.notify()
  }

  /** Ends the stream gracefully after the buffered events. */
  end (): void {
    this.ended = true
    this.notify()
  }

  /** Next item; undefined once ended or aborted. Throws the failure, if any. */
  async next (signal: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure
      if (signal.aborted) return undefined
      if (this.head < this.items.length) {
        const item = this.items[this.head] as T
        this.head++
        // Reclaim the consumed prefix once it dominates, keeping shift() costs amortised O(1).
        if (this.head > 1024 && this.head * 2 > this.items.length) {
          this.items = this.items.slice(this.head)
          this.head = 0
        }
        return item
      }
      if (this.ended) return undefined
      await new Promise<void>(resolve => {
        const onAbort = (): void => { resolve() }
        signal.addEventListener('abort', onAbort, { once: true })
        this.wake = () => { signal.removeEventListener('abort', onAbort); resolve() }
      })
      this.wake = undefined
    }
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
