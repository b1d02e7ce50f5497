import { EdgeMeshError } from '@edgemesh/common'

export type StoreErrorCode = 'STORE_KEY_EXISTS' | 'STORE_NOT_FOUND' | 'STORE_CONFLICT' | 'STORE_COMPACTED' | 'STORE_CLOSED' | 'STORE_UNAVAILABLE'

export class StoreError extends EdgeMeshError {
  /** For STORE_COMPACTED: the oldest revision still available. */
  readonly compactedRevision?: number
  constructor (code: StoreErrorCode, message: string, opts: { compactedRevision?: number, cause?: unknown } = {}) {
    super(code, message, { cause: opts.cause })
    this.compactedRevision = opts.compactedRevision
  }
}
