// Informer conformance: what a @kubernetes/client-node informer (list, then watch from the list's
// resourceVersion, relist on 410, bookmarks, selectors) needs from a server that speaks the Kubernetes
// list/watch REST API. The same suite runs against cloudcore's API server and the edge meta-server, so it
// only talks HTTP through a KubeConfig and never reaches into the server under test (compaction aside).
//
// Assumption shared by both servers: resourceVersions are decimal store revisions, so "in order" is
// checked numerically. Kubernetes calls them opaque; our servers promise more.
import { CoreV1Api, ListWatch, Watch, makeInformer, type KubeConfig, type KubernetesObject, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

export interface ConformanceTarget {
  /** Where the server under test is, with credentials allowed to create namespaces, ConfigMaps and Pods. */
  kubeConfig: KubeConfig
  /**
   * Compacts the server's history up to its current revision, so every older resourceVersion is
   * expired. Without it the 410 tests are skipped with a printed reason.
   */
  compact?: () => Promise<void>
  teardown: () => Promise<void>
}

export interface InformerConformanceInit {
  /** Longest wait for a BOOKMARK; must exceed the server's bookmark interval. @default 15_000 */
  bookmarkWaitMs?: number
  /** Quiet period a watch must survive without being closed. @default 7_000 */
  quietMs?: number
  /** Longest wait for a cache or a stream to reach the expected state. @default 10_000 */
  convergeMs?: number
  /** Set when the target cannot run here (e.g. a missing binary): every test skips, printing this. @default undefined */
  skipReason?: string
}

interface SeenEvent {
  type: string
  object: KubernetesObject & { code?: number, reason?: string, status?: string }
}

type Params = Record<string, string | number | boolean | undefined>

/** A raw watch stream, recorded. */
interface LiveWatch {
  readonly events: SeenEvent[]
  ended: () => boolean
  next: (what: string, pred: (e: SeenEvent) => boolean, timeoutMs?: number) => Promise<SeenEvent>
  waitEnded: (timeoutMs: number) => Promise<void>
  abort: () => void
}

/** One watch request an informer made, with everything it received. */
interface WatchRequest {
  path: string
  params: Params
  events: SeenEvent[]
  ended: boolean
}

/** The informer's own Watch, recording each request so tests can see relists and resumes. */
class RecordingWatch extends Watch {
  readonly requests: WatchRequest[] = []

  override async watch (path: string, queryParams: Params, callback: (phase: string, apiObj: any, watchObj?: any) => void, done: (err: any) => void): Promise<AbortController> {
    const req: WatchRequest = { path, params: { ...queryParams }, events: [], ended: false }
    this.requests.push(req)
    return await super.watch(path, queryParams, (phase, obj, raw) => {
      req.events.push({ type: phase, object: obj })
      callback(phase, obj, raw)
    }, (err) => {
      req.ended = true
      done(err)
    })
  }
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function waitFor<T> (what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(25)
  }
}

function rvOf (o: KubernetesObject | undefined): bigint {
  const rv = o?.metadata?.resourceVersion
  if (rv === undefined || !/^\d+$/.test(rv)) throw new Error(`expected a numeric resourceVersion, got ${String(rv)}`)
  return BigInt(rv)
}

const nameOf = (o: KubernetesObject | undefined): string => o?.metadata?.name ?? ''

function expectIncreasing (rvs: bigint[]): void {
  for (let i = 1; i < rvs.length; i++) {
    expect(rvs[i]! > rvs[i - 1]!, `resourceVersion ${String(rvs[i])} after ${String(rvs[i - 1])}`).toBe(true)
  }
}

/** name@resourceVersion of each object, sorted: two caches agree when these do. */
const stateOf = (items: readonly KubernetesObject[]): string[] => items.map(o => `${nameOf(o)}@${o.metadata?.resourceVersion ?? ''}`).sort()

async function openWatch (kc: KubeConfig, path: string, params: Params, convergeMs: number): Promise<LiveWatch> {
  const events: SeenEvent[] = []
  let ended = false
  const ctl = await new Watch(kc).watch(path, params, (type, object) => { events.push({ type, object }) }, () => { ended = true })
  return {
    events,
    ended: () => ended,
    next: async (what, pred, timeoutMs = convergeMs) => await waitFor(what, () => events.find(pred), timeoutMs),
    waitEnded: async (timeoutMs) => { await waitFor('the watch to end', () => ended, timeoutMs) },
    abort: () => { ctl.abort() }
  }
}

/**
 * Registers the conformance tests in a `describe(name)` block. `setup` runs once before them and
 * starts the server; every test works in its own fresh namespace so streams never see each other.
 */
export function runInformerConformance (name: string, setup: () => Promise<ConformanceTarget>, init: InformerConformanceInit = {}): void {
  const bookmarkWaitMs = init.bookmarkWaitMs ?? 15_000
  const quietMs = init.quietMs ?? 7_000
  const convergeMs = init.convergeMs ?? 10_000

  if (init.skipReason !== undefined) console.log(`[${name}] informer conformance skipped: ${init.skipReason}`)
  describe.skipIf(init.skipReason !== undefined)(`informer conformance: ${name}`, () => {
    let target: ConformanceTarget | undefined
    let kc: KubeConfig
    let core: CoreV1Api
    let nsCounter = 0
    const runId = Math.random().toString(36).slice(2, 8)

    beforeAll(async () => {
      target = await setup()
      kc = target.kubeConfig
      core = kc.makeApiClient(CoreV1Api)
    }, 60_000)

    afterAll(async () => {
      await target?.teardown()
    }, 30_000)

    const freshNamespace = async (tag: string): Promise<string> => {
      const ns = `conf-${runId}-${++nsCounter}-${tag}`
      await core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } })
      return ns
    }
    const cmPath = (ns: string): string => `/api/v1/namespaces/${ns}/configmaps`
    const createCm = async (ns: string, name: string, labels?: Record<string, string>): Promise<V1ConfigMap> =>
      await core.createNamespacedConfigMap({ namespace: ns, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ...(labels !== undefined ? { labels } : {}) }, data: { v: '0' } } })
    /** Replaces with optimistic concurrency on the given version; returns the stored result. */
    const updateCm = async (cur: V1ConfigMap, change: { data?: Record<string, string>, labels?: Record<string, string> }): Promise<V1ConfigMap> =>
      await core.replaceNamespacedConfigMap({
        name: nameOf(cur),
        namespace: cur.metadata?.namespace ?? '',
        body: { ...cur, metadata: { ...cur.metadata, ...(change.labels !== undefined ? { labels: change.labels } : {}) }, data: change.data ?? { v: String(Number(cur.data?.v ?? '0') + 1) } }
      })
    const deleteCm = async (ns: string, name: string): Promise<void> => {
      await core.deleteNamespacedConfigMap({ name, namespace: ns, gracePeriodSeconds: 0 })
    }
    const listCms = async (ns: string, labelSelector?: string): Promise<V1ConfigMap[]> =>
      (await core.listNamespacedConfigMap({ namespace: ns, ...(labelSelector !== undefined ? { labelSelector } : {}) })).items
    const listRv = async (ns: string): Promise<string> => {
      const rv = (await core.listNamespacedConfigMap({ namespace: ns })).metadata?.resourceVersion
      if (rv === undefined || rv === '') throw new Error('list returned no resourceVersion')
      return rv
    }
    const waitConverged = async (what: string, cache: () => readonly KubernetesObject[], server: () => Promise<KubernetesObject[]>): Promise<void> => {
      let last: { cache: string[], server: string[] } = { cache: [], server: [] }
      try {
        await waitFor(what, async () => {
          last = { cache: stateOf(cache()), server: stateOf(await server()) }
          return JSON.stringify(last.cache) === JSON.stringify(last.server)
        }, convergeMs)
      } catch (err) {
        throw new Error(`${(err as Error).message}: cache ${JSON.stringify(last.cache)} server ${JSON.stringify(last.server)}`, { cause: err })
      }
    }

    type Handled = [verb: 'add' | 'update' | 'delete', name: string, rv: bigint]
    const recordHandlers = (inf: { on: (verb: 'add' | 'update' | 'delete', cb: (o: KubernetesObject) => void) => void }): Handled[] => {
      const seen: Handled[] = []
      for (const verb of ['add', 'update', 'delete'] as const) inf.on(verb, o => { seen.push([verb, nameOf(o), rvOf(o)]) })
      return seen
    }

    describe('list then watch', () => {
      it('an informer cache converges to the server state after creates, updates and deletes', async () => {
        const ns = await freshNamespace('converge')
        const pre0 = await createCm(ns, 'pre-0')
        await createCm(ns, 'pre-1')
        const inf = makeInformer<V1ConfigMap>(kc, cmPath(ns), async () => await core.listNamespacedConfigMap({ namespace: ns }))
        await inf.start()
        try {
          await waitConverged('the initial list', () => inf.list(ns), async () => await listCms(ns))
          const a = await createCm(ns, 'a')
          await createCm(ns, 'b')
          await updateCm(a, {})
          await updateCm(pre0, {})
          await deleteCm(ns, 'b')
          await deleteCm(ns, 'pre-1')
          await waitConverged('the cache to follow the writes', () => inf.list(ns), async () => await listCms(ns))
          expect(inf.list(ns).map(nameOf).sort()).toEqual(['a', 'pre-0'])
          expect(inf.get('a', ns)?.data?.v).toBe('1')
        } finally {
          await inf.stop()
        }
      })

      it('add, update and delete handlers fire once per change, in resourceVersion order', async () => {
        const ns = await freshNamespace('handlers')
        const pre = await createCm(ns, 'pre')
        const inf = makeInformer<V1ConfigMap>(kc, cmPath(ns), async () => await core.listNamespacedConfigMap({ namespace: ns }))
        const seen = recordHandlers(inf)
        const errors: unknown[] = []
        inf.on('error', err => { errors.push(err) })
        await inf.start()
        try {
          await waitFor('the initial add', () => seen.length >= 1, convergeMs)
          expect(seen).toEqual([['add', 'pre', rvOf(pre)]])
          const expected: Array<[Handled[0], string, bigint | undefined]> = []
          const x = await createCm(ns, 'x'); expected.push(['add', 'x', rvOf(x)])
          const y = await createCm(ns, 'y'); expected.push(['add', 'y', rvOf(y)])
          const x1 = await updateCm(x, {}); expected.push(['update', 'x', rvOf(x1)])
          const p1 = await updateCm(pre, {}); expected.push(['update', 'pre', rvOf(p1)])
          await deleteCm(ns, 'y'); expected.push(['delete', 'y', undefined])
          const x2 = await updateCm(x1, {}); expected.push(['update', 'x', rvOf(x2)])
          await deleteCm(ns, 'pre'); expected.push(['delete', 'pre', undefined])
          await waitFor('every handler call', () => seen.length >= 1 + expected.length, convergeMs)
          await sleep(300) // duplicates would arrive right behind the originals
          const after = seen.slice(1)
          expect(after.map(([v, n]) => [v, n])).toEqual(expected.map(([v, n]) => [v, n]))
          expectIncreasing(after.map(([, , rv]) => rv))
          after.forEach(([, , rv], i) => {
            const want = expected[i]![2]
            if (want !== undefined) expect(rv).toBe(want)
          })
          expect(errors).toEqual([])
        } finally {
          await inf.stop()
        }
      })

      it('an informer on pods with a spec.nodeName field selector caches only that node\'s pods', async () => {
        const ns = await freshNamespace('pods')
        const pod = async (name: string, nodeName: string): Promise<V1Pod> => await core.createNamespacedPod({
          namespace: ns,
          body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { nodeName, containers: [{ name: 'c', image: 'edgemesh/echo-server' }] } }
        })
        const selector = 'spec.nodeName=edge-a'
        await pod('early-a', 'edge-a')
        await pod('early-b', 'edge-b')
        const listPods = async (): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace: ns, fieldSelector: selector })).items
        const inf = new ListWatch<V1Pod>(`/api/v1/namespaces/${ns}/pods`, new Watch(kc), async () => await core.listNamespacedPod({ namespace: ns, fieldSelector: selector }), false, undefined, selector)
        await inf.start()
        try {
          await pod('late-a', 'edge-a')
          await pod('late-b', 'edge-b')
          await core.deleteNamespacedPod({ name: 'early-a', namespace: ns, gracePeriodSeconds: 0 })
          await waitConverged('the pod cache', () => inf.list(ns), listPods)
          expect(inf.list(ns).map(nameOf)).toEqual(['late-a'])
        } finally {
          await inf.stop()
        }
      })
    })

    describe('resume from resourceVersion', () => {
      it('a watch from a list resourceVersion sees every later change exactly once, in order', async () => {
        const ns = await freshNamespace('resume')
        const rv0 = await listRv(ns)
        const expected: Array<[string, string, bigint | undefined]> = []
        // Half the changes happen before the watch exists, half while it runs: both must come through.
        const r1 = await createCm(ns, 'r1'); expected.push(['ADDED', 'r1', rvOf(r1)])
        const r2 = await createCm(ns, 'r2'); expected.push(['ADDED', 'r2', rvOf(r2)])
        const r1b = await updateCm(r1, {}); expected.push(['MODIFIED', 'r1', rvOf(r1b)])
        const w = await openWatch(kc, cmPath(ns), { resourceVersion: rv0 }, convergeMs)
        try {
          await deleteCm(ns, 'r2'); expected.push(['DELETED', 'r2', undefined])
          const r3 = await createCm(ns, 'r3'); expected.push(['ADDED', 'r3', rvOf(r3)])
          const r3b = await updateCm(r3, {}); expected.push(['MODIFIED', 'r3', rvOf(r3b)])
          await waitFor('every change on the stream', () => w.events.length >= expected.length, convergeMs)
          await sleep(300)
          expect(w.events.map(e => [e.type, nameOf(e.object)])).toEqual(expected.map(([t, n]) => [t, n]))
          const rvs = w.events.map(e => rvOf(e.object))
          expectIncreasing(rvs)
          expect(rvs[0]! > BigInt(rv0)).toBe(true)
          rvs.forEach((rv, i) => {
            const want = expected[i]![2]
            if (want !== undefined) expect(rv).toBe(want)
          })
        } finally {
          w.abort()
        }
      })
    })

    describe('relist after 410 Gone', () => {
      const noCompact = (): boolean => {
        if (target?.compact !== undefined) return false
        console.log(`[${name}] skipped: the target has no compact(), so no resourceVersion can be made too old`)
        return true
      }

      it('a watch from a compacted resourceVersion gets an ERROR event with a 410 Expired Status', async (ctx) => {
        if (noCompact()) { ctx.skip(); return }
        const ns = await freshNamespace('gone')
        const rv0 = await listRv(ns)
        const g = await createCm(ns, 'g')
        await updateCm(g, {})
        await target!.compact!()
        const w = await openWatch(kc, cmPath(ns), { resourceVersion: rv0 }, convergeMs)
        try {
          const err = await w.next('an ERROR event', e => e.type === 'ERROR')
          expect(err.object.kind).toBe('Status')
          expect(err.object.status).toBe('Failure')
          expect(err.object.code).toBe(410)
          expect(err.object.reason).toBe('Expired')
          await w.waitEnded(convergeMs)
          expect(w.events.map(e => e.type)).toEqual(['ERROR'])
        } finally {
          w.abort()
        }
      })

      it('an informer whose resourceVersion was compacted away relists and converges without losing changes', async (ctx) => {
        if (noCompact()) { ctx.skip(); return }
        const ns = await freshNamespace('relist')
        const k1 = await createCm(ns, 'k1')
        await createCm(ns, 'k2')
        await createCm(ns, 'k3')
        let lists = 0
        const watch = new RecordingWatch(kc)
        const inf = new ListWatch<V1ConfigMap>(cmPath(ns), watch, async () => { lists++; return await core.listNamespacedConfigMap({ namespace: ns }) }, false)
        const seen = recordHandlers(inf)
        await inf.start()
        try {
          await waitConverged('the initial list', () => inf.list(ns), async () => await listCms(ns))
          const staleRv = inf.latestResourceVersion()
          // Disconnect, change things the informer cannot see, then make its resourceVersion too old.
          await inf.stop()
          await waitFor('the first watch to end', () => watch.requests[0]?.ended === true, convergeMs)
          const mark = seen.length
          const k1b = await updateCm(k1, {})
          await deleteCm(ns, 'k2')
          const k4 = await createCm(ns, 'k4')
          await target!.compact!()
          await inf.start()
          await waitConverged('the relisted cache', () => inf.list(ns), async () => await listCms(ns))
          expect(lists).toBe(2)
          const stale = watch.requests.find(r => r.params.resourceVersion === staleRv && r !== watch.requests[0])
          expect(stale?.events.map(e => [e.type, e.object.code])).toEqual([['ERROR', 410]])
          const last = watch.requests.at(-1)!
          expect(BigInt(String(last.params.resourceVersion)) >= rvOf(k4)).toBe(true)
          expect(seen.slice(mark).map(([v, n, rv]) => `${v} ${n}@${String(rv)}`).sort()).toEqual([
            `add k4@${String(rvOf(k4))}`, `delete k2@${String(seen.find(([v, n]) => v === 'add' && n === 'k2')?.[2])}`, `update k1@${String(rvOf(k1b))}`
          ].sort())
          // And it is live again on the new watch.
          const k4b = await updateCm(k4, {})
          await waitFor('the update after relist', () => seen.some(([v, n, rv]) => v === 'update' && n === 'k4' && rv === rvOf(k4b)), convergeMs)
        } finally {
          await inf.stop()
        }
      })
    })

    describe('bookmarks', () => {
      it('a watch allowing bookmarks receives BOOKMARK events whose resourceVersion advances', async () => {
        const ns = await freshNamespace('bookmark')
        const w = await openWatch(kc, cmPath(ns), { resourceVersion: await listRv(ns), allowWatchBookmarks: true }, convergeMs)
        try {
          const b1 = await createCm(ns, 'b1')
          const bm1 = await w.next('a bookmark at or past the create', e => e.type === 'BOOKMARK' && rvOf(e.object) >= rvOf(b1), bookmarkWaitMs)
          expect(bm1.object.kind).toBe('ConfigMap')
          const b1b = await updateCm(b1, {})
          const bm2 = await w.next('a bookmark at or past the update', e => e.type === 'BOOKMARK' && rvOf(e.object) >= rvOf(b1b), bookmarkWaitMs)
          expect(rvOf(bm2.object) > rvOf(bm1.object)).toBe(true)
          expect(w.events.filter(e => e.type !== 'BOOKMARK').map(e => [e.type, rvOf(e.object)])).toEqual([['ADDED', rvOf(b1)], ['MODIFIED', rvOf(b1b)]])
        } finally {
          w.abort()
        }
      })

      it('a watch resumed from a BOOKMARK resourceVersion gets exactly the changes made after it', async () => {
        const ns = await freshNamespace('bm-resume')
        const w = await openWatch(kc, cmPath(ns), { resourceVersion: await listRv(ns), allowWatchBookmarks: true }, convergeMs)
        let bookmarkRv: string
        try {
          const before = await createCm(ns, 'before')
          const bm = await w.next('a bookmark', e => e.type === 'BOOKMARK' && rvOf(e.object) >= rvOf(before), bookmarkWaitMs)
          bookmarkRv = bm.object.metadata!.resourceVersion!
        } finally {
          w.abort()
        }
        await w.waitEnded(convergeMs)
        const after = await createCm(ns, 'after')
        const w2 = await openWatch(kc, cmPath(ns), { resourceVersion: bookmarkRv, allowWatchBookmarks: true }, convergeMs)
        try {
          await w2.next('the change made after the bookmark', e => e.type === 'ADDED' && nameOf(e.object) === 'after')
          await sleep(300)
          expect(w2.events.filter(e => e.type !== 'BOOKMARK').map(e => [e.type, nameOf(e.object), rvOf(e.object)])).toEqual([['ADDED', 'after', rvOf(after)]])
        } finally {
          w2.abort()
        }
      })
    })

    describe('selectors', () => {
      it('a label-selector watch sees only matching objects; one that stops matching arrives as DELETED', async () => {
        const ns = await freshNamespace('labels')
        const w = await openWatch(kc, cmPath(ns), { resourceVersion: await listRv(ns), labelSelector: 'tier=front' }, convergeMs)
        try {
          const s1 = await createCm(ns, 's1', { tier: 'front' })
          const s2 = await createCm(ns, 's2', { tier: 'back' })
          const s2b = await updateCm(s2, {}) // not matching before or after: invisible
          const s1b = await updateCm(s1, { labels: { tier: 'back' } })
          const s2c = await updateCm(s2b, { labels: { tier: 'front' } })
          await deleteCm(ns, 's2')
          await w.next('the delete of s2', e => e.type === 'DELETED' && nameOf(e.object) === 's2')
          await sleep(300)
          expect(w.events.map(e => [e.type, nameOf(e.object)])).toEqual([['ADDED', 's1'], ['DELETED', 's1'], ['ADDED', 's2'], ['DELETED', 's2']])
          // The DELETED for s1 is the change that made it stop matching, not an actual delete.
          expect(rvOf(w.events[1]!.object)).toBe(rvOf(s1b))
          expect(w.events[1]!.object.metadata?.labels).toEqual({ tier: 'back' })
          expect(rvOf(w.events[2]!.object)).toBe(rvOf(s2c))
        } finally {
          w.abort()
        }
      })

      it('a metadata.name field-selector watch sees only that object', async () => {
        const ns = await freshNamespace('fields')
        const w = await openWatch(kc, cmPath(ns), { resourceVersion: await listRv(ns), fieldSelector: 'metadata.name=f1' }, convergeMs)
        try {
          const f0 = await createCm(ns, 'f0')
          const f1 = await createCm(ns, 'f1')
          await updateCm(f0, {})
          const f1b = await updateCm(f1, {})
          await deleteCm(ns, 'f0')
          await deleteCm(ns, 'f1')
          await w.next('the delete of f1', e => e.type === 'DELETED')
          await sleep(300)
          expect(w.events.map(e => [e.type, nameOf(e.object)])).toEqual([['ADDED', 'f1'], ['MODIFIED', 'f1'], ['DELETED', 'f1']])
          expect(rvOf(w.events[1]!.object)).toBe(rvOf(f1b))
        } finally {
          w.abort()
        }
      })

      it('a label-selector informer keeps only matching objects and drops one relabelled away', async () => {
        const ns = await freshNamespace('label-informer')
        const selector = 'app=web,tier!=cache'
        await createCm(ns, 'web-1', { app: 'web' })
        const w2 = await createCm(ns, 'web-2', { app: 'web' })
        await createCm(ns, 'db-1', { app: 'db' })
        const inf = makeInformer<V1ConfigMap>(kc, cmPath(ns), async () => await core.listNamespacedConfigMap({ namespace: ns, labelSelector: selector }), selector)
        const seen = recordHandlers(inf)
        await inf.start()
        try {
          await waitConverged('the initial list', () => inf.list(ns), async () => await listCms(ns, selector))
          await createCm(ns, 'web-3', { app: 'web' })
          await createCm(ns, 'db-2', { app: 'db' })
          await updateCm(w2, { labels: { app: 'web', tier: 'cache' } })
          await waitConverged('the selected cache', () => inf.list(ns), async () => await listCms(ns, selector))
          expect(inf.list(ns).map(nameOf).sort()).toEqual(['web-1', 'web-3'])
          expect(seen.filter(([v]) => v === 'delete').map(([, n]) => n)).toEqual(['web-2'])
          expect(seen.some(([, n]) => n.startsWith('db-'))).toBe(false)
        } finally {
          await inf.stop()
        }
      })
    })

    describe('stream lifetime', () => {
      it('a watch stays open through a quiet period and still delivers the next change', async () => {
        const ns = await freshNamespace('quiet')
        const w = await openWatch(kc, cmPath(ns), { resourceVersion: await listRv(ns) }, convergeMs)
        try {
          await sleep(quietMs)
          expect(w.ended()).toBe(false)
          const q = await createCm(ns, 'after-quiet')
          const ev = await w.next('the change after the quiet period', e => nameOf(e.object) === 'after-quiet')
          expect([ev.type, rvOf(ev.object)]).toEqual(['ADDED', rvOf(q)])
        } finally {
          w.abort()
        }
      }, 30_000 + quietMs)

      it('aborting a watch closes it promptly and nothing is delivered afterwards', async () => {
        const ns = await freshNamespace('abort')
        const w = await openWatch(kc, cmPath(ns), { resourceVersion: await listRv(ns) }, convergeMs)
        await createCm(ns, 'seen')
        await w.next('the first change', e => nameOf(e.object) === 'seen')
        w.abort()
        await w.waitEnded(2_000)
        await createCm(ns, 'unseen')
        await sleep(300)
        expect(w.events.map(e => nameOf(e.object))).toEqual(['seen'])
        // The server is unharmed: a new watch on the same path works.
        const w2 = await openWatch(kc, cmPath(ns), { resourceVersion: await listRv(ns) }, convergeMs)
        try {
          await createCm(ns, 'again')
          await w2.next('a change on a new watch', e => nameOf(e.object) === 'again')
        } finally {
          w2.abort()
        }
      })
    })
  })
}
