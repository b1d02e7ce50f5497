import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { ConfigError, hasCode, silentLogger, type Logger } from '@edgemesh/common'
import { StoreError } from './errors.js'
import { prefixEnd } from './key-range.js'
import { WatchQueue } from './watch-queue.js'
import type { ListOptions, ListResult, Store, StoreEntry, StoreEvent, WatchOptions } from './types.js'

export interface SqliteStoreInit {
  /** Directory holding `store.db` (created if missing). One of `dataDir` or `path` is required. */
  dataDir?: string
  /** Database file path; wins over `dataDir`. `':memory:'` works for throwaway stores. */
  path?: string
  /** Revisions of history kept by periodic compaction. @default 10_000 */
  compactWindow?: number
  /** How often periodic compaction runs; 0 disables it. @default 60_000 */
  compactIntervalMs?: number
  /** Events buffered per watcher before it is ended with STORE_WATCH_OVERFLOW. @default 10_000 */
  watchBufferSize?: number
  /** @default silent */
  logger?: Logger
}

/** A row of the `log` table. */
interface LogRow {
  revision: number
  key: string
  created: number
  deleted: number
  create_revision: number
  prev_revision: number
  value: string
}

interface Watcher {
  prefix: string
  queue: WatchQueue<StoreEvent>
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  revision INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_key_revision ON log (key, revision);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`

/** Rows replayed per query when a watcher catches up from history. */
const REPLAY_BATCH = 500
/** Revisions compacted per transaction, so a large compaction never blocks writers for long. */
const COMPACT_CHUNK = 2_000

function toEntry (row: LogRow): StoreEntry {
  return { key: row.key, value: row.value, modRevision: row.revision, createRevision: row.create_revision }
}

function prepare (db: Database.Database): {
  latest: Database.Statement<[string], LogRow>
  byRevision: Database.Statement<[number], LogRow>
  insert: Database.Statement<[number, string, number, number, number, number, string]>
  history: Database.Statement<[string, string, number, number, number], LogRow>
  listAt: Database.Statement<[string, string, string, number, number], LogRow>
  deleteSuperseded: Database.Statement<[number, number]>
  deleteTombstones: Database.Statement<[number, number]>
  getMeta: Database.Statement<[string], { value: number }>
  setMeta: Database.Statement<[string, number]>
  sequence: Database.Statement<[], { seq: number }>
} {
  return {
    latest: db.prepare('SELECT * FROM log WHERE key = ? ORDER BY revision DESC LIMIT 1'),
    byRevision: db.prepare('SELECT * FROM log WHERE revision = ?'),
    insert: db.prepare('INSERT INTO log (revision, key, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    history: db.prepare('SELECT * FROM log WHERE key >= ? AND key < ? AND revision > ? AND revision <= ? ORDER BY revision LIMIT ?'),
    // Latest row per key as of a revision; tombstones filtered after grouping so a deleted key vanishes.
    listAt: db.prepare(`SELECT l.* FROM log l JOIN (
        SELECT MAX(revision) AS rev FROM log WHERE key >= ? AND key < ? AND key > ? AND revision <= ? GROUP BY key
      ) m ON l.revision = m.rev WHERE l.deleted = 0 ORDER BY l.key LIMIT ?`),
    // A row superseded by a write at or before the compaction point can never be read again.
    deleteSuperseded: db.prepare('DELETE FROM log WHERE revision IN (SELECT prev_revision FROM log WHERE revision > ? AND revision <= ? AND prev_revision != 0)'),
    deleteTombstones: db.prepare('DELETE FROM log WHERE deleted = 1 AND revision > ? AND revision <= ?'),
    getMeta: db.prepare('SELECT value FROM meta WHERE name = ?'),
    setMeta: db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    sequence: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'log'")
  }
}

type Statements = ReturnType<typeof prepare>

/** Upper bound for key ranges: beyond every BMP string. */
const KEY_MAX = '\uffff'

/**
 * Store on SQLite (better-sqlite3, WAL), kine-style: one append-only `log` table where the current value
 * of a key is its latest row unless that row is a tombstone. Writes are synchronous transactions, so a
 * write and its revision are atomic and, being on the one JS thread, totally ordered with watch fan-out.
 * One process owns the database file.
 */
export class SqliteStore implements Store {
  private db?: Database.Database
  private stmts?: Statements
  private rev = 0
  private compacted = 0
  private compacting?: Promise<void>
  private timer?: NodeJS.Timeout
  private readonly watchers = new Set<Watcher>()
  private readonly file: string
  private readonly compactWindow: number
  private readonly compactIntervalMs: number
  private readonly watchBufferSize: number
  private readonly log: Logger

  constructor (init: SqliteStoreInit) {
    if (init.path === undefined && init.dataDir === undefined) throw new ConfigError('sqliteStore needs `path` or `dataDir`', { key: 'dataDir' })
    if (init.path === undefined && init.dataDir !== undefined) mkdirSync(init.dataDir, { recursive: true })
    this.file = init.path ?? join(init.dataDir ?? '.', 'store.db')
    this.compactWindow = init.compactWindow ?? 10_000
    this.compactIntervalMs = init.compactIntervalMs ?? 60_000
    this.watchBufferSize = init.watchBufferSize ?? 10_000
    this.log = (init.logger ?? silentLogger()).child({ component: 'sqlite-store' })
  }

  isStarted (): boolean { return this.db !== undefined }

  async start (): Promise<void> {
    if (this.db !== undefined) return
    const db = new Database(this.file)
    try {
      this.lock(db)
    } catch (err) {
      db.close()
      throw err
    }
    try {
      db.pragma('journal_mode = WAL')
      // NORMAL in WAL keeps the database consistent on power loss; only the last commits may be lost.
      db.pragma('synchronous = NORMAL')
      db.pragma('busy_timeout = 5000')
      db.exec(SCHEMA)
      this.stmts = prepare(db)
      this.rev = this.stmts.sequence.get()?.seq ?? 0
      this.compacted = this.stmts.getMeta.get('compacted')?.value ?? 0
    } catch (err) {
      db.close()
      this.stmts = undefined
      throw new StoreError('STORE_UNAVAILABLE', `cannot open SQLite store at ${this.file}`, { cause: err })
    }
    this.db = db
    if (this.compactIntervalMs > 0) {
      this.timer = setInterval(() => { this.periodicCompact() }, this.compactIntervalMs)
      this.timer.unref()
    }
    this.log.info({ file: this.file, revision: this.rev, compacted: this.compacted }, 'store opened')
  }

  /**
   * One process owns the file: the revision counter and the watchers live in this process, so a
   * second writer would hand out duplicate revisions. EXCLUSIVE locking mode holds the file lock
   * from the first transaction until close (the OS drops it if the process dies, so nothing stale
   * is left behind); a second opener fails at once with STORE_LOCKED.
   */
  private lock (db: Database.Database): void {
    try {
      db.pragma('locking_mode = EXCLUSIVE')
      db.pragma('busy_timeout = 0')
      db.exec('BEGIN EXCLUSIVE; COMMIT')
    } catch (err) {
      if (hasCode(err, 'SQLITE_BUSY') || hasCode(err, 'SQLITE_LOCKED')) {
        throw new StoreError('STORE_LOCKED', `SQLite store ${this.file} is in use by another process (one cloudcore/edgecore per data dir)`, { cause: err })
      }
      throw new StoreError('STORE_UNAVAILABLE', `cannot open SQLite store at ${this.file}`, { cause: err })
    }
  }

  async stop (): Promise<void> {
    const db = this.db
    if (db === undefined) return
    // Detach before awaiting: a second stop() must see the store as stopped, not close the handle twice.
    this.db = undefined
    this.stmts = undefined
    clearInterval(this.timer)
    this.timer = undefined
    const closing = new StoreError('STORE_CLOSED', 'store stopped')
    for (const w of this.watchers) w.queue.fail(closing)
    this.watchers.clear()
    await this.compacting?.catch(() => {})
    db.close()
    this.log.info({ file: this.file, revision: this.rev }, 'store closed')
  }

  async revision (): Promise<number> {
    this.open()
    return this.rev
  }

  async compactedRevision (): Promise<number> {
    this.open()
    return this.compacted
  }

  async get (key: string): Promise<StoreEntry | undefined> {
    const row = this.open().latest.get(key)
    return row === undefined || row.deleted === 1 ? undefined : toEntry(row)
  }

  async list (prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const s = this.open()
    const at = opts.revision !== undefined && opts.revision > 0 ? Math.min(opts.revision, this.rev) : this.rev
    if (at < this.compacted) throw this.compactedError(at)
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : -1
    const after = opts.startAfter !== undefined && opts.startAfter >= prefix ? opts.startAfter : ''
    const rows = s.listAt.all(prefix, prefixEnd(prefix) ?? KEY_MAX, after, at, limit > 0 ? limit + 1 : -1)
    const more = limit > 0 && rows.length > limit
    return { entries: (more ? rows.slice(0, limit) : rows).map(toEntry), revision: at, more }
  }

  async create (key: string, value: string): Promise<StoreEntry> {
    const s = this.open()
    const event = this.tx(() => {
      const latest = s.latest.get(key)
      if (latest !== undefined && latest.deleted === 0) throw new StoreError('STORE_KEY_EXISTS', `key ${key} already exists`)
      const revision = this.rev + 1
      s.insert.run(revision, key, 1, 0, revision, latest?.revision ?? 0, value)
      return { type: 'create' as const, entry: { key, value, modRevision: revision, createRevision: revision } }
    })
    return event.entry
  }

  async update (key: string, value: string, expectedRevision?: number): Promise<StoreEntry> {
    const s = this.open()
    const event = this.tx(() => {
      const prev = this.current(s, key, expectedRevision)
      const revision = this.rev + 1
      s.insert.run(revision, key, 0, 0, prev.createRevision, prev.modRevision, value)
      return { type: 'update' as const, entry: { key, value, modRevision: revision, createRevision: prev.createRevision }, prev }
    })
    return event.entry
  }

  async delete (key: string, expectedRevision?: number): Promise<StoreEntry> {
    const s = this.open()
    const event = this.tx(() => {
      const prev = this.current(s, key, expectedRevision)
      const revision = this.rev + 1
      // The tombstone keeps the last value so history replay can report what was deleted.
      s.insert.run(revision, key, 0, 1, prev.createRevision, prev.modRevision, prev.value)
      return { type: 'delete' as const, entry: { ...prev, modRevision: revision }, prev }
    })
    return event.entry
  }

  watch (prefix: string, opts: WatchOptions): AsyncIterable<StoreEvent> {
    return this.watchGenerator(prefix, opts)
  }

  async compact (revision: number): Promise<void> {
    this.open()
    // Compactions run one at a time; a later request waits for the running one, then continues from it.
    while (this.compacting !== undefined) await this.compacting
    const target = Math.min(revision, this.rev)
    if (target <= this.compacted) return
    this.compacting = this.compactTo(target).finally(() => { this.compacting = undefined })
    await this.compacting
  }

  private async compactTo (target: number): Promise<void> {
    const started = performance.now()
    let removed = 0
    while (this.compacted < target) {
      const s = this.stmts
      const db = this.db
      if (s === undefined || db === undefined) return
      const from = this.compacted
      const to = Math.min(target, from + COMPACT_CHUNK)
      removed += db.transaction(() => {
        const n = s.deleteSuperseded.run(from, to).changes + s.deleteTombstones.run(from, to).changes
        s.setMeta.run('compacted', to)
        return n
      })()
      this.compacted = to
      if (this.compacted < target) await yieldToLoop()
    }
    this.log.debug({ revision: target, removed, ms: Math.round(performance.now() - started) }, 'compacted')
  }

  private periodicCompact (): void {
    const target = this.rev - this.compactWindow
    if (target <= this.compacted || this.compacting !== undefined) return
    this.compact(target).catch(err => { this.log.warn({ err }, 'periodic compaction failed') })
  }

  private async * watchGenerator (prefix: string, opts: WatchOptions): AsyncGenerator<StoreEvent> {
    this.open()
    if (opts.afterRevision < this.compacted) throw this.compactedError(opts.afterRevision)
    if (opts.signal.aborted) return
    // Subscribe before reading history: writes are synchronous, so everything after `upto` reaches the
    // queue and everything up to it is in the log. Revisions de-duplicate the seam anyway.
    const watcher: Watcher = { prefix, queue: new WatchQueue({ maxBuffered: this.watchBufferSize }) }
    this.watchers.add(watcher)
    opts.onEstablished?.()
    const upto = this.rev
    const end = prefixEnd(prefix) ?? KEY_MAX
    let last = opts.afterRevision
    try {
      while (last < upto) {
        const s = this.open()
        // Compaction may have overtaken a slow replay; the rows it needs would be gone.
        if (last < this.compacted) throw this.compactedError(last)
        const rows = s.history.all(prefix, end, last, upto, REPLAY_BATCH)
        for (const row of rows) {
          if (opts.signal.aborted) return
          last = row.revision
          yield this.rowEvent(row)
        }
        if (rows.length < REPLAY_BATCH) break
      }
      for (;;) {
        const ev = await watcher.queue.next(opts.signal)
        if (ev === undefined) return
        if (ev.entry.modRevision <= last) continue
        last = ev.entry.modRevision
        yield ev
      }
    } finally {
      watcher.queue.end()
      this.watchers.delete(watcher)
    }
  }

  private rowEvent (row: LogRow): StoreEvent {
    if (row.created === 1) return { type: 'create', entry: toEntry(row) }
    const prevRow = row.prev_revision !== 0 ? this.open().byRevision.get(row.prev_revision) : undefined
    const prev = prevRow !== undefined ? toEntry(prevRow) : undefined
    return { type: row.deleted === 1 ? 'delete' : 'update', entry: toEntry(row), prev }
  }

  /** Runs a write in a transaction, commits its revision, then fans the event out. */
  private tx (fn: () => StoreEvent): StoreEvent {
    const db = this.db
    if (db === undefined) throw new StoreError('STORE_CLOSED', 'store stopped')
    const event = db.transaction(fn)()
    this.rev = event.entry.modRevision
    for (const w of this.watchers) {
      if (event.entry.key.startsWith(w.prefix) && !w.queue.push(event)) {
        this.watchers.delete(w)
        this.log.warn({ prefix: w.prefix, revision: this.rev }, 'watcher overflowed and was ended')
      }
    }
    return event
  }

  private current (s: Statements, key: string, expectedRevision: number | undefined): StoreEntry {
    const row = s.latest.get(key)
    if (row === undefined || row.deleted === 1) throw new StoreError('STORE_NOT_FOUND', `key ${key} not found`)
    if (expectedRevision !== undefined && row.revision !== expectedRevision) {
      throw new StoreError('STORE_CONFLICT', `key ${key} is at revision ${row.revision}, not ${expectedRevision}`)
    }
    return toEntry(row)
  }

  private compactedError (revision: number): StoreError {
    return new StoreError('STORE_COMPACTED', `revision ${revision} is older than the compacted revision ${this.compacted}`, { compactedRevision: this.compacted })
  }

  private open (): Statements {
    if (this.stmts === undefined) throw new StoreError('STORE_CLOSED', 'store is not started')
    return this.stmts
  }
}

/** Creates a SQLite-backed store; call `start()` before use. */
export function sqliteStore (init: SqliteStoreInit): SqliteStore {
  return new SqliteStore(init)
}
