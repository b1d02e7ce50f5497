import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen } from 'cockatiel'
import { Etcd3, isRecoverableError, type IKeyValue, type IWatchResponse, type Watcher as EtcdWatcher } from 'etcd3'
import { silentLogger, type Logger } from '@edgemesh/common'
import { StoreError, WatchQueue, type ListOptions, type ListResult, type Store, type StoreEntry, type StoreEvent, type WatchOptions } from '@edgemesh/kube/storage'

export interface EtcdStoreInit {
  /** etcd client URLs, e.g. `['http://127.0.0.1:2379']`. */
  endpoints: string[]
  /** Prepended to every key, so several clusters (or tests) can share one etcd. @default '/edgemesh' */
  prefix?: string
  /** How long a connection attempt may take. @default 2_000 */
  dialTimeoutMs?: number
  /** Deadline of each unary call. @default 5_000 */
  callTimeoutMs?: number
  /** Events buffered per watcher before it is ended with STORE_WATCH_OVERFLOW. @default 10_000 */
  watchBufferSize?: number
  /**
   * Longest pause between reconnect attempts (watch streams), and how long an endpoint is shunned after
   * three failed calls in a row. etcd3's own defaults (30 s / 5 s) are too slow for a control plane.
   * @default 2_000
   */
  reconnectMaxDelayMs?: number
  /** @default silent */
  logger?: Logger
}

function prefixEndBytes (key: Buffer): Buffer {
  const end = Buffer.from(key)
  for (let i = end.length - 1; i >= 0; i--) {
    const b = end[i] as number
    if (b < 0xff) {
      end[i] = b + 1
      return end.subarray(0, i + 1)
    }
  }
  // All 0xff (or empty): etcd reads "\0" as "to the end of the keyspace".
  return Buffer.from([0])
}

function isCompactedError (err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision has been compacted')
}

function isFutureRevisionError (err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision is a future revision')
}

/** Connection-level failures: the backend is down or unreachable, the request itself was fine. */
function isUnavailableError (err: unknown): boolean {
  if (!(err instanceof Error)) return false
  return ['GRPCUnavailableError', 'GRPCDeadlineExceededError', 'GRPCCancelledError', 'GRPCInternalError', 'BrokenCircuitError', 'TaskCancelledError'].includes(err.constructor.name) ||
    /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|No connection established/.test(err.message)
}

/**
 * Store on etcd 3.4+ through the etcd3 client. etcd's own revisions are ours (global, monotonic), writes
 * are single transactions comparing create/mod revisions, snapshot lists are ranges at a revision and
 * watches start at a revision, so the store keeps no state of its own beyond live watchers.
 */
export class EtcdStore implements Store {
  private client?: Etcd3
  /** A known lower bound of etcd's compacted revision; only ever grows. */
  private compactedHint = 0
  private readonly queues = new Set<WatchQueue<StoreEvent>>()
  private readonly prefix: string
  private readonly log: Logger

  constructor (private readonly init: EtcdStoreInit) {
    if (init.endpoints.length === 0) throw new TypeError('etcdStore needs at least one endpoint')
    this.prefix = init.prefix ?? '/edgemesh'
    this.log = (init.logger ?? silentLogger()).child({ component: 'etcd-store' })
  }

  isStarted (): boolean { return this.client !== undefined }

  async start (): Promise<void> {
    if (this.client !== undefined) return
    const callTimeoutMs = this.init.callTimeoutMs ?? 5_000
    const reconnectMaxDelayMs = this.init.reconnectMaxDelayMs ?? 2_000
    const client = new Etcd3({
      hosts: this.init.endpoints,
      dialTimeout: this.init.dialTimeoutMs ?? 2_000,
      // Streams (watches) live until cancelled; only unary calls get a deadline.
      defaultCallOptions: ctx => ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs },
      faultHandling: {
        host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: reconnectMaxDelayMs, breaker: new ConsecutiveBreaker(3) }),
        watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: reconnectMaxDelayMs }).next()
      }
    })
    try {
      await client.kv.range({ key: Buffer.from(this.prefix), keys_only: true, limit: 1 })
    } catch (err) {
      client.close()
      throw new StoreError('STORE_UNAVAILABLE', `etcd at ${this.init.endpoints.join(',')} is not reachable`, { cause: err })
    }
    this.client = client
    this.log.info({ endpoints: this.init.endpoints, prefix: this.prefix }, 'connected to etcd')
  }

  async stop (): Promise<void> {
    const client = this.client
    if (client === undefined) return
    this.client = undefined
    const closing = new StoreError('STORE_CLOSED', 'store stopped')
    for (const q of this.queues) q.fail(closing)
    this.queues.clear()
    client.close()
  }

  async revision (): Promise<number> {
    const res = await this.call(async c => await c.kv.range({ key: Buffer.from(this.prefix), keys_only: true, limit: 1 }))
    return Number(res.header.revision)
  }

  async compactedRevision (): Promise<number> {
    // etcd does not report its compacted revision on reads; a range at a revision fails iff that revision
    // is compacted, so binary-search upward from the last known bound.
    const current = await this.revision()
    if (await this.readableAt(Math.max(this.compactedHint, 1))) return this.compactedHint
    let lo = Math.max(this.compactedHint, 1) + 1
    let hi = current
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2)
      if (await this.readableAt(mid)) hi = mid
      else lo = mid + 1
    }
    this.compactedHint = Math.max(this.compactedHint, lo)
    return lo
  }

  async get (key: string): Promise<StoreEntry | undefined> {
    const res = await this.call(async c => await c.kv.range({ key: this.fullKey(key) }))
    const kv = res.kvs[0]
    return kv === undefined ? undefined : this.toEntry(kv)
  }

  async list (prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const full = this.fullKey(prefix)
    const start = opts.startAfter !== undefined && opts.startAfter >= prefix
      ? Buffer.concat([this.fullKey(opts.startAfter), Buffer.from([0])])
      : full
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : 0
    const revision = opts.revision !== undefined && opts.revision > 0 ? opts.revision : 0
    if (revision > 0 && revision < this.compactedHint) throw this.compactedError(revision, this.compactedHint)
    const range = async (at: number): Promise<ListResult> => {
      const res = await this.call(async c => await c.kv.range({ key: start, range_end: prefixEndBytes(full), limit, revision: at }))
      return { entries: res.kvs.map(kv => this.toEntry(kv)), revision: at > 0 ? at : Number(res.header.revision), more: res.more }
    }
    try {
      return await range(revision)
    } catch (err) {
      if (err instanceof StoreError && err.code === 'STORE_COMPACTED') throw this.compactedError(revision, await this.compactedRevision())
      // A revision from the future (e.g. another cloud-core's, not yet applied here) reads as "latest", like SQLite.
      if (isFutureRevisionError(err)) return await range(0)
      throw err
    }
  }

  async create (key: string, value: string): Promise<StoreEntry> {
    const k = this.fullKey(key)
    const res = await this.call(async c => await c.kv.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }]
    }))
    if (!res.succeeded) throw new StoreError('STORE_KEY_EXISTS', `key ${key} already exists`)
    const revision = Number(res.header.revision)
    return { key, value, modRevision: revision, createRevision: revision }
  }

  async update (key: string, value: string, expectedRevision?: number): Promise<StoreEntry> {
    const k = this.fullKey(key)
    const res = await this.call(async c => await c.kv.txn({
      compare: [this.guard(k, expectedRevision)],
      success: [{ request_put: { key: k, value: Buffer.from(value), prev_kv: true } }],
      failure: [{ request_range: { key: k } }]
    }))
    if (!res.succeeded) this.throwGuardFailure(key, res.responses[0]?.response_range?.kvs[0], expectedRevision)
    const prev = res.responses[0]?.response_put?.prev_kv
    const revision = Number(res.header.revision)
    return { key, value, modRevision: revision, createRevision: prev != null ? Number(prev.create_revision) : revision }
  }

  async delete (key: string, expectedRevision?: number): Promise<StoreEntry> {
    const k = this.fullKey(key)
    const res = await this.call(async c => await c.kv.txn({
      compare: [this.guard(k, expectedRevision)],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }]
    }))
    if (!res.succeeded) this.throwGuardFailure(key, res.responses[0]?.response_range?.kvs[0], expectedRevision)
    const prev = res.responses[0]?.response_delete_range?.prev_kvs[0]
    const revision = Number(res.header.revision)
    return { key, value: prev?.value.toString() ?? '', modRevision: revision, createRevision: prev != null ? Number(prev.create_revision) : 0 }
  }

  watch (prefix: string, opts: WatchOptions): AsyncIterable<StoreEvent> {
    return this.watchGenerator(prefix, opts)
  }

  async compact (revision: number): Promise<void> {
    const target = Math.min(revision, await this.revision())
    if (target <= this.compactedHint) return
    try {
      await this.call(async c => await c.kv.compact({ revision: target, physical: true }))
    } catch (err) {
      // Already compacted past `target` (by us, another cloud-core or etcd's auto-compaction): nothing to do.
      if (!(err instanceof StoreError && err.code === 'STORE_COMPACTED')) throw err
    }
    this.compactedHint = Math.max(this.compactedHint, target)
  }

  private async * watchGenerator (prefix: string, opts: WatchOptions): AsyncGenerator<StoreEvent> {
    const client = this.connected()
    await this.assertWatchable(opts.afterRevision)
    if (opts.signal.aborted) return
    const queue = new WatchQueue<StoreEvent>({ maxBuffered: this.init.watchBufferSize ?? 10_000 })
    this.queues.add(queue)
    let last = opts.afterRevision
    const watcher: EtcdWatcher = client.watch()
      .prefix(this.fullKey(prefix))
      .withPreviousKV()
      .startRevision(String(opts.afterRevision + 1))
      .watcher()
    watcher.once('connected', () => { opts.onEstablished?.() })
    watcher.on('data', (res: IWatchResponse) => {
      for (const ev of res.events) {
        const rev = Number(ev.kv.mod_revision)
        // etcd3 resumes from its last seen revision after a reconnect; never hand out a revision twice.
        if (rev <= last) continue
        last = rev
        if (!queue.push(this.toEvent(ev.type, ev.kv, ev.prev_kv))) {
          // Overflowed (or ended): stop etcd streaming to a reader that will only ever see the error.
          watcher.cancel().catch((err: unknown) => { this.log.debug({ err }, 'watch cancel failed') })
          return
        }
      }
    })
    watcher.on('disconnected', (err: Error) => {
      // etcd3 resumes from the revision in the last response header, which is ahead of the events
      // actually delivered while history is still streaming; resume from what we handed out instead.
      watcher.request.start_revision = String(last + 1)
      this.log.warn({ err: err.message, prefix, revision: last }, 'watch stream disconnected; the client reconnects')
    })
    watcher.on('error', (err: Error) => {
      // A cancelled watch is compaction (etcd sends no reason) unless the revision is still readable.
      this.assertWatchable(last).then(
        () => { queue.fail(new StoreError('STORE_UNAVAILABLE', `watch cancelled by etcd: ${err.message}`, { cause: err })) },
        (e: unknown) => { queue.fail(e instanceof Error ? e : new StoreError('STORE_UNAVAILABLE', String(e))) }
      )
    })
    try {
      for (;;) {
        const ev = await queue.next(opts.signal)
        if (ev === undefined) return
        yield ev
      }
    } finally {
      queue.end()
      this.queues.delete(queue)
      // Not awaited: cancelling a watch etcd already cancelled can wait for a reply that never comes.
      watcher.cancel().catch((err: unknown) => { this.log.debug({ err }, 'watch cancel failed') })
    }
  }

  private toEvent (type: 'Put' | 'Delete', kv: IKeyValue, prevKv?: IKeyValue): StoreEvent {
    const prev = prevKv != null ? this.toEntry(prevKv) : undefined
    if (type === 'Delete') {
      return {
        type: 'delete',
        entry: { key: this.userKey(kv.key), value: prev?.value ?? '', modRevision: Number(kv.mod_revision), createRevision: prev?.createRevision ?? 0 },
        prev
      }
    }
    const entry = this.toEntry(kv)
    return entry.createRevision === entry.modRevision ? { type: 'create', entry } : { type: 'update', entry, prev }
  }

  private async assertWatchable (afterRevision: number): Promise<void> {
    // Our contract: history after `afterRevision` is available iff afterRevision >= compacted revision.
    if (afterRevision >= this.compactedHint && await this.readableAt(Math.max(afterRevision, 1))) return
    const compacted = await this.compactedRevision()
    if (afterRevision < compacted) throw this.compactedError(afterRevision, compacted)
  }

  private async readableAt (revision: number): Promise<boolean> {
    try {
      await this.call(async c => await c.kv.range({ key: Buffer.from(this.prefix), keys_only: true, limit: 1, revision }))
      return true
    } catch (err) {
      if (err instanceof StoreError && err.code === 'STORE_COMPACTED') return false
      throw err
    }
  }

  private guard (key: Buffer, expectedRevision: number | undefined): { key: Buffer, target: 'Mod' | 'Create', result: 'Equal' | 'Greater', mod_revision?: number, create_revision?: number } {
    return expectedRevision !== undefined
      ? { key, target: 'Mod', result: 'Equal', mod_revision: expectedRevision }
      : { key, target: 'Create', result: 'Greater', create_revision: 0 }
  }

  private throwGuardFailure (key: string, current: IKeyValue | undefined, expectedRevision: number | undefined): never {
    if (current === undefined) throw new StoreError('STORE_NOT_FOUND', `key ${key} not found`)
    throw new StoreError('STORE_CONFLICT', `key ${key} is at revision ${current.mod_revision}, not ${String(expectedRevision)}`)
  }

  private compactedError (revision: number, compacted: number): StoreError {
    return new StoreError('STORE_COMPACTED', `revision ${revision} is older than the compacted revision ${compacted}`, { compactedRevision: compacted })
  }

  private async call<T> (fn: (c: Etcd3) => Promise<T>): Promise<T> {
    const client = this.connected()
    try {
      return await fn(client)
    } catch (err) {
      if (isCompactedError(err)) throw new StoreError('STORE_COMPACTED', 'requested revision has been compacted', { cause: err })
      if (this.client === undefined) throw new StoreError('STORE_CLOSED', 'store stopped', { cause: err })
      if (isUnavailableError(err)) throw new StoreError('STORE_UNAVAILABLE', `etcd unavailable: ${(err as Error).message}`, { cause: err })
      throw err
    }
  }

  private connected (): Etcd3 {
    if (this.client === undefined) throw new StoreError('STORE_CLOSED', 'store is not started')
    return this.client
  }

  private toEntry (kv: IKeyValue): StoreEntry {
    return { key: this.userKey(kv.key), value: kv.value.toString(), modRevision: Number(kv.mod_revision), createRevision: Number(kv.create_revision) }
  }

  private fullKey (key: string): Buffer {
    return Buffer.from(this.prefix + key)
  }

  private userKey (key: Buffer): string {
    return key.toString().slice(this.prefix.length)
  }
}

/** Creates an etcd-backed store; call `start()` before use. */
export function etcdStore (init: EtcdStoreInit): EtcdStore {
  return new EtcdStore(init)
}
