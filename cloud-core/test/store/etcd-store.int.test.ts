import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Store } from '@edgemesh/kube/storage'
import { etcdStore } from '../../src/store/index.js'
import { etcdAvailable, ETCD_BIN, startEtcd, type EtcdServer } from './etcd-server.js'
import { runStoreSuite, take } from '@edgemesh/kube/testing'

const skip = !etcdAvailable()
if (skip) console.log(`etcd-store tests skipped: ${ETCD_BIN} is not installed (scripts/ensure-deps.sh installs etcd-server)`)

let server: EtcdServer | undefined
let n = 0
beforeAll(async () => { if (!skip) server = await startEtcd() })
afterAll(async () => { await server?.stop() })

async function fresh (): Promise<Store> {
  if (server === undefined) throw new Error('etcd is not running')
  // A fresh prefix per test: tests share one etcd, so they never assume revisions start at 0.
  const s = etcdStore({ endpoints: [server.endpoint], prefix: `/t${process.pid}-${n++}` })
  await s.start()
  return s
}

describe.skipIf(skip)('etcd backend', () => {
  // Optimistic retries cost O(writers²) round trips; 50 keep the etcd run to about a second.
  runStoreSuite('etcd', fresh, { writers: 50 })

  describe('etcdStore', () => {
    it('fails to start with STORE_UNAVAILABLE when etcd cannot be reached', async () => {
      const s = etcdStore({ endpoints: ['http://127.0.0.1:1'], dialTimeoutMs: 500, callTimeoutMs: 1_000 })
      await expect(s.start()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    })

    it('maps a vanished etcd to STORE_UNAVAILABLE and keeps a watch going without gaps after it returns', async () => {
      const own = await startEtcd()
      const s = etcdStore({ endpoints: [own.endpoint], callTimeoutMs: 1_000 })
      const ac = new AbortController()
      try {
        await s.start()
        const it = s.watch('/r/', { afterRevision: await s.revision(), signal: ac.signal })[Symbol.asyncIterator]()
        const first = it.next()
        await s.create('/r/a', '1')
        expect((await first).value?.entry.value).toBe('1')
        await own.kill()
        await expect(s.get('/r/a')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
        await own.restart()
        // The client reconnects on its own backoff; writes may need a few tries.
        const deadline = Date.now() + 15_000
        for (let i = 2; i <= 3;) {
          try {
            await s.update('/r/a', String(i))
            i++
          } catch (err) {
            if (Date.now() > deadline) throw err
            await new Promise(resolve => setTimeout(resolve, 200))
          }
        }
        const events = await take(it, 2, 15_000)
        expect(events.map(e => [e.type, e.entry.value, e.prev?.value])).toEqual([['update', '2', '1'], ['update', '3', '2']])
      } finally {
        ac.abort()
        await s.stop()
        await own.stop()
      }
    })

    it('ends a watcher that falls behind its buffer with STORE_WATCH_OVERFLOW', async () => {
      if (server === undefined) throw new Error('etcd is not running')
      const s = etcdStore({ endpoints: [server.endpoint], prefix: `/t${process.pid}-${n++}`, watchBufferSize: 5 })
      const ac = new AbortController()
      try {
        await s.start()
        const it = s.watch('/o/', { afterRevision: await s.revision(), signal: ac.signal })[Symbol.asyncIterator]()
        const first = it.next()
        await s.create('/o/0', '0')
        expect((await first).value?.entry.key).toBe('/o/0')
        for (let i = 1; i <= 20; i++) await s.create(`/o/${i}`, String(i))
        await new Promise(resolve => setTimeout(resolve, 200))
        await expect(it.next()).rejects.toMatchObject({ code: 'STORE_WATCH_OVERFLOW' })
      } finally {
        ac.abort()
        await s.stop()
      }
    })

    it('keeps stores with different prefixes apart on one etcd', async () => {
      const a = await fresh()
      const b = await fresh()
      try {
        await a.create('/x', 'a')
        expect(await b.get('/x')).toBeUndefined()
        await b.create('/x', 'b')
        expect((await a.list('')).entries.map(e => e.value)).toEqual(['a'])
      } finally {
        await a.stop()
        await b.stop()
      }
    })
  })
})
