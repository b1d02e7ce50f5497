import type { MetricsRegistry} from '@edgemesh/common';
import { silentLogger, type Logger, type Startable } from '@edgemesh/common'
import { ApiError, type RequestUser } from '@edgemesh/kube/machinery'
import { ApiServer, builtinResourceInfo, DefaultResourceRegistry, RestStorage, type RequestAttributes } from '@edgemesh/kube/server'
import type { Store } from '@edgemesh/kube/storage'

/** Where the meta-server listens: loopback only, as KubeEdge's. */
export const META_SERVER_DEFAULTS = { host: '127.0.0.1', port: 10550 } as const

export interface MetaServerInit {
  /** @default META_SERVER_DEFAULTS.host (127.0.0.1); local clients only, there is no authentication */
  host?: string
  /** 0 picks a free port. @default META_SERVER_DEFAULTS.port (10550) */
  port?: number
}

export interface MetaServerComponents {
  /** The node's cache (the store the meta-manager writes). Must be started. */
  store: Store
  /** @default the built-in kinds' info (`builtinResourceInfo()`) */
  registry?: DefaultResourceRegistry
  /** @default silent */
  logger?: Logger
  /** @default a new one */
  metrics?: MetricsRegistry
}

const READ_VERBS = new Set(['get', 'list', 'watch'])
const LOCAL_USER: RequestUser = { name: 'system:edge-local', groups: ['system:authenticated'] }

/**
 * The Kubernetes REST API of the node's cache on 127.0.0.1:10550, for local clients (the mesh agent,
 * client-node informers, `kubectl --server`): get/list/watch with selectors, pagination,
 * resourceVersions, bookmarks, 410, discovery and Tables — the kube server parts over the cache, so
 * it behaves as the cloud's API does, and keeps serving while the cloud is unreachable.
 *
 * Writes go to the cloud, not here: they are answered 503 ServiceUnavailable with a Status saying so
 * (forwarding writes upstream over the hub is the next step).
 */
export class MetaServer implements Startable {
  readonly registry: DefaultResourceRegistry
  readonly storage: RestStorage
  private readonly server: ApiServer

  constructor (components: MetaServerComponents, init: MetaServerInit = {}) {
    const logger = (components.logger ?? silentLogger()).child({ component: 'meta-server' })
    this.registry = components.registry ?? new DefaultResourceRegistry(builtinResourceInfo())
    this.storage = new RestStorage({ store: components.store, logger })
    this.server = new ApiServer({
      registry: this.registry,
      backend: this.storage,
      logger,
      metrics: components.metrics,
      authenticate: () => LOCAL_USER,
      authorizer: { authorize: async (_user, a) => { refuseWrites(a) } }
    }, { ...META_SERVER_DEFAULTS, ...init })
  }

  get port (): number { return this.server.port }
  isStarted (): boolean { return this.server.isStarted() }
  async start (): Promise<void> { await this.server.start() }
  async stop (): Promise<void> { await this.server.stop() }
}

function refuseWrites (a: RequestAttributes): void {
  if (READ_VERBS.has(a.verb)) return
  const what = `${a.resource}${a.group === '' ? '' : '.' + a.group}${a.subresource === undefined ? '' : '/' + a.subresource}`
  throw new ApiError('ServiceUnavailable', `the edge meta-server serves reads from the node's cache; ${a.verb} ${what} must go to the cloud API server`, { retryAfterSeconds: 10 })
}
