import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '@edgemesh/common'
import type { Authorizer } from '../../../../cloud-core/src/api-server/authz.js'
import type { ApiMetrics } from '../metrics.js'
import type { DefaultResourceRegistry } from '../registry.js'
import type { RestStorage } from '../rest-storage.js'
import type { RequestUser } from '../../machinery/types.js'

/** Everything a handler needs for one request. */
export interface RequestContext {
  req: IncomingMessage
  res: ServerResponse
  query: URLSearchParams
  user: RequestUser
  registry: DefaultResourceRegistry
  storage: RestStorage
  authz: Authorizer
  metrics: ApiMetrics
  log: Logger
  bodyLimit: number
  /** Aborts when the client goes away or the server stops. */
  signal: AbortSignal
  /** Upper bound for watch streams, seconds. */
  maxWatchSeconds: number
  /** Set by handlers for metrics labels. */
  labels: { verb: string, resource: string }
}
