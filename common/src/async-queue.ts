/**
 * An unbounded single-consumer queue that turns pushes from callbacks and background loops into
 * an async iterable (watch streams merge store events with bookmark timers through it).
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = []
  private waiter: (() => void) | undefined
  private done = false
  private error: unknown

  push (item: T): void {
    if (this.done) return
    this.items.push(item)
    this.wake()
  }

  end (): void {
    this.done = true
    this.wake()
  }

  fail (err: unknown): void {
    if (this.done) return
    this.error = err ?? new Error('queue failed')
    this.done = true
    this.wake()
  }

  get size (): number {
    return this.items.length
  }

  private wake (): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  async * [Symbol.asyncIterator] (): AsyncIterator<T> {
    while (true) {
      if (this.items.length > 0) {
        yield this.items.shift()!
        continue
      }
      if (this.done) {
        if (this.error !== undefined) throw this.error
        return
      }
      await new Promise<void>(resolve => { this.waiter = resolve })
    }
  }
}
