import type { IncomingMessage } from 'node:http'
import type { Logger, MetricsRegistry, PodStreamOpener } from '@edgemesh/common'
import { ApiServer as KubeApiServer, type ApiServerInit as KubeApiServerInit, type ApiServerTls, type OpenApiSource } from '@edgemesh/kube/server'
import type { ApiCore } from './api-core.js'
import { Authenticator, type TokenMap } from './authn.js'
import { Authorizer } from './authz.js'
import { PodSubresources, type PodSubresourcesInit } from './streaming/pod-subresources.js'

export type { ApiServerTls, OpenApiSource }

export interface ApiServerInit extends KubeApiServerInit {
  /** The cloud's API is HTTPS only. */
  tls: ApiServerTls
  /** Limits of the pods/exec, attach and portforward protocols. */
  streaming?: PodSubresourcesInit
}

export interface ApiServerComponents {
  core: Pick<ApiCore, 'registry' | 'storage'> & Partial<Pick<ApiCore, 'backend'>>
  logger: Logger
  /** Static bearer tokens (see authn.ts `loadTokenFile`). */
  tokens?: TokenMap
  /** Serves /openapi/v3 when given; 404 otherwise. */
  openapi?: OpenApiSource
  /** The process's registry, served at /metrics. @default a new one */
  metrics?: MetricsRegistry
  /** Reaches the node that runs a pod (cloud-hub) for pods/log, exec, attach and portforward; without it they answer 503. */
  podStreams?: PodStreamOpener
}

/**
 * cloud-core's API endpoint: the kube ApiServer over the cloud's registry and storage, with its
 * authentication (client certificates, bearer tokens) and authorization (masters, node rules, mesh).
 */
export class ApiServer extends KubeApiServer {
  constructor (components: ApiServerComponents, init: ApiServerInit) {
    const { core } = components
    const authn = new Authenticator({ tokens: components.tokens })
    const authorizer = new Authorizer({
      getPod: async (ns, name) => {
        const def = core.registry.lookup('', 'v1', 'pods')
        if (def === undefined) return undefined
        try { return await core.storage.get(def, ns, name) } catch { return undefined }
      }
    })
    super({
      registry: core.registry,
      backend: core.backend ?? core.storage,
      logger: components.logger,
      authenticate: (req: IncomingMessage) => authn.authenticate(req),
      authorizer,
      openapi: components.openapi,
      metrics: components.metrics,
      streams: new PodSubresources({ storage: core.storage, registry: core.registry, logger: components.logger, podStreams: components.podStreams }, init.streaming)
    }, init)
  }
}

export function apiServer (init: ApiServerInit): (components: ApiServerComponents) => ApiServer {
  return (components) => new ApiServer(components, init)
}
