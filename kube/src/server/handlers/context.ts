import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '@edgemesh/common'
import type { Verb } from '../router.js'
import type { ApiMetrics } from '../metrics.js'
import type { DefaultResourceRegistry } from '../registry.js'
import type { ResourceBackend } from '../backend.js'
import type { RequestUser } from '../../machinery/types.js'

/** Everything a handler needs for one request. */
export interface RequestContext {
  req: IncomingMessage
  res: ServerResponse
  query: URLSearchParams
  user: RequestUser
  registry: DefaultResourceRegistry
  storage: ResourceBackend
  authz: RequestAuthorizer
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

/** What a request asks to do, as an authorizer sees it. */
export interface RequestAttributes {
  verb: Verb
  group: string
  resource: string
  subresource?: string
  namespace?: string
  /** From the URL, or from the body for create. */
  name?: string
}

/** Decides whether `user` may do what a request asks: resolves when allowed, throws a Forbidden ApiError otherwise. */
export interface RequestAuthorizer {
  authorize: (user: RequestUser, attributes: RequestAttributes) => Promise<void>
}
