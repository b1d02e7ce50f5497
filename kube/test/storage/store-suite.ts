import { afterEach, describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import type { Store, StoreEvent } from '../../src/storage/index.js'

export interface StoreSuiteOptions {
  /** Parallel writers in the optimistic-concurrency test. @default 200 */
  writers?: number
}

/** Reads `n` events from a watch, failing after `timeoutMs`. */
export async function take (it: AsyncIterator<StoreEvent>, n: number, timeoutMs = 5_000): Promise<StoreEvent[]> {
  const out: StoreEvent[] = []
  const deadline = Date.now() + timeoutMs
  while (out.length < n) {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`timed out after ${out.length}/${n} events`)) }, Math.max(1, deadline - Date.now()))
    })
    try {
      const r = await Promise.race([it.next(), timeout])
      if (r.done === true) throw new Error(`watch ended after ${out.length}/${n} events`)
      out.push(r.value)
    } finally {
      clearTimeout(timer)
    }
  }
  return out
}

/** Resolves with whatever `it.next()` does within `ms`, or 'pending'. */
export async function nextWithin (it: AsyncIterator<StoreEvent>, ms: number): Promise<IteratorResult<StoreEvent> | 'pending'> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([it.next(), new Promise<'pending'>(resolve => { timer = setTimeout(() => { resolve('pending') }, ms) })])
  } finally {
    clearTimeout(timer)
  }
}

function summary (events: StoreEvent[]): Array<[string, string, string, string | undefined]> {
  return events.map(e => [e.type, e.entry.key, e.entry.value, e.prev?.value])
}

/**
 * The Store contract, run against every backend. `factory` returns a started, empty-looking store
 * (a fresh database, or a fresh key prefix on a shared etcd); revisions are not assumed to start at 0.
 */
export function runStoreSuite (name: string, factory: () => Promise<Store>, opts: StoreSuiteOptions = {}): void {
  describe(`Store conformance: ${name}`, () => {
    const opened: Store[] = []
    const open = async (): Promise<Store> => {
      const s = await factory()
      opened.push(s)
      return s
    }
    afterEach(async () => {
      await Promise.all(opened.splice(0).map(async s => { await s.stop() }))
    })

    it('creates a key and reads it back with equal create and mod revisions', async () => {
      const s = await open()
      const e = await s.create('/r/pods/a', '{"v":1}')
      expect(e.modRevision).toBe(e.createRevision)
      expect(await s.get('/r/pods/a')).toEqual(e)
      expect(await s.get('/r/pods/missing')).toBeUndefined()
    })

    it('rejects creating an existing key with STORE_KEY_EXISTS', async () => {
      const s = await open()
      await s.create('/r/a', '1')
      await expect(s.create('/r/a', '2')).rejects.toMatchObject({ code: 'STORE_KEY_EXISTS' })
      expect((await s.get('/r/a'))?.value).toBe('1')
    })

    it('rejects updating or deleting a missing key with STORE_NOT_FOUND', async () => {
      const s = await open()
      await expect(s.update('/r/nope', 'x')).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' })
      await expect(s.update('/r/nope', 'x', 5)).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' })
      await expect(s.delete('/r/nope')).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' })
    })

    it('updates a key keeping its create revision and giving it a new mod revision', async () => {
      const s = await open()
      const c = await s.create('/r/a', '1')
      const u = await s.update('/r/a', '2')
      expect(u).toEqual({ key: '/r/a', value: '2', createRevision: c.createRevision, modRevision: u.modRevision })
      expect(u.modRevision).toBeGreaterThan(c.modRevision)
      expect(await s.get('/r/a')).toEqual(u)
    })

    it('rejects an update or delete with a stale expected revision with STORE_CONFLICT', async () => {
      const s = await open()
      const c = await s.create('/r/a', '1')
      const u = await s.update('/r/a', '2', c.modRevision)
      await expect(s.update('/r/a', '3', c.modRevision)).rejects.toMatchObject({ code: 'STORE_CONFLICT' })
      await expect(s.delete('/r/a', c.modRevision)).rejects.toMatchObject({ code: 'STORE_CONFLICT' })
      expect(await s.get('/r/a')).toEqual(u)
    })

    it('deletes a key returning its last value at the delete revision', async () => {
      const s = await open()
      const c = await s.create('/r/a', 'last')
      const d = await s.delete('/r/a', c.modRevision)
      expect(d).toMatchObject({ key: '/r/a', value: 'last', createRevision: c.createRevision })
      expect(d.modRevision).toBeGreaterThan(c.modRevision)
      expect(await s.get('/r/a')).toBeUndefined()
      expect(await s.revision()).toBe(d.modRevision)
    })

    it('recreates a deleted key with a new create revision', async () => {
      const s = await open()
      await s.create('/r/a', '1')
      await s.delete('/r/a')
      const again = await s.create('/r/a', '2')
      expect(again.createRevision).toBe(again.modRevision)
      expect((await s.get('/r/a'))?.value).toBe('2')
    })

    it('gives every write a strictly increasing revision across keys', async () => {
      const s = await open()
      const revs: number[] = []
      revs.push((await s.create('/r/a', '1')).modRevision)
      revs.push((await s.create('/r/b', '1')).modRevision)
      revs.push((await s.update('/r/a', '2')).modRevision)
      revs.push((await s.delete('/r/b')).modRevision)
      revs.push((await s.create('/r/c', '1')).modRevision)
      for (let i = 1; i < revs.length; i++) expect(revs[i]).toBeGreaterThan(revs[i - 1] as number)
      expect(await s.revision()).toBe(revs.at(-1))
    })

    it('lists keys under a prefix sorted by key without keys that merely share characters', async () => {
      const s = await open()
      for (const k of ['/a/c', '/ab', '/a/a', '/b/x', '/a/b', '/a']) await s.create(k, k)
      const r = await s.list('/a/')
      expect(r.entries.map(e => e.key)).toEqual(['/a/a', '/a/b', '/a/c'])
      expect(r.more).toBe(false)
      expect(r.revision).toBe(await s.revision())
    })

    it('pages through a list with limit and startAfter at one snapshot revision', async () => {
      const s = await open()
      for (let i = 0; i < 7; i++) await s.create(`/p/k${i}`, String(i))
      const p1 = await s.list('/p/', { limit: 3 })
      expect(p1.entries.map(e => e.value)).toEqual(['0', '1', '2'])
      expect(p1.more).toBe(true)
      await s.create('/p/k0a', 'late') // must not appear in the snapshot pages
      const p2 = await s.list('/p/', { limit: 3, startAfter: p1.entries.at(-1)?.key, revision: p1.revision })
      expect(p2.entries.map(e => e.value)).toEqual(['3', '4', '5'])
      expect(p2.more).toBe(true)
      const p3 = await s.list('/p/', { limit: 3, startAfter: p2.entries.at(-1)?.key, revision: p1.revision })
      expect(p3.entries.map(e => e.value)).toEqual(['6'])
      expect(p3.more).toBe(false)
      expect(p3.revision).toBe(p1.revision)
    })

    it('lists the state as of an older revision', async () => {
      const s = await open()
      await s.create('/s/a', 'a1')
      await s.create('/s/b', 'b1')
      const snap = await s.revision()
      await s.update('/s/a', 'a2')
      await s.delete('/s/b')
      await s.create('/s/c', 'c1')
      const old = await s.list('/s/', { revision: snap })
      expect(old.entries.map(e => [e.key, e.value])).toEqual([['/s/a', 'a1'], ['/s/b', 'b1']])
      expect(old.revision).toBe(snap)
      const now = await s.list('/s/')
      expect(now.entries.map(e => [e.key, e.value])).toEqual([['/s/a', 'a2'], ['/s/c', 'c1']])
    })

    it('lists a revision newer than the store as the latest state', async () => {
      const s = await open()
      await s.create('/f/a', '1')
      const now = await s.revision()
      const r = await s.list('/f/', { revision: now + 1_000 })
      expect(r.entries.map(e => e.value)).toEqual(['1'])
      expect(r.revision).toBe(now)
    })

    it('replays history from a past revision then delivers live events in order with prev values', async () => {
      const s = await open()
      const start = await s.revision()
      await s.create('/w/a', 'a1')
      await s.update('/w/a', 'a2')
      await s.create('/w/b', 'b1')
      await s.delete('/w/a')
      const ac = new AbortController()
      const it = s.watch('/w/', { afterRevision: start, signal: ac.signal })[Symbol.asyncIterator]()
      const replay = await take(it, 4)
      expect(summary(replay)).toEqual([
        ['create', '/w/a', 'a1', undefined],
        ['update', '/w/a', 'a2', 'a1'],
        ['create', '/w/b', 'b1', undefined],
        ['delete', '/w/a', 'a2', 'a2']
      ])
      const live = take(it, 3)
      await s.update('/w/b', 'b2')
      await s.create('/w/a', 'a3')
      await s.delete('/w/b')
      const liveEvents = await live
      expect(summary(liveEvents)).toEqual([
        ['update', '/w/b', 'b2', 'b1'],
        ['create', '/w/a', 'a3', undefined],
        ['delete', '/w/b', 'b2', 'b2']
      ])
      const revs = [...replay, ...liveEvents].map(e => e.entry.modRevision)
      for (let i = 1; i < revs.length; i++) expect(revs[i]).toBeGreaterThan(revs[i - 1] as number)
      expect(liveEvents.at(-1)?.entry.modRevision).toBe(await s.revision())
      ac.abort()
    })

    it('loses no events written while a watch switches from replay to live', async () => {
      const s = await open()
      const start = await s.revision()
      for (let i = 0; i < 20; i++) await s.create(`/seam/k${i}`, String(i))
      const ac = new AbortController()
      const it = s.watch('/seam/', { afterRevision: start, signal: ac.signal })[Symbol.asyncIterator]()
      const first = it.next()
      const writes = (async () => { for (let i = 20; i < 40; i++) await s.create(`/seam/k${i}`, String(i)) })()
      const rest = take(it, 39)
      const events = [(await first).value as StoreEvent, ...await rest]
      await writes
      expect(events.map(e => e.entry.value)).toEqual(Array.from({ length: 40 }, (_, i) => String(i)))
      ac.abort()
    })

    it('does not deliver events of keys that only share characters with the watched prefix', async () => {
      const s = await open()
      const start = await s.revision()
      const ac = new AbortController()
      const it = s.watch('/a/', { afterRevision: start, signal: ac.signal })[Symbol.asyncIterator]()
      await s.create('/ab', 'no')
      await s.create('/a', 'no')
      await s.create('/a/x', 'yes')
      const [ev] = await take(it, 1)
      expect(ev?.entry.key).toBe('/a/x')
      expect(await nextWithin(it, 200)).toBe('pending')
      ac.abort()
    })

    it('ends a watch when its signal aborts', async () => {
      const s = await open()
      const ac = new AbortController()
      const it = s.watch('/x/', { afterRevision: await s.revision(), signal: ac.signal })[Symbol.asyncIterator]()
      const pending = it.next()
      setTimeout(() => { ac.abort() }, 50)
      expect(await pending).toMatchObject({ done: true })
      await s.create('/x/late', '1')
      expect(await it.next()).toMatchObject({ done: true })
    })

    it('rejects a watch and a list older than the compacted revision with STORE_COMPACTED', async () => {
      const s = await open()
      const before = await s.revision()
      const first = await s.create('/c/a', '1')
      await s.update('/c/a', '2')
      await s.update('/c/a', '3')
      const target = await s.revision()
      await s.compact(target)
      expect(await s.compactedRevision()).toBe(target)
      const it = s.watch('/c/', { afterRevision: before, signal: new AbortController().signal })[Symbol.asyncIterator]()
      const err = await it.next().then(() => undefined, (e: unknown) => e)
      expect(hasCode(err, 'STORE_COMPACTED')).toBe(true)
      expect(err).toMatchObject({ compactedRevision: target })
      await expect(s.list('/c/', { revision: first.modRevision })).rejects.toMatchObject({ code: 'STORE_COMPACTED' })
    })

    it('keeps the latest value of every live key readable after compaction', async () => {
      const s = await open()
      const keep = await s.create('/k/old', 'untouched')
      for (let i = 0; i < 10; i++) await s.create(`/k/n${i}`, String(i))
      for (let i = 0; i < 10; i++) await s.update(`/k/n${i}`, `${i}b`)
      await s.delete('/k/n0')
      const at = await s.revision()
      await s.compact(at)
      expect(await s.get('/k/old')).toEqual(keep)
      const l = await s.list('/k/', { revision: at })
      expect(l.entries.map(e => e.value)).toEqual(['1b', '2b', '3b', '4b', '5b', '6b', '7b', '8b', '9b', 'untouched'])
      const ac = new AbortController()
      const it = s.watch('/k/', { afterRevision: at, signal: ac.signal })[Symbol.asyncIterator]()
      await s.update('/k/n1', '1c')
      expect(summary(await take(it, 1))).toEqual([['update', '/k/n1', '1c', '1b']])
      ac.abort()
    })

    it(`counts right with ${opts.writers ?? 200} parallel writers retrying on conflict`, async () => {
      const s = await open()
      await s.create('/counter', '0')
      const writers = opts.writers ?? 200
      const increment = async (): Promise<number> => {
        for (let attempt = 0; ; attempt++) {
          const cur = await s.get('/counter')
          if (cur === undefined) throw new Error('counter vanished')
          try {
            await s.update('/counter', String(Number(cur.value) + 1), cur.modRevision)
            return attempt
          } catch (err) {
            if (!hasCode(err, 'STORE_CONFLICT')) throw err
            // Jittered exponential backoff, or the losers of every round collide again in the next one.
            await new Promise(resolve => setTimeout(resolve, Math.random() * 2 ** Math.min(attempt, 4)))
          }
        }
      }
      const attempts = await Promise.all(Array.from({ length: writers }, increment))
      expect((await s.get('/counter'))?.value).toBe(String(writers))
      // The test is only meaningful if writers actually raced.
      expect(attempts.some(a => a > 0)).toBe(true)
    })

    it('ends active watches with STORE_CLOSED and rejects calls once stopped', async () => {
      const s = await open()
      const it = s.watch('/z/', { afterRevision: await s.revision(), signal: new AbortController().signal })[Symbol.asyncIterator]()
      const pending = it.next().then(() => undefined, (e: unknown) => e)
      await new Promise(resolve => setTimeout(resolve, 50))
      await s.stop()
      await s.stop()
      expect(hasCode(await pending, 'STORE_CLOSED')).toBe(true)
      await expect(s.get('/z/a')).rejects.toMatchObject({ code: 'STORE_CLOSED' })
      await expect(s.create('/z/a', '1')).rejects.toMatchObject({ code: 'STORE_CLOSED' })
    })
  })
}
