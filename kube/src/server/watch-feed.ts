import type { Store, StoreEvent } from '../storage/types.js'

/** One watcher as a feed sees it. */
export interface FeedSink {
  /** The watcher's start: events at or below this revision are not passed on. */
  readonly afterRevision: number
  /** Takes one store event; returns false when the watcher is done (cut off) and must be dropped. */
  event: (ev: StoreEvent) => boolean
  /** The store watch ended without an error. */
  end: () => void
  fail: (err: unknown) => void
}

/**
 * One store watch on a key prefix, shared by every watcher of that prefix that can join it, so N
 * watchers cost the store one subscription and the API one pass over each event. A watcher joins
 * when its start revision is at or past the last revision the feed has handed on: every event it
 * needs is then still ahead of the feed (older starts use a watch of their own). The feed stops
 * when its last watcher leaves.
 */
export class WatchFeed {
  private readonly sinks = new Set<FeedSink>()
  private readonly ac = new AbortController()
  private lastRevision: number
  private closed = false
  private readonly onClose: (feed: WatchFeed) => void
  /** Settles once the store watch has ended; never rejects. */
  readonly done: Promise<void>

  /** Starts watching at `first`'s revision, with `first` already joined (so a start error reaches it). */
  constructor (store: Store, prefix: string, first: FeedSink, onClose: (feed: WatchFeed) => void) {
    this.lastRevision = first.afterRevision
    this.onClose = onClose
    this.sinks.add(first)
    this.done = this.run(store, prefix, first.afterRevision)
  }

  get watchers (): number { return this.sinks.size }

  get isClosed (): boolean { return this.closed }

  canJoin (afterRevision: number): boolean {
    return !this.closed && afterRevision >= this.lastRevision
  }

  join (sink: FeedSink): void {
    this.sinks.add(sink)
  }

  leave (sink: FeedSink): void {
    this.sinks.delete(sink)
    if (this.sinks.size === 0) this.close()
  }

  private close (): void {
    if (this.closed) return
    this.closed = true
    this.ac.abort()
    this.onClose(this)
  }

  private async run (store: Store, prefix: string, afterRevision: number): Promise<void> {
    try {
      for await (const ev of store.watch(prefix, { afterRevision, signal: this.ac.signal })) {
        const rev = ev.entry.modRevision
        this.lastRevision = rev
        for (const sink of this.sinks) {
          if (rev > sink.afterRevision && !sink.event(ev)) this.sinks.delete(sink)
        }
      }
      if (!this.ac.signal.aborted) for (const sink of this.sinks) sink.end()
    } catch (err) {
      if (!this.ac.signal.aborted) for (const sink of this.sinks) sink.fail(err)
    } finally {
      this.sinks.clear()
      this.close()
    }
  }
}
