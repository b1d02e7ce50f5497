import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type StoreErrorCode = keyof typeof ERROR_CATALOGUE
export class StoreError extends CodedError<StoreErrorCode> {
  /** For STORE_COMPACTED: the oldest revision still available. */
  readonly compactedRevision?: number
  constructor (code: StoreErrorCode, message: string, opts: { compactedRevision?: number, cause?: unknown } = {}) {
    super(code, message, { cause: opts.cause })
    this.compactedRevision = opts.compactedRevision
  }
}

export const ERROR_CATALOGUE = {
  STORE_KEY_EXISTS: 'Create of a key that already exists.',
  STORE_NOT_FOUND: 'Update or delete of a key that does not exist.',
  STORE_CONFLICT: 'The key\'s revision differs from the expected one (optimistic concurrency).',
  STORE_COMPACTED: 'The requested revision is older than the compaction window (HTTP 410 Gone).',
  STORE_CLOSED: 'The store is stopped.',
  STORE_UNAVAILABLE: 'The backend (e.g. etcd) cannot be reached.',
  STORE_LOCKED: 'Another process has the SQLite store file open; one cloudcore (or edgecore) per data dir.',
  STORE_WATCH_OVERFLOW: 'A watcher fell too far behind (its buffer bound was exceeded) and was ended; relist and watch again (HTTP 410 Gone).'
} as const satisfies Record<string, string>
