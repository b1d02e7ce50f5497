import { CodedError } from './errors.js'

export interface AsyncQueueInit {
  /** Items buffered for the consumer before the queue fails with `overflow()`. @default Infinity */
  maxBuffered?: number
  /** The error an overflowing queue fails with. @default a plain queue-overflow error (QUEUE_OVERFLOW) */
  overflow?: (maxBuffered: number) => Error
}

/**
 * A single-consumer queue that turns pushes from callbacks and background loops into awaited items
 * (`next(signal)`) or an async iterable. Producers never wait: with `maxBuffered`, a consumer that
 * falls that far behind is failed, so a slow reader never slows the writers (the reader relists,
 * like a Kubernetes 410). Used by the stores' watchers and the API's watch streams.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = []
  private head = 0
  private failure?: Error
  private ended = false
  private wake?: () => void
  private readonly maxBuffered: number
  private readonly overflow: (maxBuffered: number) => Error

  constructor (init: AsyncQueueInit = {}) {
    this.maxBuffered = init.maxBuffered ?? Infinity
    this.overflow = init.overflow ?? (max => new QueueOverflowError(max))
  }

  get closed (): boolean { return this.ended || this.failure !== undefined }

  get size (): number { return this.items.length - this.head }

  /** Returns false if the queue is closed (or has just overflowed). */
  push (item: T): boolean {
    if (this.closed) return false
    if (this.size >= this.maxBuffered) {
      this.fail(this.overflow(this.maxBuffered))
      return false
    }
    this.items.push(item)
    this.notify()
    return true
  }

  /** Ends the stream with an error; buffered items are dropped because the consumer must start over anyway. */
  fail (err: Error): void {
    if (this.closed) return
    this.failure = err
    this.items = []
    this.head = 0
    this.notify()
  }

  /** Ends the stream gracefully after the buffered items. */
  end (): void {
    this.ended = true
    this.notify()
  }

  /** Next item; undefined once ended or when `signal` aborts. Throws the failure, if any. */
  async next (signal?: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure
      if (signal?.aborted === true) return undefined
      if (this.head < this.items.length) {
        const item = this.items[this.head] as T
        this.head++
        // Reclaim the consumed prefix once it dominates, keeping dequeue costs amortised O(1).
        if (this.head > 1024 && this.head * 2 > this.items.length) {
          this.items = this.items.slice(this.head)
          this.head = 0
        }
        return item
      }
      if (this.ended) return undefined
      await new Promise<void>(resolve => {
        const onAbort = (): void => { resolve() }
        signal?.addEventListener('abort', onAbort, { once: true })
        this.wake = () => { signal?.removeEventListener('abort', onAbort); resolve() }
      })
      this.wake = undefined
    }
  }

  /** Items until the queue ends; throws its failure. Items are never `undefined` (that marks the end). */
  async * [Symbol.asyncIterator] (): AsyncIterator<T> {
    for (;;) {
      const item = await this.next()
      if (item === undefined) return
      yield item
    }
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}

export class QueueOverflowError extends CodedError<'QUEUE_OVERFLOW'> {
  constructor (maxBuffered: number) { super('QUEUE_OVERFLOW', `consumer fell more than ${maxBuffered} items behind`) }
}
