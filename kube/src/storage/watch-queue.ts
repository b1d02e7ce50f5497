import { AsyncQueue } from '@edgemesh/common'
import { StoreError } from './errors.js'

export interface WatchQueueInit {
  /** Events buffered for a consumer before it is cut off with STORE_WATCH_OVERFLOW. @default 10_000 */
  maxBuffered?: number
}

/**
 * The bounded queue between a store's write path and one watcher: common's AsyncQueue whose
 * overflow is the store's STORE_WATCH_OVERFLOW (the API layer turns it into a 410, the client relists).
 */
export class WatchQueue<T> extends AsyncQueue<T> {
  constructor (init: WatchQueueInit = {}) {
    super({
      maxBuffered: init.maxBuffered ?? 10_000,
      overflow: max => new StoreError('STORE_WATCH_OVERFLOW', `watcher fell more than ${max} events behind`)
    })
  }
}
