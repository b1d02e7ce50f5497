import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteStore, type Store, type StoreEntry } from '@edgemesh/kube/storage'
import { etcdStore } from '../../src/store/index.js'
import { etcdAvailable, ETCD_BIN, startEtcd, type EtcdServer } from './etcd-server.js'
import { nextWithin, take } from '@edgemesh/kube/testing'

const root = mkdtempSync(join(tmpdir(), 'edgemesh-store-model-'))
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

const KEYS = ['/m/a', '/m/b', '/m/c', '/m/ab']

type Op =
  | { kind: 'create', key: string, value: string }
  | { kind: 'update', key: string, value: string, guard: 'none' | 'current' | 'stale' }
  | { kind: 'delete', key: string, guard: 'none' | 'current' | 'stale' }
  | { kind: 'compact', fraction: number }

const key = fc.constantFrom(...KEYS)
const value = fc.string({ maxLength: 8 })
const guard = fc.constantFrom('none' as const, 'current' as const, 'stale' as const)
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), key, value }),
  fc.record({ kind: fc.constant('update' as const), key, value, guard }),
  fc.record({ kind: fc.constant('delete' as const), key, guard }),
  fc.record({ kind: fc.constant('compact' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) })
)

/** What a watcher must see: [type, key, value, prev value]. */
type Hist = [string, string, string, string | undefined]

/**
 * Revisions are compared relative to the store's revision when a run starts (`base`): a shared etcd has
 * history from earlier runs, and compaction targets are absolute.
 */
async function checkAgainstModel (open: () => Promise<Store>, numRuns: number): Promise<void> {
  await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 40 }), async ops => {
    const store = await open()
    const ac = new AbortController()
    try {
      const base = await store.revision()
      const model = new Map<string, StoreEntry>()
      const snapshots = new Map<number, Map<string, StoreEntry>>([[base, new Map()]])
      const history: Hist[] = []
      let rev = base
      let compacted = await store.compactedRevision()
      // Start the watch and wait until the backend has registered it: a compaction racing an etcd watch
      // that is not registered yet legitimately fails it with STORE_COMPACTED.
      let established!: () => void
      const registered = new Promise<void>(resolve => { established = resolve })
      const watch = store.watch('/m/', { afterRevision: base, signal: ac.signal, onEstablished: () => { established() } })[Symbol.asyncIterator]()
      const firstEvent = watch.next()
      const early = firstEvent.then(() => { throw new Error('an event arrived before any write') })
      early.catch(() => {}) // only the race below reads it; once writes start, the first event is expected
      await Promise.race([registered, early])

      for (const o of ops) {
        const cur = o.kind !== 'compact' ? model.get(o.key) : undefined
        const expected = (g: 'none' | 'current' | 'stale'): number | undefined =>
          g === 'none' ? undefined : g === 'current' ? (cur?.modRevision ?? 1) : (cur?.modRevision ?? 1) + 1_000
        let result: StoreEntry | undefined
        let code: string | undefined
        try {
          if (o.kind === 'create') result = await store.create(o.key, o.value)
          else if (o.kind === 'update') result = await store.update(o.key, o.value, expected(o.guard))
          else if (o.kind === 'delete') result = await store.delete(o.key, expected(o.guard))
          else await store.compact(base + Math.floor((rev - base) * o.fraction))
        } catch (err) {
          code = (err as { code?: string }).code
        }

        if (o.kind === 'compact') {
          compacted = Math.max(compacted, base + Math.floor((rev - base) * o.fraction))
          expect(code).toBeUndefined()
          expect(await store.compactedRevision()).toBe(compacted)
        } else if (o.kind === 'create' && cur !== undefined) {
          expect(code).toBe('STORE_KEY_EXISTS')
        } else if (o.kind !== 'create' && cur === undefined) {
          expect(code).toBe('STORE_NOT_FOUND')
        } else if (o.kind !== 'create' && o.guard === 'stale') {
          expect(code).toBe('STORE_CONFLICT')
        } else {
          expect(code).toBeUndefined()
          rev++
          expect(result?.modRevision).toBe(rev)
          if (o.kind === 'create') {
            model.set(o.key, { key: o.key, value: o.value, modRevision: rev, createRevision: rev })
            history.push(['create', o.key, o.value, undefined])
          } else if (o.kind === 'update' && cur !== undefined) {
            model.set(o.key, { key: o.key, value: o.value, modRevision: rev, createRevision: cur.createRevision })
            history.push(['update', o.key, o.value, cur.value])
          } else if (cur !== undefined) {
            model.delete(o.key)
            history.push(['delete', o.key, cur.value, cur.value])
          }
          snapshots.set(rev, new Map(model))
        }

        expect(await store.revision()).toBe(rev)
        for (const k of KEYS) expect(await store.get(k)).toEqual(model.get(k))
        const sorted = [...model.values()].sort((x, y) => x.key < y.key ? -1 : 1)
        expect((await store.list('/m/')).entries).toEqual(sorted)
        expect((await store.list('/m/a')).entries).toEqual(sorted.filter(e => e.key.startsWith('/m/a')))
      }

      // Every revision inside the window reads as the model did then; older ones are refused.
      for (const [at, snap] of snapshots) {
        if (at === base) continue
        const listed = store.list('/m/', { revision: at })
        if (at < compacted) await expect(listed).rejects.toMatchObject({ code: 'STORE_COMPACTED' })
        else expect((await listed).entries).toEqual([...snap.values()].sort((x, y) => x.key < y.key ? -1 : 1))
      }

      // The watcher started before the first write saw exactly the model's history, then nothing more.
      if (history.length === 0) {
        ac.abort()
        expect(await firstEvent).toMatchObject({ done: true })
        return
      }
      const first = await firstEvent
      const events = [first.value, ...await take(watch, history.length - 1)]
      expect(events.map(e => [e?.type, e?.entry.key, e?.entry.value, e?.prev?.value])).toEqual(history)
      expect(events.map(e => e?.entry.modRevision)).toEqual(history.map((_, i) => base + i + 1))
      expect(await nextWithin(watch, 5)).toBe('pending')
    } finally {
      ac.abort()
      await store.stop()
    }
  }), { numRuns })
}

const PROPERTY = 'agrees with the model on get, list, snapshots, revisions and watch history for random operation sequences'

describe('sqlite store against an in-memory model', () => {
  let run = 0
  it(PROPERTY, async () => {
    await checkAgainstModel(async () => {
      const s = sqliteStore({ dataDir: join(root, `run${run++}`), compactIntervalMs: 0 })
      await s.start()
      return s
    }, 60)
  })
})

const noEtcd = !etcdAvailable()
if (noEtcd) console.log(`etcd model test skipped: ${ETCD_BIN} is not installed`)

describe.skipIf(noEtcd)('etcd store against an in-memory model', () => {
  let server: EtcdServer | undefined
  let run = 0
  beforeAll(async () => { server = await startEtcd() })
  afterAll(async () => { await server?.stop() })

  it(PROPERTY, async () => {
    await checkAgainstModel(async () => {
      if (server === undefined) throw new Error('etcd is not running')
      const s = etcdStore({ endpoints: [server.endpoint], prefix: `/model${run++}` })
      await s.start()
      return s
    }, 15)
  })
})
