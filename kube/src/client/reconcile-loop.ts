import type { Logger, Startable } from '@edgemesh/common'
import { runWorkers, WorkQueue } from './work-queue.js'
import type { InformerFactory } from './informer.js'
import type { ObjectClient } from '../machinery/types.js'

/** Counters every controller keeps; the manager renders them as Prometheus text. */
export interface ControllerMetrics {
  reconciles: number
  errors: number
  queueDepth: number
}

/** What every controller depends on: its client, its logger and the shared informer cache. */
export interface ControllerComponents {
  client: ObjectClient
  logger: Logger
  informers: InformerFactory
}

/** Options every controller takes. */
export interface ControllerInit {
  /** Keys reconciled in parallel. @default 2 */
  workers?: number
}

export interface ReconcileLoopInit {
  name: string
  /** @default 2 */
  workers?: number
  /** @default 5 */
  baseDelayMs?: number
  /** @default 30_000 */
  maxDelayMs?: number
}

/**
 * Shared skeleton of a controller: a work queue of keys fed by informer handlers and drained by
 * workers that call `reconcile(key)`. `reconcile` returns a delay in ms to look at the key again later,
 * or nothing; throwing retries the key with backoff.
 */
export abstract class ReconcileLoop implements Startable {
  readonly name: string
  /** Replaced on every start() after a stop(): a shut-down queue never hands out keys again. */
  protected queue: WorkQueue
  protected readonly log: Logger
  private controller?: AbortController
  private running?: Promise<void>
  private reconciles = 0
  private errors = 0

  constructor (protected readonly informers: InformerFactory, logger: Logger, private readonly loopInit: ReconcileLoopInit) {
    this.name = loopInit.name
    this.log = logger.child({ component: loopInit.name })
    this.queue = new WorkQueue({ baseDelayMs: loopInit.baseDelayMs, maxDelayMs: loopInit.maxDelayMs })
  }

  protected abstract reconcile (key: string, signal: AbortSignal): Promise<number | undefined | void>

  /** Hook for controllers with extra timers. */
  protected onStart (_signal: AbortSignal): void {}

  async start (): Promise<void> {
    if (this.controller !== undefined) return
    this.controller = new AbortController()
    const signal = this.controller.signal
    if (this.queue.isShuttingDown()) this.queue = new WorkQueue({ baseDelayMs: this.loopInit.baseDelayMs, maxDelayMs: this.loopInit.maxDelayMs })
    await this.informers.start()
    this.onStart(signal)
    this.running = (async () => {
      try { await this.informers.waitForSync(signal) } catch { return }
      await runWorkers(this.queue, async key => {
        this.reconciles++
        return await this.reconcile(key, signal)
      }, {
        signal,
        concurrency: this.loopInit.workers ?? 2,
        onError: (key, err) => {
          this.errors++
          if (!signal.aborted) this.log.debug({ err, key }, 'reconcile failed, retrying')
        }
      })
    })()
  }

  async stop (): Promise<void> {
    if (this.controller === undefined) return
    this.controller.abort()
    this.queue.shutDown()
    await this.running
    this.controller = undefined
    this.running = undefined
  }

  isStarted (): boolean { return this.controller !== undefined }

  metrics (): ControllerMetrics {
    return { reconciles: this.reconciles, errors: this.errors, queueDepth: this.queue.len() }
  }
}
