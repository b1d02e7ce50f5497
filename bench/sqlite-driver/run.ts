// SQLite driver benchmark: better-sqlite3 (native addon) vs Node's built-in node:sqlite, on the
// revision log's own schema and hot statements (a create = read the key's latest row + append a row
// in one transaction; a get = latest row of a key; a list = latest row per key over a prefix).
// Both drivers use the same file settings as the store (WAL, synchronous=NORMAL). Rounds interleave
// the drivers so a noisy neighbour hits both alike; reported: median and min-max over rounds, and
// node:sqlite as a ratio of better-sqlite3. Writes bench/results/sqlite-driver.{json,md}.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DatabaseSync } from 'node:sqlite'
import Database from 'better-sqlite3'

const arg = (name: string, dflt: number): number => {
  const a = process.argv.find(x => x.startsWith(`--${name}=`))
  return a !== undefined ? Number(a.split('=')[1]) : dflt
}
const ROUNDS = arg('rounds', 5)
const CREATES = arg('creates', 20_000)
const GETS = arg('gets', 50_000)
const LISTS = arg('lists', 200)

const SCHEMA = `
CREATE TABLE log (revision INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, created INTEGER NOT NULL,
  deleted INTEGER NOT NULL, create_revision INTEGER NOT NULL, prev_revision INTEGER NOT NULL, value TEXT NOT NULL);
CREATE INDEX log_key_revision ON log (key, revision);`
const LATEST = 'SELECT * FROM log WHERE key = ? ORDER BY revision DESC LIMIT 1'
const INSERT = 'INSERT INTO log (key, created, deleted, create_revision, prev_revision, value) VALUES (?, 1, 0, 0, ?, ?)'
const LIST = `SELECT l.* FROM log l JOIN (SELECT MAX(revision) AS rev FROM log WHERE key >= ? AND key < ? GROUP BY key) m
  ON l.revision = m.rev WHERE l.deleted = 0 ORDER BY l.key LIMIT 500`
const VALUE = JSON.stringify({ kind: 'Pod', metadata: { name: 'x', namespace: 'default', labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } })

/** The three statements and a transaction wrapper, so both drivers run the identical workload. */
interface Driver {
  latest: (key: string) => unknown
  insert: (key: string, prev: number, value: string) => void
  list: (from: string, to: string) => unknown[]
  tx: (fn: () => void) => void
  close: () => void
}

/** The statement surface both drivers share; each driver differs only in how it opens and runs a transaction. */
interface SqlDb {
  prepare: (sql: string) => { get: (...p: string[]) => unknown, all: (...p: string[]) => unknown[], run: (...p: Array<string | number>) => unknown }
  exec: (sql: string) => unknown
  close: () => unknown
}

function driver (db: SqlDb, tx: Driver['tx']): Driver {
  db.exec(SCHEMA)
  const latest = db.prepare(LATEST)
  const insert = db.prepare(INSERT)
  const list = db.prepare(LIST)
  return {
    latest: key => latest.get(key),
    insert: (key, prev, value) => { insert.run(key, prev, value) },
    list: (from, to) => list.all(from, to),
    tx,
    close: () => { db.close() }
  }
}

function betterSqlite (file: string): Driver {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  return driver(db as unknown as SqlDb, fn => { db.transaction(fn)() })
}

function nodeSqlite (file: string): Driver {
  const db = new DatabaseSync(file)
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;')
  return driver(db as unknown as SqlDb, fn => {
    db.exec('BEGIN')
    try { fn(); db.exec('COMMIT') } catch (err) { db.exec('ROLLBACK'); throw err }
  })
}

interface Round { createsPerSec: number, getsPerSec: number, listsPerSec: number }

function round (open: (file: string) => Driver): Round {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-driver-'))
  const d = open(join(dir, 'store.db'))
  try {
    const key = (i: number): string => `/registry/pods/ns${i % 20}/pod-${i}`
    let t0 = performance.now()
    for (let i = 0; i < CREATES; i++) {
      d.tx(() => {
        const prev = d.latest(key(i)) as { revision: number } | undefined
        d.insert(key(i), prev?.revision ?? 0, VALUE)
      })
    }
    const createsPerSec = CREATES / ((performance.now() - t0) / 1000)
    t0 = performance.now()
    for (let i = 0; i < GETS; i++) d.latest(key((i * 7919) % CREATES))
    const getsPerSec = GETS / ((performance.now() - t0) / 1000)
    t0 = performance.now()
    for (let i = 0; i < LISTS; i++) { const p = `/registry/pods/ns${i % 20}/`; d.list(p, p + '\uffff') }
    const listsPerSec = LISTS / ((performance.now() - t0) / 1000)
    return { createsPerSec, getsPerSec, listsPerSec }
  } finally {
    d.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }
const drivers = { 'better-sqlite3': betterSqlite, 'node:sqlite': nodeSqlite } as const
const rounds: Record<keyof typeof drivers, Round[]> = { 'better-sqlite3': [], 'node:sqlite': [] }
const load = loadavg()[0]!
round(betterSqlite); round(nodeSqlite) // warm-up, not recorded
for (let r = 0; r < ROUNDS; r++) {
  // Alternate which driver goes first so neither always runs on a warmer page cache.
  const order = r % 2 === 0 ? (['better-sqlite3', 'node:sqlite'] as const) : (['node:sqlite', 'better-sqlite3'] as const)
  for (const name of order) rounds[name].push(round(drivers[name]))
}

const metrics = ['createsPerSec', 'getsPerSec', 'listsPerSec'] as const
const summary = Object.fromEntries(Object.entries(rounds).map(([name, rs]) => [name, Object.fromEntries(metrics.map(m => {
  const xs = rs.map(r => r[m])
  return [m, { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }]
}))])) as Record<string, Record<(typeof metrics)[number], { median: number, min: number, max: number }>>
const ratios = Object.fromEntries(metrics.map(m => {
  // Ratio per round (same round, same machine state), then median and spread of those.
  const xs = rounds['node:sqlite'].map((r, i) => r[m] / rounds['better-sqlite3'][i]![m])
  return [m, { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }]
}))

const results = join(dirname(fileURLToPath(import.meta.url)), '../results')
mkdirSync(results, { recursive: true })
writeFileSync(join(results, 'sqlite-driver.json'), JSON.stringify({ node: process.version, rounds: ROUNDS, creates: CREATES, gets: GETS, lists: LISTS, loadAverage1m: load, summary, ratios, raw: rounds }, null, 2) + '\n')
const f = (x: { median: number, min: number, max: number }, digits = 0): string => `${x.median.toFixed(digits)} (${x.min.toFixed(digits)}-${x.max.toFixed(digits)})`
const md = [
  '## SQLite driver (store hot statements)',
  '',
  `${ROUNDS} interleaved rounds on Node ${process.version} (1-min load average ${load.toFixed(2)} at start): median (min-max). A create is a transaction that reads the key's latest row and appends one; a get reads a key's latest row; a list reads the latest row per key of a 1,000-key prefix.`,
  '',
  '| driver | creates/s | gets/s | lists/s |',
  '|---|---|---|---|',
  ...Object.entries(summary).map(([name, s]) => `| ${name} | ${f(s.createsPerSec)} | ${f(s.getsPerSec)} | ${f(s.listsPerSec)} |`),
  `| node:sqlite ÷ better-sqlite3 | ${f(ratios.createsPerSec!, 2)} | ${f(ratios.getsPerSec!, 2)} | ${f(ratios.listsPerSec!, 2)} |`,
  ''
].join('\n')
writeFileSync(join(results, 'sqlite-driver.md'), md)
console.log(md)
