import type { Startable } from '@edgemesh/common'

/**
 * The storage contract (kine-style revision log). Keys are strings like
 * `/registry/<group>/<resource>/<namespace>/<name>` (cluster-scoped: no namespace segment; core group: `core`).
 * Values are opaque JSON strings to the store. Every successful write gets the next global revision
 * (monotonic, never reused, survives restarts). The API layer maps `revision` to `metadata.resourceVersion`.
 */
export interface StoreEntry {
  key: string
  value: string
  /** Revision of the write that produced this value (= resourceVersion). */
  modRevision: number
  /** Revision at which the key was created. */
  createRevision: number
}

export interface ListOptions {
  /** Max entries to return; 0/undefined = all. */
  limit?: number
  /** Return keys strictly greater than this key (continue token support). */
  startAfter?: string
  /** Read as of this revision (snapshot for paginated lists); must be >= compacted revision or STORE_COMPACTED. */
  revision?: number
}

export interface ListResult {
  entries: StoreEntry[]
  /** Store revision the list reflects (use it to start a watch). */
  revision: number
  /** True if `limit` cut the result short. */
  more: boolean
}

export type StoreEventType = 'create' | 'update' | 'delete'

export interface StoreEvent {
  type: StoreEventType
  /** Entry after the change; for delete, the last value with modRevision = the delete's revision. */
  entry: StoreEntry
  /** Value before the change (update/delete). */
  prev?: StoreEntry
}

export interface WatchOptions {
  /** Deliver every event with revision > afterRevision. Older than the compacted revision → STORE_COMPACTED (HTTP 410). */
  afterRevision: number
  signal: AbortSignal
  /**
   * Called once the backend has registered the watch (SQLite: at once; etcd: when etcd acknowledges it).
   * Writes made after this are never missed, so a caller can wait for it before writing and racing a
   * compaction against the watch start.
   */
  onEstablished?: () => void
}

export interface Store extends Startable {
  /** Current (latest) revision. */
  revision: () => Promise<number>
  /** Oldest revision still watchable/readable; older requests fail with STORE_COMPACTED. */
  compactedRevision: () => Promise<number>
  get: (key: string) => Promise<StoreEntry | undefined>
  /** Keys with this prefix, sorted by key. */
  list: (prefix: string, opts?: ListOptions) => Promise<ListResult>
  /** Fails with STORE_KEY_EXISTS if the key exists. */
  create: (key: string, value: string) => Promise<StoreEntry>
  /** Fails with STORE_NOT_FOUND if missing, STORE_CONFLICT if `expectedRevision` is given and differs. */
  update: (key: string, value: string, expectedRevision?: number) => Promise<StoreEntry>
  /** Returns the deleted entry (modRevision = revision of the delete). Same errors as update. */
  delete: (key: string, expectedRevision?: number) => Promise<StoreEntry>
  /** Async stream of changes under `prefix`, in revision order, until the signal aborts. */
  watch: (prefix: string, opts: WatchOptions) => AsyncIterable<StoreEvent>
  /** Drop history older than `revision` (events and old versions). */
  compact: (revision: number) => Promise<void>
}
