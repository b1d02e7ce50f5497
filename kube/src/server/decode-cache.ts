/**
 * A small bounded cache with first-in-first-out eviction. Watch fan-out uses it to decode each stored
 * value once for all watchers: the key names an immutable value (key + revision), so entries never go
 * stale and FIFO is enough — an event is looked up by every watcher within moments of its write.
 */
export class FifoCache<V> {
  private readonly entries = new Map<string, V>()
  private readonly limit: number

  /** @param limit entries kept before the oldest is dropped */
  constructor (limit: number) {
    this.limit = Math.max(1, limit)
  }

  get size (): number { return this.entries.size }

  get (key: string): V | undefined {
    return this.entries.get(key)
  }

  set (key: string, value: V): void {
    if (this.entries.has(key)) return
    if (this.entries.size >= this.limit) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    this.entries.set(key, value)
  }

  delete (key: string): void {
    this.entries.delete(key)
  }

  clear (): void {
    this.entries.clear()
  }
}
