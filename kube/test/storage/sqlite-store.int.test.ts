import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import { sqliteStore, type SqliteStoreInit, type Store } from '../../src/storage/index.js'
import { nextWithin, runStoreSuite, take } from './store-suite.js'

const run = promisify(execFile)
const kubeRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))))
const root = mkdtempSync(join(tmpdir(), 'edgemesh-sqlite-store-'))
let n = 0
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

async function fresh (init: Partial<SqliteStoreInit> = {}): Promise<Store> {
  const s = sqliteStore({ dataDir: join(root, `db${n++}`), compactIntervalMs: 0, ...init })
  await s.start()
  return s
}

runStoreSuite('sqlite', async () => await fresh())

describe('sqliteStore', () => {
  const opened: Store[] = []
  afterEach(async () => { await Promise.all(opened.splice(0).map(async s => { await s.stop() })) })
  const open = async (init: Partial<SqliteStoreInit>): Promise<Store> => {
    const s = sqliteStore({ compactIntervalMs: 0, ...init })
    await s.start()
    opened.push(s)
    return s
  }

  // Before: a second process could open the same file and hand out the same revisions (its counter
  // and watchers live in memory), corrupting the history both served.
  it('refuses a second owner of the file with STORE_LOCKED, in this process and in another, until the first stops', async () => {
    const dataDir = join(root, `locked${n++}`)
    const first = await open({ dataDir })
    await first.create('/a', 'x')
    const second = sqliteStore({ dataDir, compactIntervalMs: 0 })
    await expect(second.start()).rejects.toMatchObject({ code: 'STORE_LOCKED', name: 'StoreError' })
    expect(second.isStarted()).toBe(false)
    // A real second process, through the built package.
    const script = `import { sqliteStore } from ${JSON.stringify(pathToFileURL(join(kubeRoot, 'dist/src/storage/index.js')).href)}
const s = sqliteStore({ dataDir: ${JSON.stringify(dataDir)}, compactIntervalMs: 0 })
try { await s.start(); console.log('OPENED'); await s.stop() } catch (err) { console.log(err.code) }`
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 })
    expect(stdout.trim()).toBe('STORE_LOCKED')
    // The first owner is unaffected and, once it stops, the file is free.
    expect((await first.get('/a'))?.value).toBe('x')
    await first.stop()
    opened.splice(opened.indexOf(first), 1)
    const again = await open({ dataDir })
    expect((await again.get('/a'))?.value).toBe('x')
  })

  it('refuses an init with neither path nor dataDir with CONFIG_INVALID naming the key', () => {
    expect(() => sqliteStore({})).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', key: 'dataDir' }))
  })

  it('survives two concurrent stop() calls without closing the database twice', async () => {
    const s = sqliteStore({ dataDir: join(root, `stop${n++}`), compactIntervalMs: 0 })
    await s.start()
    await Promise.all([s.stop(), s.stop()])
    expect(s.isStarted()).toBe(false)
  })

  it('keeps data and revisions across close and reopen', async () => {
    const dataDir = join(root, `reopen${n++}`)
    const a = await open({ dataDir })
    await a.create('/r/a', '1')
    await a.create('/r/b', '1')
    const d = await a.delete('/r/b')
    await a.stop()
    const b = await open({ dataDir })
    expect(await b.revision()).toBe(d.modRevision)
    expect((await b.get('/r/a'))?.value).toBe('1')
    expect(await b.get('/r/b')).toBeUndefined()
    // A deleted row at the tail must not let its revision be reused.
    expect((await b.create('/r/c', '1')).modRevision).toBe(d.modRevision + 1)
  })

  it('keeps the compacted revision across close and reopen', async () => {
    const dataDir = join(root, `reopen${n++}`)
    const a = await open({ dataDir })
    for (let i = 0; i < 5; i++) await a.create(`/r/${i}`, 'x')
    await a.compact(3)
    await a.stop()
    const b = await open({ dataDir })
    expect(await b.compactedRevision()).toBe(3)
    await expect(b.list('/r/', { revision: 2 })).rejects.toMatchObject({ code: 'STORE_COMPACTED' })
  })

  it('lets a watcher resume after reopen from its last revision', async () => {
    const dataDir = join(root, `resume${n++}`)
    const a = await open({ dataDir })
    const ac = new AbortController()
    const it1 = a.watch('/w/', { afterRevision: 0, signal: ac.signal })[Symbol.asyncIterator]()
    await a.create('/w/a', '1')
    await a.update('/w/a', '2')
    const seen = await take(it1, 2)
    const last = seen.at(-1)?.entry.modRevision ?? 0
    await a.update('/w/a', '3') // written while the watcher is gone
    await a.stop()
    await expect(it1.next()).rejects.toMatchObject({ code: 'STORE_CLOSED' })
    const b = await open({ dataDir })
    const ac2 = new AbortController()
    const it2 = b.watch('/w/', { afterRevision: last, signal: ac2.signal })[Symbol.asyncIterator]()
    await b.delete('/w/a')
    const resumed = await take(it2, 2)
    expect(resumed.map(e => [e.type, e.entry.value, e.prev?.value])).toEqual([['update', '3', '2'], ['delete', '3', '3']])
    ac.abort()
    ac2.abort()
  })

  it('ends a watcher that falls behind its buffer with STORE_WATCH_OVERFLOW without slowing writers', async () => {
    const s = await open({ dataDir: join(root, `overflow${n++}`), watchBufferSize: 10 })
    const ac = new AbortController()
    const it = s.watch('/o/', { afterRevision: await s.revision(), signal: ac.signal })[Symbol.asyncIterator]()
    const first = it.next()
    await s.create('/o/0', '0')
    expect((await first).value?.entry.key).toBe('/o/0')
    // Writers never wait for the stalled watcher: all 50 creates complete while nobody reads.
    for (let i = 1; i <= 50; i++) await s.create(`/o/${i}`, String(i))
    const err = await it.next().then(() => undefined, (e: unknown) => e)
    expect(hasCode(err, 'STORE_WATCH_OVERFLOW')).toBe(true)
  })

  it('compacts periodically down to the configured window', async () => {
    const s = await open({ dataDir: join(root, `periodic${n++}`), compactWindow: 5, compactIntervalMs: 20 })
    for (let i = 0; i < 30; i++) await s.create(`/p/${i}`, String(i))
    const deadline = Date.now() + 3_000
    while (await s.compactedRevision() < 25 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    expect(await s.compactedRevision()).toBe(25)
    expect((await s.list('/p/')).entries).toHaveLength(30)
  })

  it('reports every event to each of many watchers on different prefixes', async () => {
    const s = await open({ dataDir: join(root, `fanout${n++}`) })
    const start = await s.revision()
    const acs = Array.from({ length: 20 }, () => new AbortController())
    const its = acs.map((ac, i) => s.watch(i % 2 === 0 ? '/even/' : '/odd/', { afterRevision: start, signal: ac.signal })[Symbol.asyncIterator]())
    for (let i = 0; i < 10; i++) await s.create(`/${i % 2 === 0 ? 'even' : 'odd'}/${i}`, String(i))
    for (const [i, it] of its.entries()) {
      const events = await take(it, 5)
      expect(events.map(e => Number(e.entry.value) % 2)).toEqual(Array(5).fill(i % 2))
      expect(await nextWithin(it, 5)).toBe('pending')
    }
    for (const ac of acs) ac.abort()
  })

  it('rejects calls made before start with STORE_CLOSED', async () => {
    const s = sqliteStore({ path: ':memory:' })
    await expect(s.get('/a')).rejects.toMatchObject({ code: 'STORE_CLOSED' })
  })
})
