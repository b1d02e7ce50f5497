import type { KubeObject, WatchEvent } from '@edgemesh/common'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, type ResourceDefinition } from '@edgemesh/kube/machinery'
import type { StorageWatchOpts } from '@edgemesh/kube/server'
import { testCore, type TestCore } from './helpers/core.js'
import { cm, CM, NS } from './helpers/defs.js'

// Regression tests for the write/watch fast paths: shared watch decoding and serialisation, the
// namespace existence cache, and not copying bodies the caller hands over.

let core: TestCore | undefined
afterEach(async () => { await core?.close(); core = undefined })

const inDefault = { ...CM, namespace: 'default' }

async function reason (p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    if (err instanceof ApiError) return err.reason
    throw err
  }
  return 'no error'
}

/** Starts collecting `n` events; resolves once they are in and the watch is stopped. */
function take (events: AsyncIterable<WatchEvent>, n: number, ac: AbortController): Promise<WatchEvent[]> {
  return (async () => {
    const out: WatchEvent[] = []
    for await (const e of events) {
      out.push(e)
      if (out.length >= n) { ac.abort(); break }
    }
    return out
  })()
}

function cmDef (c: TestCore): ResourceDefinition {
  return c.registry.lookup('', 'v1', 'configmaps')!
}

describe('shared watch events', () => {
  it('gives shared watchers of one resource the same decoded object for each store event', async () => {
    core = await testCore()
    const rv = String(await core.store.revision())
    const ac = new AbortController()
    const opts: StorageWatchOpts = { resourceVersion: rv, signal: ac.signal, shared: true }
    const one = take(core.storage.watch(cmDef(core), 'default', opts), 2, new AbortController())
    const two = take(core.storage.watch(cmDef(core), 'default', opts), 2, new AbortController())
    await core.client.create(inDefault, cm('a'))
    await core.client.patch(inDefault, 'a', 'merge', { data: { a: '2' } })
    const [a, b] = await Promise.all([one, two])
    expect(a.map(e => e.type)).toEqual(['ADDED', 'MODIFIED'])
    expect(a[0]!.object).toBe(b[0]!.object)
    expect(a[1]!.object).toBe(b[1]!.object)
    ac.abort()
  })

  it('gives in-process watchers their own copy, so mutating it leaves shared watchers alone', async () => {
    core = await testCore()
    const rv = String(await core.store.revision())
    const shared = take(core.storage.watch(cmDef(core), 'default', { resourceVersion: rv, signal: new AbortController().signal, shared: true }), 1, new AbortController())
    const lac = new AbortController()
    const local = take(core.client.watch(inDefault, { resourceVersion: rv, signal: lac.signal }), 1, lac)
    await core.client.create(inDefault, cm('a', { app: 'web' }))
    const [s, l] = await Promise.all([shared, local])
    expect(l[0]!.object).not.toBe(s[0]!.object)
    const first = l[0]!
    if (first.type === 'ERROR') throw new Error(`watch failed: ${first.object.message ?? ''}`)
    first.object.metadata.labels!.app = 'changed'
    expect(s[0]!.object.metadata.labels).toEqual({ app: 'web' })
  })

  it('applies each shared watcher\'s own label selector to the same events', async () => {
    core = await testCore()
    const a = await core.client.create(inDefault, cm('a', { app: 'x' }))
    const rv = a.metadata.resourceVersion
    const watchX = take(core.storage.watch(cmDef(core), 'default', { resourceVersion: rv, labelSelector: 'app=x', signal: new AbortController().signal, shared: true }), 1, new AbortController())
    const watchY = take(core.storage.watch(cmDef(core), 'default', { resourceVersion: rv, labelSelector: 'app=y', signal: new AbortController().signal, shared: true }), 1, new AbortController())
    await core.client.patch(inDefault, 'a', 'merge', { metadata: { labels: { app: 'y' } } })
    const [x, y] = await Promise.all([watchX, watchY])
    expect(x.map(e => e.type)).toEqual(['DELETED'])
    expect(y.map(e => e.type)).toEqual(['ADDED'])
    expect(x[0]!.object).toBe(y[0]!.object)
  })

  it('serialises a watch event exactly as JSON.stringify of { type, object }', async () => {
    core = await testCore()
    const obj = await core.client.create(inDefault, cm('a', { app: 'web' }, { k: 'quote " and \\u2028 \u2028' }))
    for (const type of ['ADDED', 'MODIFIED', 'DELETED'] as const) {
      expect(core.storage.watchEventJson({ type, object: obj })).toBe(JSON.stringify({ type, object: obj }))
    }
    const bookmark: WatchEvent = { type: 'BOOKMARK', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: '7' } } }
    expect(core.storage.watchEventJson(bookmark)).toBe(JSON.stringify(bookmark))
  })
})

describe('shared store watches', () => {
  it('serves shared watchers of one prefix from a single store watch', async () => {
    core = await testCore()
    const watch = vi.spyOn(core.store, 'watch')
    const rv = String(await core.store.revision())
    const acs = [new AbortController(), new AbortController(), new AbortController()]
    const runs = acs.map(ac => take(core!.storage.watch(cmDef(core!), 'default', { resourceVersion: rv, signal: ac.signal, shared: true }), 1, ac))
    await new Promise(resolve => setTimeout(resolve, 20))
    await core.client.create(inDefault, cm('a'))
    const got = await Promise.all(runs)
    expect(got.map(evs => evs.map(e => `${e.type}:${e.object.metadata.name}`))).toEqual([['ADDED:a'], ['ADDED:a'], ['ADDED:a']])
    expect(watch).toHaveBeenCalledTimes(1)
  })

  it('gives a shared watcher that starts behind the running feed every event since its revision', async () => {
    core = await testCore()
    const rv = String(await core.store.revision())
    const first = new AbortController()
    const early = take(core.storage.watch(cmDef(core), 'default', { resourceVersion: rv, signal: first.signal, shared: true }), 2, first)
    await core.client.create(inDefault, cm('a'))
    await new Promise(resolve => setTimeout(resolve, 20))
    const second = new AbortController()
    const late = take(core.storage.watch(cmDef(core), 'default', { resourceVersion: rv, signal: second.signal, shared: true }), 2, second)
    await core.client.create(inDefault, cm('b'))
    expect((await late).map(e => `${e.type}:${e.object.metadata.name}`)).toEqual(['ADDED:a', 'ADDED:b'])
    expect((await early).map(e => `${e.type}:${e.object.metadata.name}`)).toEqual(['ADDED:a', 'ADDED:b'])
  })

  it('ends a shared watch from a compacted revision with an ERROR 410 event', async () => {
    core = await testCore()
    const a = await core.client.create(inDefault, cm('a'))
    await core.client.patch(inDefault, 'a', 'merge', { data: { a: '2' } })
    await core.store.compact(await core.store.revision())
    const ac = new AbortController()
    const evs = await take(core.storage.watch(cmDef(core), 'default', { resourceVersion: String(Number(a.metadata.resourceVersion) - 1), signal: ac.signal, shared: true }), 1, ac)
    expect(evs[0]!.type).toBe('ERROR')
    expect((evs[0]!.object as unknown as { code: number }).code).toBe(410)
  })

  it('cuts off a shared watcher that stops reading while the others keep receiving', async () => {
    core = await testCore({ watchQueueLimit: 3 })
    const rv = String(await core.store.revision())
    const stuckAc = new AbortController()
    const stuck = core.storage.watch(cmDef(core), 'default', { resourceVersion: rv, signal: stuckAc.signal, shared: true })
    const first = stuck.next() // starts the watch; nothing more is read until the end
    const readerAc = new AbortController()
    const reader = take(core.storage.watch(cmDef(core), 'default', { resourceVersion: rv, signal: readerAc.signal, shared: true }), 6, readerAc)
    for (let i = 0; i < 6; i++) {
      await core.client.create(inDefault, cm(`c${i}`))
      await new Promise(resolve => setTimeout(resolve, 5))
    }
    expect((await reader).map(e => e.object.metadata.name)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5'])
    const seen: string[] = [(await first).value!.type]
    for await (const ev of stuck) seen.push(ev.type)
    expect(seen.at(-1)).toBe('ERROR')
    expect(seen.length).toBeLessThan(6)
    stuckAc.abort()
  })
})

describe('namespace existence cache', () => {
  it('reads a namespace once for back-to-back creates in it', async () => {
    core = await testCore({ namespaceCacheMs: 60_000 })
    await core.client.create(NS, { metadata: { name: 'team' } })
    const get = vi.spyOn(core.store, 'get')
    await core.client.create({ ...CM, namespace: 'team' }, cm('a'))
    await core.client.create({ ...CM, namespace: 'team' }, cm('b'))
    expect(get.mock.calls.filter(([key]) => key === '/registry/core/namespaces/team')).toHaveLength(1)
  })

  it('refuses creates in a namespace that became terminating after a create was allowed there', async () => {
    core = await testCore({ namespaceCacheMs: 60_000 })
    await core.client.create(NS, { metadata: { name: 'term', finalizers: ['kubernetes'] } })
    await core.client.create({ ...CM, namespace: 'term' }, cm('a'))
    await core.client.delete(NS, 'term')
    expect(await reason(core.client.create({ ...CM, namespace: 'term' }, cm('b')))).toBe('Forbidden')
  })

  it('refuses creates in a namespace that was removed after a create was allowed there', async () => {
    core = await testCore({ namespaceCacheMs: 60_000 })
    await core.client.create(NS, { metadata: { name: 'gone' } })
    await core.client.create({ ...CM, namespace: 'gone' }, cm('a'))
    await core.client.delete(NS, 'gone')
    expect(await reason(core.client.create({ ...CM, namespace: 'gone' }, cm('b')))).toBe('NotFound')
  })

  it('sees a namespace changed directly in the store at once when the cache is off', async () => {
    core = await testCore({ namespaceCacheMs: 0 })
    await core.client.create(NS, { metadata: { name: 'other' } })
    await core.client.create({ ...CM, namespace: 'other' }, cm('a'))
    // Another cloudcore on the same backend marks it terminating.
    const entry = (await core.store.get('/registry/core/namespaces/other'))!
    const ns = JSON.parse(entry.value) as KubeObject
    ns.metadata.deletionTimestamp = '2026-01-01T00:00:00Z'
    await core.store.update(entry.key, JSON.stringify(ns), entry.modRevision)
    expect(await reason(core.client.create({ ...CM, namespace: 'other' }, cm('b')))).toBe('Forbidden')
  })
})

describe('request bodies', () => {
  it('leaves the caller\'s object untouched on in-process create and update', async () => {
    core = await testCore()
    const body = cm('a')
    const before = structuredClone(body)
    const created = await core.client.create(inDefault, body)
    expect(body).toEqual(before)
    const next = { ...created, data: { a: '2' } }
    const snapshot = structuredClone(next)
    await core.client.update(inDefault, next)
    expect(next).toEqual(snapshot)
  })

  it('retries an unconditional update after a conflict with the request as sent', async () => {
    core = await testCore()
    // A strategy that is not idempotent shows whether a retry starts from the request again.
    const def: ResourceDefinition = {
      ...cmDef(core),
      prepareForUpdate: (obj) => { obj.metadata.annotations = { ...obj.metadata.annotations, seen: `${obj.metadata.annotations?.seen ?? ''}x` } }
    }
    await core.storage.create(def, 'default', cm('a'))
    const realUpdate = core.store.update.bind(core.store)
    let raced = false
    vi.spyOn(core.store, 'update').mockImplementation(async (key, value, expected) => {
      if (!raced) {
        raced = true
        const cur = (await core!.store.get(key))!
        await realUpdate(key, cur.value, cur.modRevision)
      }
      return await realUpdate(key, value, expected)
    })
    const out = await core.storage.update(def, 'default', 'a', { metadata: { name: 'a' }, data: { a: '3' } }, { bodyOwned: true })
    expect(raced).toBe(true)
    expect(out.data).toEqual({ a: '3' })
    expect(out.metadata.annotations).toEqual({ seen: 'x' })
  })
})
