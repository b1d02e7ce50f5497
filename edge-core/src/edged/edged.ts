import { readdir, rm } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { silentLogger, type Logger, type Startable } from '@edgemesh/common'
import { InformerFactory, LocalClient, type Informer } from '@edgemesh/kube/client'
import { CONFIG_MAPS, PODS, SECRETS, SERVICES, type ConfigMap, type Pod, type ResourceRegistry, type Secret, type Service } from '@edgemesh/kube/machinery'
import { RestStorage } from '@edgemesh/kube/server'
import type { Store } from '@edgemesh/kube/storage'
import type { UpstreamInit } from '../edge-hub/edge-hub.js'
import type { EnvSources } from './container-env.js'
import { ImageTable, type ImageEntry } from './image-table.js'
import type { PodNetwork } from './network/pod-network.js'
import { PodWorker } from './pod-worker.js'
import type { ContainerRuntime } from './process-runtime.js'
import { PodStatusReporter } from './status-reporter.js'

/** edged's tunables, with their defaults in one place (`edged:` in edgecore.yaml). */
export const EDGED_DEFAULTS = {
  backoffInitialMs: 10_000,
  backoffMaxMs: 300_000,
  configRetryMs: 5_000,
  /** Used when a pod sets no terminationGracePeriodSeconds. */
  terminationGraceSeconds: 30
} as const

export interface EdgedInit {
  nodeName: string
  /** edged's directory (pods/<uid>/ with state and logs). */
  dir: string
  /** The node's address (pod status hostIP; pod IP of host-network pods). */
  hostIP: string
  images?: Record<string, ImageEntry>
  backoffInitialMs?: number
  backoffMaxMs?: number
  configRetryMs?: number
}

export interface EdgedComponents {
  /** The node's cache (what the cloud sent). */
  store: Store
  registry: ResourceRegistry
  hub: { send: (init: UpstreamInit, signal?: AbortSignal) => Promise<unknown> }
  runtime: ContainerRuntime
  network: PodNetwork
  logger?: Logger
  /** @default a table of the defaults plus `init.images` */
  images?: ImageTable
}

/**
 * Runs the pods the cloud bound to this node, from the node's cache: so after a reboot with the cloud
 * unreachable they come back exactly as cached (same uids, same addresses from the persisted IPAM), and
 * when the link returns nothing is recreated (the cache already holds the same objects). Each pod has a
 * PodWorker; statuses go up through PodStatusReporter, only when they change. Pods that vanish from the
 * cache are stopped gracefully and their network, files and address removed; leftovers of pods that
 * vanished while edgecore was down are cleaned up at start.
 */
export class Edged implements Startable {
  private readonly log: Logger
  private readonly workers = new Map<string, PodWorker>()
  private readonly byKey = new Map<string, string>()
  private readonly terminating = new Map<string, Promise<void>>()
  private informers?: InformerFactory
  private pods?: Informer<Pod>
  private configMaps?: Informer<ConfigMap>
  private secrets?: Informer<Secret>
  private services?: Informer<Service>
  private reporter?: PodStatusReporter
  private images: ImageTable
  private started = false

  constructor (private readonly c: EdgedComponents, private readonly init: EdgedInit) {
    this.log = (c.logger ?? silentLogger()).child({ component: 'edged' })
    this.images = c.images ?? new ImageTable(init.images)
  }

  isStarted (): boolean { return this.started }

  /** The worker of a pod by namespace and name (kubectl logs/exec, usage). */
  worker (namespace: string, name: string): PodWorker | undefined {
    const uid = this.byKey.get(`${namespace}/${name}`)
    return uid === undefined ? undefined : this.workers.get(uid)
  }

  allWorkers (): PodWorker[] { return [...this.workers.values()] }

  /** The running containers' main processes (the node-metrics UsageSource). */
  containers (): Array<{ namespace: string, pod: string, uid: string, container: string, pid: number }> {
    return this.allWorkers().flatMap(w => w.pids().map(p => ({ namespace: w.current.metadata.namespace ?? '', pod: w.current.metadata.name ?? '', uid: w.uid, container: p.container, pid: p.pid })))
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    const client = new LocalClient({ registry: this.c.registry, storage: new RestStorage({ store: this.c.store, logger: this.log }) })
    const informers = new InformerFactory({ client, logger: this.log })
    this.informers = informers
    this.pods = informers.informerFor<Pod>(PODS)
    this.configMaps = informers.informerFor<ConfigMap>(CONFIG_MAPS)
    this.secrets = informers.informerFor<Secret>(SECRETS)
    this.services = informers.informerFor<Service>(SERVICES)
    this.reporter = new PodStatusReporter({ hub: this.c.hub, logger: this.log })
    await this.c.network.start()
    await informers.start()
    await informers.waitForSync()
    await this.cleanupLeftovers()
    const poke = (): void => { for (const w of this.workers.values()) w.poke() }
    for (const inf of [this.configMaps, this.secrets]) inf.addHandler({ add: poke, update: poke })
    this.pods.addHandler({
      add: p => { this.sync(p) },
      update: (_o, p) => { this.sync(p) },
      delete: p => { this.remove(p.metadata.uid ?? '', graceOf(p)) }
    })
    for (const p of this.pods.list()) this.sync(p)
    this.log.info({ node: this.init.nodeName, pods: this.workers.size, network: this.c.network.mode }, 'edged started')
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.reporter?.stop()
    await this.informers?.stop()
    await Promise.all([...this.workers.values()].map(async w => { await w.terminate(graceOf(w.current), false) }))
    await Promise.all(this.terminating.values())
    this.workers.clear()
    this.byKey.clear()
    await this.c.network.stop()
  }

  private envSources (): EnvSources {
    return {
      configMap: (ns, name) => this.configMaps?.getByName(ns, name),
      secret: (ns, name) => this.secrets?.getByName(ns, name),
      services: ns => this.services?.byIndex('namespace', ns) ?? [],
      base: baseEnv(),
      nodeCpus: cpus().length,
      nodeMemoryBytes: totalmem()
    }
  }

  private sync (pod: Pod): void {
    if (!this.started || pod.spec?.nodeName !== this.init.nodeName) return
    const uid = pod.metadata?.uid ?? ''
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`
    if (pod.metadata?.deletionTimestamp !== undefined) { this.remove(uid, pod.metadata.deletionGracePeriodSeconds ?? graceOf(pod)); return }
    const existing = this.workers.get(uid)
    if (existing !== undefined) { existing.update(pod); return }
    // A pod of the same name with a new uid replaces the old one (a StatefulSet pod recreated).
    const old = this.byKey.get(key)
    if (old !== undefined && old !== uid) this.remove(old, 0)
    const phase = pod.status?.phase
    if ((phase === 'Succeeded' || phase === 'Failed') && pod.spec?.restartPolicy !== 'Always') return
    const w = new PodWorker(pod, {
      runtime: this.c.runtime,
      network: this.c.network,
      images: this.images,
      env: this.envSources(),
      onStatus: (p, s) => { if (this.workers.get(uid) === w) this.reporter?.set(p, s) },
      logger: this.log
    }, {
      dir: `${this.init.dir}/pods/${uid}`,
      hostIP: this.init.hostIP,
      backoffInitialMs: this.init.backoffInitialMs ?? EDGED_DEFAULTS.backoffInitialMs,
      backoffMaxMs: this.init.backoffMaxMs ?? EDGED_DEFAULTS.backoffMaxMs,
      configRetryMs: this.init.configRetryMs ?? EDGED_DEFAULTS.configRetryMs
    })
    this.workers.set(uid, w)
    this.byKey.set(key, uid)
    this.log.info({ pod: key, uid }, 'pod admitted')
    w.start()
  }

  private remove (uid: string, graceSeconds: number): void {
    const w = this.workers.get(uid)
    if (w === undefined || this.terminating.has(uid)) return
    this.workers.delete(uid)
    const key = `${w.current.metadata?.namespace ?? ''}/${w.current.metadata?.name ?? ''}`
    if (this.byKey.get(key) === uid) this.byKey.delete(key)
    this.reporter?.forget(uid)
    this.log.info({ pod: key, uid, graceSeconds }, 'pod terminating')
    const done = w.terminate(graceSeconds, true)
      .catch(err => { this.log.error({ err, pod: key }, 'pod teardown failed') })
      .finally(() => { this.terminating.delete(uid); this.log.info({ pod: key, uid }, 'pod removed') })
    this.terminating.set(uid, done)
  }

  /** Network resources and pod directories of pods that left the cache while edgecore was not running. */
  private async cleanupLeftovers (): Promise<void> {
    const keep = new Set((this.pods?.list() ?? []).filter(p => p.spec?.nodeName === this.init.nodeName).map(p => p.metadata.uid ?? ''))
    const dirs = await readdir(`${this.init.dir}/pods`).catch(() => [] as string[])
    const owners = await this.c.network.owners()
    for (const uid of new Set([...dirs, ...owners])) {
      if (keep.has(uid)) continue
      this.log.info({ uid }, 'removing what a deleted pod left behind')
      await this.c.network.teardown(uid).catch(err => { this.log.warn({ err, uid }, 'leftover network not removed') })
      await rm(`${this.init.dir}/pods/${uid}`, { recursive: true, force: true })
    }
  }
}

const graceOf = (p: Pod): number => p.spec?.terminationGracePeriodSeconds ?? EDGED_DEFAULTS.terminationGraceSeconds

/** What host binaries need from edgecore's environment; nothing else of edgecore's leaks into pods. */
function baseEnv (): Record<string, string> {
  const out: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }
  for (const k of ['HOME', 'LANG', 'LC_ALL', 'TZ']) { const v = process.env[k]; if (v !== undefined) out[k] = v }
  return out
}
