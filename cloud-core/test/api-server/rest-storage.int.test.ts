import { hasCode, type KubeObject, type WatchEvent } from '@edgemesh/common'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ApiError } from '@edgemesh/kube/machinery'
import { cm, CM, DEPLOY, NODES, NS, PODS } from './helpers/defs.js'
import { testCore, type TestCore } from './helpers/core.js'

let core: TestCore
beforeEach(async () => { core = await testCore({ bookmarkIntervalMs: 100 }) })
afterEach(async () => { await core.close() })

const inDefault = { ...CM, namespace: 'default' }

async function expectApiError (p: Promise<unknown>, reason: string): Promise<ApiError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).reason).toBe(reason)
    return err as ApiError
  }
  throw new Error(`expected ${reason}`)
}

async function collect (it: AsyncIterable<WatchEvent>, n: number, ac: AbortController): Promise<WatchEvent[]> {
  const out: WatchEvent[] = []
  for await (const e of it) {
    out.push(e)
    if (out.length >= n) { ac.abort(); break }
  }
  return out
}

describe('rest storage', () => {
  it('creates an object with uid, creationTimestamp and resourceVersion = store revision', async () => {
    const obj = await core.client.create(inDefault, cm('a'))
    expect(obj.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(obj.metadata.creationTimestamp).toMatch(/Z$/)
    expect(obj.metadata.resourceVersion).toBe(String(await core.store.revision()))
    expect((await core.client.get(inDefault, 'a')).metadata.uid).toBe(obj.metadata.uid)
  })

  it('stores keys under /registry/<group>/<resource>/<ns>/<name>', async () => {
    await core.client.create(inDefault, cm('a'))
    await core.client.create({ ...DEPLOY, namespace: 'default' }, { metadata: { name: 'd' }, spec: { replicas: 1 } })
    expect(await core.store.get('/registry/core/configmaps/default/a')).toBeDefined()
    expect(await core.store.get('/registry/apps/deployments/default/d')).toBeDefined()
    expect(await core.store.get('/registry/core/namespaces/kube-system')).toBeDefined()
  })

  it('rejects a second create of the same name with AlreadyExists', async () => {
    await core.client.create(inDefault, cm('a'))
    await expectApiError(core.client.create(inDefault, cm('a')), 'AlreadyExists')
  })

  it('generates a name from generateName with five random characters', async () => {
    const obj = await core.client.create<KubeObject>(inDefault, { metadata: { generateName: 'web-' }, data: {} })
    expect(obj.metadata.name).toMatch(/^web-[a-z0-9]{5}$/)
  })

  it('rejects names with path traversal as Invalid without writing', async () => {
    const before = await core.store.revision()
    for (const name of ['../etc', 'a/b', 'a%2f', 'Upper']) {
      await expectApiError(core.client.create(inDefault, cm(name)), 'Invalid')
    }
    expect(await core.store.revision()).toBe(before)
  })

  it('rejects metadata of the wrong shape as Invalid without writing', async () => {
    const before = await core.store.revision()
    for (const metadata of [{ name: 'a', finalizers: 'x' }, { name: 'a', labels: { n: 1 } }, { name: 'a', labels: { 'bad key!': 'v' } }, { name: 'a', ownerReferences: ['x'] }, { name: 5 }]) {
      await expectApiError(core.client.create(inDefault, { metadata } as unknown as KubeObject), 'Invalid')
    }
    expect(await core.store.revision()).toBe(before)
  })

  it('refuses objects in a namespace that does not exist', async () => {
    const err = await expectApiError(core.client.create({ ...CM, namespace: 'nope' }, cm('a')), 'NotFound')
    expect(err.message).toContain('namespaces "nope" not found')
  })

  it('fails an update with a stale resourceVersion with Conflict and leaves the object alone', async () => {
    const a = await core.client.create(inDefault, cm('a'))
    await core.client.update(inDefault, { ...a, data: { a: '2' } })
    await expectApiError(core.client.update(inDefault, { ...a, data: { a: '3' } }), 'Conflict')
    expect((await core.client.get(inDefault, 'a')).data).toEqual({ a: '2' })
  })

  it('applies an update without resourceVersion unconditionally', async () => {
    const a = await core.client.create(inDefault, cm('a'))
    const b = await core.client.update(inDefault, { ...a, metadata: { ...a.metadata, resourceVersion: '' }, data: { a: '9' } })
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion))
  })

  it('keeps uid and creationTimestamp immutable across updates', async () => {
    const a = await core.client.create(inDefault, cm('a'))
    await expectApiError(core.client.update(inDefault, { ...a, metadata: { ...a.metadata, uid: 'x' } }), 'Invalid')
    const b = await core.client.update(inDefault, { ...a, metadata: { ...a.metadata, creationTimestamp: '2000-01-01T00:00:00Z' } })
    expect(b.metadata.creationTimestamp).toBe(a.metadata.creationTimestamp)
  })

  it('bumps generation on spec changes only', async () => {
    const ref = { ...DEPLOY, namespace: 'default' }
    const d = await core.client.create<KubeObject>(ref, { metadata: { name: 'd' }, spec: { replicas: 1 } })
    expect(d.metadata.generation).toBe(1)
    const d2 = await core.client.update(ref, { ...d, metadata: { ...d.metadata, labels: { x: 'y' } } })
    expect(d2.metadata.generation).toBe(1)
    const d3 = await core.client.update(ref, { ...d2, spec: { replicas: 3 } })
    expect(d3.metadata.generation).toBe(2)
  })

  it('ignores status on the main endpoint and everything but status on /status', async () => {
    const ref = { ...DEPLOY, namespace: 'default' }
    const d = await core.client.create(ref, { metadata: { name: 'd' }, spec: { replicas: 1 }, status: { replicas: 7 } })
    const s = await core.client.update(ref, { ...d, spec: { replicas: 5 }, status: { replicas: 2 } }, 'status')
    expect(s.spec).toEqual({ replicas: 1 })
    expect(s.status).toEqual({ replicas: 2 })
    const m = await core.client.update(ref, { ...s, spec: { replicas: 4 }, status: { replicas: 99 } })
    expect(m.status).toEqual({ replicas: 2 })
    expect(m.spec).toEqual({ replicas: 4 })
  })

  it('updates spec.replicas through the scale subresource', async () => {
    const ref = { ...DEPLOY, namespace: 'default' }
    await core.client.create(ref, { metadata: { name: 'd' }, spec: { replicas: 1, selector: { matchLabels: { app: 'd' } } } })
    const scale = await core.client.patch(ref, 'd', 'merge', { spec: { replicas: 5 } }, { subresource: 'scale' })
    expect(scale.kind).toBe('Scale')
    expect((scale.status as { selector: string }).selector).toBe('app=d')
    expect((await core.client.get(ref, 'd')).spec).toMatchObject({ replicas: 5 })
  })

  it('reports matchExpressions in the scale subresource selector', async () => {
    const ref = { ...DEPLOY, namespace: 'default' }
    const selector = { matchLabels: { app: 'e' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'canary', operator: 'DoesNotExist' }] }
    await core.client.create(ref, { metadata: { name: 'e' }, spec: { replicas: 1, selector } })
    const scale = await core.client.update(ref, { metadata: { name: 'e' }, spec: { replicas: 3 } }, 'scale')
    expect((scale as { status?: { selector?: string } }).status?.selector).toBe('app=e,tier in (a,b),!canary')
  })

  it('patches with merge and json patch', async () => {
    await core.client.create(inDefault, cm('a', {}, { a: '1', b: '2' }))
    await core.client.patch(inDefault, 'a', 'merge', { data: { b: null, c: '3' } })
    const p = await core.client.patch(inDefault, 'a', 'json', [{ op: 'replace', path: '/data/a', value: 'x' }])
    expect(p.data).toEqual({ a: 'x', c: '3' })
  })

  it('keeps an object with finalizers until the last finalizer is removed', async () => {
    await core.client.create(inDefault, { ...cm('a'), metadata: { name: 'a', finalizers: ['x/y'] } })
    const pending = await core.client.delete(inDefault, 'a')
    expect(pending?.metadata.deletionTimestamp).toBeDefined()
    const live = await core.client.get(inDefault, 'a')
    expect(live.metadata.deletionTimestamp).toBeDefined()
    await expectApiError(core.client.update(inDefault, { ...live, metadata: { ...live.metadata, finalizers: ['x/y', 'new'] } }), 'Invalid')
    await core.client.update(inDefault, { ...live, metadata: { ...live.metadata, finalizers: [] } })
    await expectApiError(core.client.get(inDefault, 'a'), 'NotFound')
  })

  it('adds foregroundDeletion and orphan finalizers for those propagation policies', async () => {
    await core.client.create(inDefault, cm('f'))
    await core.client.create(inDefault, cm('o'))
    expect((await core.client.delete(inDefault, 'f', { propagationPolicy: 'Foreground' }))?.metadata.finalizers).toEqual(['foregroundDeletion'])
    expect((await core.client.delete(inDefault, 'o', { propagationPolicy: 'Orphan' }))?.metadata.finalizers).toEqual(['orphan'])
    expect(await core.client.delete(inDefault, 'o2', {}).catch((e: unknown) => hasCode(e, 'API_NOT_FOUND'))).toBe(true)
  })

  it('deletes immediately with Background propagation', async () => {
    await core.client.create(inDefault, cm('a'))
    expect(await core.client.delete(inDefault, 'a', { propagationPolicy: 'Background' })).toBeUndefined()
    await expectApiError(core.client.get(inDefault, 'a'), 'NotFound')
  })

  it('refuses new objects in a terminating namespace', async () => {
    await core.client.create(NS, { metadata: { name: 'term', finalizers: ['kubernetes'] } })
    await core.client.delete(NS, 'term')
    await expectApiError(core.client.create({ ...CM, namespace: 'term' }, cm('a')), 'Forbidden')
  })

  it('filters lists by label selectors of every operator', async () => {
    await core.client.create(inDefault, cm('a', { app: 'web', tier: 'fe' }))
    await core.client.create(inDefault, cm('b', { app: 'db' }))
    await core.client.create(inDefault, cm('c', {}))
    const names = async (sel: string): Promise<string[]> => (await core.client.list(inDefault, { labelSelector: sel })).items.map(i => i.metadata.name!)
    expect(await names('app=web')).toEqual(['a'])
    expect(await names('app==db')).toEqual(['b'])
    expect(await names('app!=web')).toEqual(['b', 'c'])
    expect(await names('app in (web,db)')).toEqual(['a', 'b'])
    expect(await names('app notin (web)')).toEqual(['b', 'c'])
    expect(await names('tier')).toEqual(['a'])
    expect(await names('!app')).toEqual(['c'])
    expect(await names('app,tier=fe')).toEqual(['a'])
  })

  it('filters lists by field selectors including definition fields', async () => {
    const pods = { ...PODS, namespace: 'default' }
    await core.client.create(pods, { metadata: { name: 'p1' }, spec: { nodeName: 'n1' } })
    await core.client.create(pods, { metadata: { name: 'p2' }, spec: { nodeName: 'n2' } })
    expect((await core.client.list(pods, { fieldSelector: 'spec.nodeName=n2' })).items.map(i => i.metadata.name)).toEqual(['p2'])
    expect((await core.client.list(pods, { fieldSelector: 'metadata.name!=p2' })).items.map(i => i.metadata.name)).toEqual(['p1'])
    await expectApiError(core.client.list(pods, { fieldSelector: 'spec.bogus=1' }), 'BadRequest')
  })

  it('paginates with limit and continue at one snapshot revision', async () => {
    for (let i = 0; i < 7; i++) await core.client.create(inDefault, cm(`c${i}`, { n: i % 2 === 0 ? 'even' : 'odd' }))
    const p1 = await core.client.list(inDefault, { limit: 3 })
    expect(p1.items.map(i => i.metadata.name)).toEqual(['c0', 'c1', 'c2'])
    expect(p1.metadata.continue).toBeDefined()
    await core.client.create(inDefault, cm('c9'))
    const p2 = await core.client.list(inDefault, { limit: 3, continue: p1.metadata.continue })
    const p3 = await core.client.list(inDefault, { limit: 3, continue: p2.metadata.continue })
    expect([...p2.items, ...p3.items].map(i => i.metadata.name)).toEqual(['c3', 'c4', 'c5', 'c6'])
    expect(p3.metadata.continue).toBeUndefined()
    expect(p2.metadata.resourceVersion).toBe(p1.metadata.resourceVersion)
    const even = await core.client.list(inDefault, { limit: 2, labelSelector: 'n=even' })
    expect(even.items.map(i => i.metadata.name)).toEqual(['c0', 'c2'])
  })

  it('answers a continue token older than compaction with 410 Expired', async () => {
    for (let i = 0; i < 4; i++) await core.client.create(inDefault, cm(`c${i}`))
    const p1 = await core.client.list(inDefault, { limit: 2 })
    for (let i = 0; i < 3; i++) await core.client.patch(inDefault, 'c3', 'merge', { data: { i: String(i) } })
    await core.store.compact(await core.store.revision())
    const err = await expectApiError(core.client.list(inDefault, { limit: 2, continue: p1.metadata.continue }), 'Expired')
    expect(err.httpStatus).toBe(410)
  })

  it('watches from a resourceVersion with ordered events and DELETED carrying the delete revision', async () => {
    const a = await core.client.create(inDefault, cm('a'))
    const ac = new AbortController()
    const events = collect(core.client.watch(inDefault, { resourceVersion: a.metadata.resourceVersion, signal: ac.signal }), 3, ac)
    await core.client.create(inDefault, cm('b'))
    await core.client.patch(inDefault, 'a', 'merge', { data: { a: '2' } })
    await core.client.delete(inDefault, 'b')
    const evs = await events
    expect(evs.map(e => `${e.type}:${e.object.metadata.name}`)).toEqual(['ADDED:b', 'MODIFIED:a', 'DELETED:b'])
    const rvs = evs.map(e => Number(e.object.metadata.resourceVersion))
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs)
    expect(rvs[2]).toBe(await core.store.revision())
  })

  it('starts a watch at resourceVersion 0 with synthetic ADDED events for current objects', async () => {
    await core.client.create(inDefault, cm('a'))
    await core.client.create(inDefault, cm('b'))
    const ac = new AbortController()
    const events = collect(core.client.watch(inDefault, { resourceVersion: '0', signal: ac.signal }), 3, ac)
    await new Promise(resolve => setTimeout(resolve, 50))
    await core.client.create(inDefault, cm('c'))
    expect((await events).map(e => `${e.type}:${e.object.metadata.name}`)).toEqual(['ADDED:a', 'ADDED:b', 'ADDED:c'])
  })

  it('turns label changes into ADDED and DELETED for a selector watch', async () => {
    const a = await core.client.create(inDefault, cm('a', { app: 'x' }))
    const ac = new AbortController()
    const events = collect(core.client.watch(inDefault, { resourceVersion: a.metadata.resourceVersion, labelSelector: 'app=y', signal: ac.signal }), 2, ac)
    await core.client.patch(inDefault, 'a', 'merge', { metadata: { labels: { app: 'y' } } })
    await core.client.patch(inDefault, 'a', 'merge', { metadata: { labels: { app: 'z' } } })
    expect((await events).map(e => e.type)).toEqual(['ADDED', 'DELETED'])
  })

  it('sends bookmarks when allowed', async () => {
    const a = await core.client.create(inDefault, cm('a'))
    const ac = new AbortController()
    const evs = await collect(core.client.watch(inDefault, { resourceVersion: a.metadata.resourceVersion, allowWatchBookmarks: true, signal: ac.signal }), 1, ac)
    expect(evs[0]?.type).toBe('BOOKMARK')
    expect(evs[0]?.object.metadata.resourceVersion).toBe(a.metadata.resourceVersion)
  })

  it('ends a watch from a compacted revision with an ERROR 410 event', async () => {
    const a = await core.client.create(inDefault, cm('a'))
    for (let i = 0; i < 3; i++) await core.client.patch(inDefault, 'a', 'merge', { data: { i: String(i) } })
    await core.store.compact(await core.store.revision())
    const ac = new AbortController()
    const evs: WatchEvent[] = []
    for await (const e of core.client.watch(inDefault, { resourceVersion: a.metadata.resourceVersion, signal: ac.signal })) evs.push(e)
    expect(evs).toHaveLength(1)
    expect(evs[0]?.type).toBe('ERROR')
    expect((evs[0]?.object as unknown as { code: number }).code).toBe(410)
  })

  it('cuts off a watcher that stops reading with an ERROR 410 after the queue limit', async () => {
    const small = await testCore({ watchQueueLimit: 2 })
    try {
      const ref = { ...CM, namespace: 'default' }
      const ac = new AbortController()
      const it = small.client.watch(ref, { resourceVersion: String(await small.store.revision()), signal: ac.signal })[Symbol.asyncIterator]()
      const first = it.next()
      for (let i = 0; i < 6; i++) await small.client.create(ref, cm(`q${i}`))
      const types = [(await first).value?.type]
      for (let r = await it.next(); r.done !== true; r = await it.next()) types.push(r.value.type)
      expect(types.at(-1)).toBe('ERROR')
      expect(types.length).toBeLessThan(7)
    } finally {
      await small.close()
    }
  })

  it('serves cluster-scoped kinds without a namespace segment', async () => {
    await core.client.create(NODES, { metadata: { name: 'n1', namespace: 'ignored' } } as KubeObject)
    expect(await core.store.get('/registry/core/nodes/n1')).toBeDefined()
    expect((await core.client.get(NODES, 'n1')).metadata.namespace).toBeUndefined()
  })
})
