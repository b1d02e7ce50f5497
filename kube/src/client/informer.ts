import { hasCode, sleep, type KubeObject, type Logger, type Startable } from '@edgemesh/common'
import type { ObjectClient, ResourceRef } from '../machinery/types.js'
import { ControllerError } from './errors.js'
import { keyOf } from '../machinery/kinds.js'

/** Maps an object to the index values it is filed under (e.g. a pod → [its nodeName]). */
export type IndexFunc<T> = (obj: T) => string[]

export interface InformerHandler<T> {
  add?: (obj: T) => void
  update?: (oldObj: T, newObj: T) => void
  delete?: (obj: T) => void
}

export interface InformerInit<T extends KubeObject> {
  ref: ResourceRef
  labelSelector?: string
  fieldSelector?: string
  /** Extra indexes besides namespace (always present as 'namespace'). */
  indexers?: Record<string, IndexFunc<T>>
  /** First delay before a relist after a failure; doubles per consecutive failure, with ±50 % jitter. @default 200 */
  backoffMs?: number
  /** @default 10_000 */
  maxBackoffMs?: number
}

export interface InformerComponents {
  client: ObjectClient
  logger: Logger
}

/** Index by the uid of every owner reference: how the garbage collector finds dependents. */
export const byOwnerUid: IndexFunc<KubeObject> = obj => (obj.metadata.ownerReferences ?? []).map(r => r.uid)
/** Index pods by spec.nodeName (unscheduled pods file under ''). */
export const byNodeName: IndexFunc<KubeObject> = obj => [String((obj.spec as { nodeName?: string } | undefined)?.nodeName ?? '')]

const GONE_CODES = ['API_GONE', 'API_EXPIRED', 'STORE_COMPACTED']

/**
 * List-then-watch cache of one collection. Lists, then watches from the list's resourceVersion,
 * relisting (with jittered backoff after failures) when the watch reports 410, fails or ends.
 * Handlers run synchronously in event order; they should only enqueue work.
 */
export class Informer<T extends KubeObject = KubeObject> implements Startable {
  private readonly items = new Map<string, T>()
  private readonly indices = new Map<string, Map<string, Set<string>>>()
  private readonly indexers: Record<string, IndexFunc<T>>
  private readonly handlers: Array<InformerHandler<T>> = []
  private readonly log: Logger
  private controller?: AbortController
  private loop?: Promise<void>
  private synced = false
  private syncWaiters: Array<() => void> = []
  private resourceVersion = ''

  constructor (private readonly components: InformerComponents, private readonly init: InformerInit<T>) {
    this.indexers = { namespace: o => [o.metadata.namespace ?? ''], ...(init.indexers ?? {}) }
    for (const name of Object.keys(this.indexers)) this.indices.set(name, new Map())
    this.log = components.logger.child({ informer: `${init.ref.resource}${init.ref.group === '' ? '' : '.' + init.ref.group}` })
  }

  /** Handlers added after the first sync get synthetic `add` calls for the cached objects. */
  addHandler (h: InformerHandler<T>): void {
    this.handlers.push(h)
    if (this.synced) for (const o of this.items.values()) h.add?.(o)
  }

  /** Adds an index; valid before start. */
  addIndexer (name: string, fn: IndexFunc<T>): void {
    if (this.indexers[name] !== undefined) return
    this.indexers[name] = fn
    const idx = new Map<string, Set<string>>()
    this.indices.set(name, idx)
    for (const [k, o] of this.items) for (const v of fn(o)) this.indexAdd(idx, v, k)
  }

  hasSynced (): boolean { return this.synced }

  async waitForSync (signal?: AbortSignal): Promise<void> {
    if (this.synced) return
    if (signal?.aborted === true) throw new ControllerError('CONTROLLER_NOT_SYNCED', `informer for ${this.init.ref.resource} did not sync`)
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(new ControllerError('CONTROLLER_NOT_SYNCED', `informer for ${this.init.ref.resource} did not sync`))
      signal?.addEventListener('abort', onAbort, { once: true })
      this.syncWaiters.push(() => { signal?.removeEventListener('abort', onAbort); resolve() })
    })
  }

  get (key: string): T | undefined { return this.items.get(key) }
  getByName (namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace === undefined || namespace === '' ? name : `${namespace}/${name}`)
  }

  list (): T[] { return [...this.items.values()] }

  byIndex (index: string, value: string): T[] {
    const keys = this.indices.get(index)?.get(value)
    if (keys === undefined) return []
    const out: T[] = []
    for (const k of keys) { const o = this.items.get(k); if (o !== undefined) out.push(o) }
    return out
  }

  lastResourceVersion (): string { return this.resourceVersion }

  async start (): Promise<void> {
    if (this.controller !== undefined) return
    this.controller = new AbortController()
    const signal = this.controller.signal
    this.loop = this.run(signal).catch(err => { if (!signal.aborted) this.log.error({ err }, 'informer loop failed') })
  }

  async stop (): Promise<void> {
    if (this.controller === undefined) return
    this.controller.abort()
    await this.loop
    this.controller = undefined
    this.loop = undefined
  }

  isStarted (): boolean { return this.controller !== undefined }

  private async run (signal: AbortSignal): Promise<void> {
    const base = this.init.backoffMs ?? 200
    const max = this.init.maxBackoffMs ?? 10_000
    let failures = 0
    while (!signal.aborted) {
      try {
        await this.listAndReplace()
        failures = 0
        const gone = await this.watch(signal)
        // A watch that ends cleanly (server timeout) is normal; relist promptly.
        if (gone) this.log.debug('watch too old, relisting')
      } catch (err) {
        if (signal.aborted) return
        if (GONE_CODES.some(c => hasCode(err, c))) {
          this.log.debug('watch too old, relisting')
        } else {
          failures++
          this.log.warn({ err }, 'list/watch failed')
        }
      }
      if (signal.aborted) return
      const delay = failures === 0 ? 0 : Math.min(max, base * 2 ** (failures - 1)) * (0.5 + Math.random())
      if (delay > 0) {
        try { await sleep(delay, signal) } catch { return }
      }
    }
  }

  private async listAndReplace (): Promise<void> {
    const list = await this.components.client.list<T>(this.init.ref, { labelSelector: this.init.labelSelector, fieldSelector: this.init.fieldSelector })
    const seen = new Set<string>()
    for (const obj of list.items) {
      const k = keyOf(obj)
      seen.add(k)
      this.upsert(obj)
    }
    for (const [k, old] of [...this.items]) {
      if (!seen.has(k)) this.remove(old)
    }
    this.resourceVersion = list.metadata.resourceVersion ?? ''
    if (!this.synced) {
      this.synced = true
      for (const w of this.syncWaiters.splice(0)) w()
    }
  }

  /** Runs one watch; resolves true when the server said the start revision is too old (410). */
  private async watch (signal: AbortSignal): Promise<boolean> {
    const stream = this.components.client.watch<T>(this.init.ref, {
      labelSelector: this.init.labelSelector,
      fieldSelector: this.init.fieldSelector,
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      signal
    })
    for await (const ev of stream) {
      if (ev.type === 'ERROR') {
        if (ev.object.code === 410) return true
        throw new ControllerError('CONTROLLER_WATCH_FAILED', `watch of ${this.init.ref.resource} failed: ${ev.object.message ?? ev.object.reason ?? 'unknown'}`)
      }
      if (ev.type === 'DELETED') this.remove(ev.object)
      else if (ev.type !== 'BOOKMARK') this.upsert(ev.object)
      const rv = ev.object.metadata?.resourceVersion
      if (rv !== undefined && rv !== '') this.resourceVersion = rv
    }
    return false
  }

  private upsert (obj: T): void {
    const k = keyOf(obj)
    const old = this.items.get(k)
    if (old !== undefined && old.metadata.resourceVersion === obj.metadata.resourceVersion && old.metadata.resourceVersion !== undefined) return
    if (old !== undefined) this.unindex(k, old)
    this.items.set(k, obj)
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indices.get(name)
      if (idx !== undefined) for (const v of fn(obj)) this.indexAdd(idx, v, k)
    }
    for (const h of this.handlers) {
      try {
        if (old === undefined) h.add?.(obj)
        else h.update?.(old, obj)
      } catch (err) { this.log.error({ err }, 'handler failed') }
    }
  }

  private remove (obj: T): void {
    const k = keyOf(obj)
    const old = this.items.get(k)
    if (old === undefined) return
    this.unindex(k, old)
    this.items.delete(k)
    for (const h of this.handlers) {
      try { h.delete?.(obj) } catch (err) { this.log.error({ err }, 'handler failed') }
    }
  }

  private indexAdd (idx: Map<string, Set<string>>, v: string, k: string): void {
    let s = idx.get(v)
    if (s === undefined) { s = new Set(); idx.set(v, s) }
    s.add(k)
  }

  private unindex (k: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indices.get(name)
      if (idx === undefined) continue
      for (const v of fn(obj)) {
        const s = idx.get(v)
        s?.delete(k)
        if (s?.size === 0) idx.delete(v)
      }
    }
  }
}

/** Hands out one informer per collection so controllers that watch the same kind share a cache and a watch. */
export class InformerFactory implements Startable {
  private readonly informers = new Map<string, Informer<any>>()
  private started = false

  constructor (private readonly components: InformerComponents) {}

  informerFor<T extends KubeObject> (ref: ResourceRef, indexers: Record<string, IndexFunc<T>> = {}): Informer<T> {
    const id = `${ref.group}/${ref.resource}/${ref.namespace ?? ''}`
    let inf = this.informers.get(id) as Informer<T> | undefined
    if (inf === undefined) {
      inf = new Informer<T>(this.components, { ref, indexers })
      this.informers.set(id, inf)
      if (this.started) void inf.start()
    } else {
      for (const [name, fn] of Object.entries(indexers)) inf.addIndexer(name, fn)
    }
    return inf
  }

  all (): Array<Informer<any>> { return [...this.informers.values()] }

  async waitForSync (signal?: AbortSignal): Promise<void> {
    await Promise.all(this.all().map(async i => { await i.waitForSync(signal) }))
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    await Promise.all(this.all().map(async i => { await i.start() }))
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await Promise.all(this.all().map(async i => { await i.stop() }))
  }
}
