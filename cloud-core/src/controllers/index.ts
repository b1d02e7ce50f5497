import { componentLogger, MetricsRegistry, startAll, stopAll, type Logger, type Startable } from '@edgemesh/common'
import type { ObjectClient, ResourceDefinition } from '@edgemesh/kube/machinery'
import { Scheduler, type SchedulerInit } from '../scheduler/scheduler.js'
import { DaemonSetController, type DaemonSetControllerInit } from './daemonset-controller.js'
import { DeploymentController, type DeploymentControllerInit } from './deployment-controller.js'
import { EndpointsController, type EndpointsControllerInit } from './endpoints-controller.js'
import { GarbageCollector, type GarbageCollectorInit } from './garbage-collector.js'
import { InformerFactory, type ReconcileLoop } from '@edgemesh/kube/client'
import { NamespaceController, type NamespaceControllerInit } from './namespace-controller.js'
import { NodeLifecycleController, type NodeLifecycleControllerInit } from './node-lifecycle-controller.js'
import { ReplicaSetController, type ReplicaSetControllerInit } from './replicaset-controller.js'

export type ControllerName = 'endpoints' | 'deployment' | 'replicaset' | 'daemonset' | 'scheduler' | 'garbage-collector' | 'namespace' | 'node-lifecycle'

export const ALL_CONTROLLERS: readonly ControllerName[] = ['endpoints', 'deployment', 'replicaset', 'daemonset', 'scheduler', 'garbage-collector', 'namespace', 'node-lifecycle']

export interface ControllerManagerOptions {
  /** Which controllers run. @default all of ALL_CONTROLLERS */
  enabled?: readonly ControllerName[]
  endpoints?: EndpointsControllerInit
  deployment?: DeploymentControllerInit
  replicaset?: ReplicaSetControllerInit
  daemonset?: DaemonSetControllerInit
  scheduler?: SchedulerInit
  garbageCollector?: GarbageCollectorInit
  namespace?: NamespaceControllerInit
  nodeLifecycle?: NodeLifecycleControllerInit
}

export interface ControllerManagerInit {
  client: ObjectClient
  logger: Logger
  /** Served resources (the registry's `all`); the garbage collector and namespace controller walk them. */
  resources: () => ResourceDefinition[]
  options?: ControllerManagerOptions
  /** The process's registry; each controller's reconcile counters and queue depth are sampled into it per scrape. @default a new one */
  metrics?: MetricsRegistry
  /**
   * The process's informer cache, shared with other parts (the edge-controller watches the same pods,
   * nodes and services). Its owner starts and stops it. @default a cache of the manager's own
   */
  informers?: InformerFactory
}

export interface ControllerManager extends Startable {
  /** Where the controllers' series live (`edgemesh_controller_*`, label `controller`). */
  metrics: MetricsRegistry
  /** Resolves once every informer has listed (useful for tests and readiness). */
  waitForSync: (signal?: AbortSignal) => Promise<void>
  controllers: () => ReadonlyMap<ControllerName, ReconcileLoop>
  isStarted: () => boolean
}

/**
 * Builds the controllers and the scheduler over one shared informer cache. Each is a Startable with
 * its own component logger; start/stop are idempotent.
 */
export function createControllerManager (init: ControllerManagerInit): ControllerManager {
  const logger = componentLogger(init.logger, 'controller-manager')
  const opts = init.options ?? {}
  const enabled = new Set(opts.enabled ?? ALL_CONTROLLERS)
  const informers = init.informers ?? new InformerFactory({ client: init.client, logger })
  // Stopped with the controllers only when the manager made it; a shared cache belongs to its owner.
  const ownParts = (): Startable[] => [...(init.informers === undefined ? [informers] : []), ...loops.values()]
  const base = { client: init.client, logger: init.logger, informers }
  const loops = new Map<ControllerName, ReconcileLoop>()
  const make: Record<ControllerName, () => ReconcileLoop> = {
    endpoints: () => new EndpointsController(base, opts.endpoints),
    deployment: () => new DeploymentController(base, opts.deployment),
    replicaset: () => new ReplicaSetController(base, opts.replicaset),
    daemonset: () => new DaemonSetController(base, opts.daemonset),
    scheduler: () => new Scheduler(base, opts.scheduler),
    'garbage-collector': () => new GarbageCollector({ ...base, resources: init.resources }, opts.garbageCollector),
    namespace: () => new NamespaceController({ ...base, resources: init.resources }, opts.namespace),
    'node-lifecycle': () => new NodeLifecycleController(base, opts.nodeLifecycle)
  }
  for (const name of ALL_CONTROLLERS) if (enabled.has(name)) loops.set(name, make[name]())
  let started = false
  const metrics = init.metrics ?? new MetricsRegistry()
  const reconciles = metrics.counter('edgemesh_controller_reconciles_total', { help: 'Reconcile calls per controller.', labelNames: ['controller'] })
  const errors = metrics.counter('edgemesh_controller_reconcile_errors_total', { help: 'Reconcile calls that failed and were retried.', labelNames: ['controller'] })
  const depth = metrics.gauge('edgemesh_controller_queue_depth', { help: 'Keys waiting in the work queue.', labelNames: ['controller'] })
  // The loops keep their own totals; a scrape copies them (so a counter never runs ahead of its loop).
  const sample = (): void => {
    reconciles.reset()
    errors.reset()
    for (const [controller, loop] of loops) {
      const m = loop.metrics()
      reconciles.inc({ controller }, m.reconciles)
      errors.inc({ controller }, m.errors)
      depth.set({ controller }, m.queueDepth)
    }
  }
  let stopSampling: (() => void) | undefined

  return {
    async start () {
      if (started) return
      // The factory is a part of its own, so a controller that fails to start does not leave watches running.
      await startAll([informers, ...loops.values()])
      started = true
      stopSampling = metrics.onCollect(sample)
      logger.info({ controllers: [...loops.keys()] }, 'controllers started')
    },
    async stop () {
      if (!started) return
      started = false
      stopSampling?.()
      stopSampling = undefined
      await stopAll(ownParts())
    },
    isStarted: () => started,
    waitForSync: async signal => { await informers.waitForSync(signal) },
    controllers: () => loops,
    metrics
  }
}

export { Informer, InformerFactory, byNodeName, byOwnerUid, type InformerHandler, type InformerInit, type IndexFunc } from '@edgemesh/kube/client'
export { WorkQueue, runWorkers, type WorkQueueInit } from '@edgemesh/kube/client'
export { ReconcileLoop, type ControllerMetrics } from '@edgemesh/kube/client'
export { EndpointsController } from './endpoints-controller.js'
export { DeploymentController } from './deployment-controller.js'
export { ReplicaSetController } from './replicaset-controller.js'
export { DaemonSetController } from './daemonset-controller.js'
export { GarbageCollector } from './garbage-collector.js'
export { NamespaceController } from './namespace-controller.js'
export { NodeLifecycleController, isEdgeNode } from './node-lifecycle-controller.js'
export { Scheduler } from '../scheduler/scheduler.js'
export { ControllerError, ERROR_CATALOGUE } from '@edgemesh/kube/client'
export { podTemplateHash } from './pod-template-hash.js'
export { resolveFenceposts } from './rollout-math.js'
