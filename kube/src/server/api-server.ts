import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { hasCode, MetricsRegistry, type Logger, type Startable } from '@edgemesh/common'
import { ApiError } from '../machinery/errors.js'
import type { RequestUser } from '../machinery/types.js'
import type { ResourceBackend } from './backend.js'
import type { RequestAuthorizer, RequestContext } from './handlers/context.js'
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, VERSION_INFO } from './handlers/discovery.js'
import { handleResource } from './handlers/resources.js'
import { AGGREGATED_DISCOVERY_TYPE, COMMON_HEADERS, DEFAULT_BODY_LIMIT, negotiate, sendJson, sendStatus } from './http-util.js'
import { ApiMetrics } from './metrics.js'
import type { DefaultResourceRegistry } from './registry.js'
import { route, type ResourceRoute } from './router.js'
import { STREAMING_SUBRESOURCES, writeStatusToSocket, type StreamingSubresources, type StreamingTarget } from './streaming.js'

/** What the server needs from the OpenAPI module (OpenApiPublisher fits). */
export interface OpenApiSource {
  rootJson: () => string
  document: (gvPath: string) => { json: string, hash: string } | undefined
}

export interface ApiServerTls {
  key: string
  cert: string
  /** Cluster CA: client certificates are verified against it. */
  ca: string
}

/** The defaults of ApiServerInit, in one place (cloudcore's config schema uses them too). */
export const API_SERVER_DEFAULTS = {
  port: 6443,
  host: '0.0.0.0',
  /** kube-apiserver's request body limit. */
  bodyLimit: DEFAULT_BODY_LIMIT,
  maxWatchSeconds: 1800
} as const

export interface ApiServerInit {
  /** @default API_SERVER_DEFAULTS.port (6443) */
  port?: number
  /** @default API_SERVER_DEFAULTS.host ('0.0.0.0') */
  host?: string
  /** HTTPS with client-certificate requests when given; plain HTTP otherwise (a loopback-only cache server). */
  tls?: ApiServerTls
  /** Request body limit in bytes. @default 3 MiB (kube-apiserver's) */
  bodyLimit?: number
  /** Longest watch stream; clients asking for more get this. @default 1800 */
  maxWatchSeconds?: number
}

export interface ApiServerComponents {
  registry: DefaultResourceRegistry
  backend: ResourceBackend
  logger: Logger
  /** Who sent a request; throws an Unauthorized ApiError for bad credentials. */
  authenticate: (req: IncomingMessage) => RequestUser
  authorizer: RequestAuthorizer
  /** Serves /openapi/v3 when given; 404 otherwise. */
  openapi?: OpenApiSource
  /** The process's registry; /metrics serves all of it (controllers and hubs register there too). @default a new one */
  metrics?: MetricsRegistry
  /** Serves pods/log, exec, attach and portforward when given; they are 404 otherwise. */
  streams?: StreamingSubresources
}

const HEALTH = new Set(['/healthz', '/readyz', '/livez'])

/** Errors from other layers, mapped to a Status; anything unknown is a 500 that never kills the server. */
export function toApiError (err: unknown, log: Logger): ApiError {
  if (err instanceof ApiError) return err
  const e = err as { toApiError?: () => unknown, message?: unknown }
  if (typeof e?.toApiError === 'function') {
    // Errors that know their Status (PatchError, ApplyConflictError with its causes) build it themselves.
    const mapped = e.toApiError()
    if (mapped instanceof ApiError) return mapped
  }
  if (hasCode(err, 'STORE_CONFLICT')) return new ApiError('Conflict', 'the object has been modified; please apply your changes to the latest version and try again')
  if (hasCode(err, 'STORE_COMPACTED')) return new ApiError('Expired', 'too old resource version')
  if (hasCode(err, 'STORE_UNAVAILABLE') || hasCode(err, 'STORE_CLOSED')) return new ApiError('ServiceUnavailable', 'the storage backend is unavailable')
  log.error({ err }, 'unexpected error while serving a request')
  return new ApiError('InternalError', `Internal error occurred: ${typeof e?.message === 'string' ? e.message : 'unknown error'}`)
}

/**
 * A Kubernetes-compatible HTTP(S) endpoint over a registry and a ResourceBackend: discovery, OpenAPI v3,
 * resource verbs and watch streams, health and metrics. Who may do what is the caller's: it passes the
 * authenticator and authorizer (cloud-core: client certs, tokens, node rules).
 */
export class ApiServer implements Startable {
  readonly metrics: ApiMetrics
  private readonly metricsRegistry: MetricsRegistry
  private readonly init: Required<Omit<ApiServerInit, 'tls'>> & { tls?: ApiServerTls }
  private readonly registry: DefaultResourceRegistry
  private readonly backend: ResourceBackend
  private readonly log: Logger
  private readonly authenticate: ApiServerComponents['authenticate']
  private readonly authz: RequestAuthorizer
  private readonly openapi?: OpenApiSource
  private readonly streams?: StreamingSubresources
  private server?: Server
  private readonly active = new Set<AbortController>()
  /** Sockets handed to the streaming subresources: HTTP's closeAllConnections no longer sees them. */
  private readonly upgraded = new Set<Duplex>()
  private readonly discoveryCache = new Map<string, string>()
  private discoveryVersion = -1

  constructor (components: ApiServerComponents, init: ApiServerInit) {
    this.init = { ...API_SERVER_DEFAULTS, ...init }
    this.registry = components.registry
    this.backend = components.backend
    this.log = components.logger.child({ component: 'api-server' })
    this.authenticate = components.authenticate
    this.authz = components.authorizer
    this.openapi = components.openapi
    this.streams = components.streams
    this.metricsRegistry = components.metrics ?? new MetricsRegistry()
    this.metrics = new ApiMetrics(this.metricsRegistry)
  }

  isStarted (): boolean { return this.server !== undefined }

  async start (): Promise<void> {
    if (this.server !== undefined) return
    const handler = (req: IncomingMessage, res: ServerResponse): void => { this.handle(req, res).catch(err => { this.log.error({ err }, 'request handler crashed'); res.destroy() }) }
    const tls = this.init.tls
    const server: Server = tls === undefined
      ? createHttpServer(handler)
      : createHttpsServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: false }, handler)
    server.on('clientError', (_err, socket) => { socket.destroy() })
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.handleUpgrade(req, socket, head).catch((err: unknown) => { this.log.error({ err }, 'upgrade handler crashed'); socket.destroy() })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port, this.init.host, () => { server.off('error', reject); resolve() })
    })
    this.server = server
    this.log.info({ port: this.port }, 'api server listening')
  }

  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    for (const ac of this.active) ac.abort()
    this.active.clear()
    for (const socket of this.upgraded) socket.destroy()
    this.upgraded.clear()
    await new Promise<void>(resolve => {
      server.close(() => { resolve() })
      server.closeAllConnections()
    })
  }

  get port (): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint()
    const labels = { verb: (req.method ?? 'GET').toLowerCase(), resource: 'nonresource' }
    // One controller per request, aborted when the client goes away or the server stops; avoids
    // chaining every request to a long-lived signal. Created on first use: only requests that wait
    // (watches) need one, and creating and aborting one per request showed up in write profiles.
    let ac: AbortController | undefined
    let closed = false
    res.once('close', () => {
      closed = true
      if (ac !== undefined) { this.active.delete(ac); ac.abort() }
      this.metrics.observe(labels.verb, labels.resource, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9)
    })
    const active = this.active
    const signalOf = (): AbortSignal => {
      if (ac === undefined) {
        ac = new AbortController()
        if (closed || this.server === undefined) ac.abort()
        else active.add(ac)
      }
      return ac.signal
    }
    const url = req.url ?? '/'
    const qi = url.indexOf('?')
    const pathname = qi < 0 ? url : url.slice(0, qi)
    const query = new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1))
    try {
      if (HEALTH.has(pathname)) {
        res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' })
        res.end('ok')
        return
      }
      const user = this.authenticate(req)
      const r = route(req.method ?? 'GET', pathname, query.get('watch') === 'true' || query.get('watch') === '1')
      if (r.type === 'method-not-allowed') throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource`)
      if (r.type === 'resource' && this.streams !== undefined && isStreaming(r)) {
        labels.resource = `pods/${r.subresource}`
        labels.verb = STREAMING_SUBRESOURCES[r.subresource]!
        await this.streams.serve(await this.streamingTarget(r, user, query, signalOf), req, res)
        return
      }
      if (r.type === 'resource') {
        const ctx: RequestContext = {
          req, res, query, user, registry: this.registry, storage: this.backend, authz: this.authz, metrics: this.metrics,
          log: this.log, bodyLimit: this.init.bodyLimit, get signal () { return signalOf() }, maxWatchSeconds: this.init.maxWatchSeconds, labels
        }
        await handleResource(ctx, r)
        return
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource')
      labels.resource = 'discovery'
      this.serveNonResource(req, res, r)
    } catch (err) {
      const apiErr = toApiError(err, this.log)
      if (res.headersSent) {
        if (!res.destroyed) res.end()
        return
      }
      // After an over-limit or undecodable upload the rest of the body is not worth reading.
      sendStatus(res, apiErr, apiErr.httpStatus === 413 ? { Connection: 'close' } : {})
    }
  }

  /** Authorizes a streaming subresource request (exec/attach/portforward as `create`, whatever the method). */
  private async streamingTarget (r: StreamingRoute, user: RequestUser, query: URLSearchParams, signal: () => AbortSignal): Promise<StreamingTarget> {
    const verb = STREAMING_SUBRESOURCES[r.subresource]!
    if (r.verb !== 'get' && !(r.verb === 'create' && verb === 'create')) throw new ApiError('MethodNotAllowed', `${r.verb} is not supported on pods/${r.subresource}`)
    await this.authz.authorize(user, { verb, group: '', resource: 'pods', subresource: r.subresource, namespace: r.namespace, name: r.name })
    return { namespace: r.namespace, name: r.name, subresource: r.subresource, query, user, get signal () { return signal() } }
  }

  private async handleUpgrade (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const started = process.hrtime.bigint()
    const ac = new AbortController()
    let resource = 'nonresource'
    this.upgraded.add(socket)
    this.active.add(ac)
    socket.once('close', () => {
      this.upgraded.delete(socket)
      this.active.delete(ac)
      ac.abort()
      this.metrics.observe('create', resource, 101, Number(process.hrtime.bigint() - started) / 1e9)
    })
    socket.on('error', (err) => { this.log.debug({ err }, 'upgraded connection failed') })
    if (this.server === undefined) { socket.destroy(); return }
    const url = req.url ?? '/'
    const qi = url.indexOf('?')
    const query = new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1))
    try {
      const user = this.authenticate(req)
      const r = route(req.method ?? 'GET', qi < 0 ? url : url.slice(0, qi), false)
      if (r.type !== 'resource' || this.streams === undefined || !isStreaming(r)) throw new ApiError('BadRequest', 'this resource does not support a connection upgrade')
      resource = `pods/${r.subresource}`
      const target = await this.streamingTarget(r, user, query, () => ac.signal)
      await this.streams.upgrade(target, req, socket, head)
    } catch (err) {
      writeStatusToSocket(socket, toApiError(err, this.log))
    }
  }

  private serveNonResource (req: IncomingMessage, res: ServerResponse, r: Exclude<ReturnType<typeof route>, { type: 'resource' | 'method-not-allowed' }>): void {
    const defs = (): ReturnType<DefaultResourceRegistry['all']> => this.registry.all()
    switch (r.type) {
      case 'api-versions':
      case 'api-groups': {
        const core = r.type === 'api-versions'
        if (negotiate(req.headers.accept, { aggregated: true }).kind === 'aggregated') {
          const text = this.cached(core ? 'agg-core' : 'agg-apis', () => aggregatedDiscovery(defs(), core)) ?? ''
          res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': AGGREGATED_DISCOVERY_TYPE, 'Content-Length': Buffer.byteLength(text) })
          res.end(text)
          return
        }
        this.sendCached(res, core ? 'api' : 'apis', () => core ? apiVersions() : apiGroupList(defs()))
        return
      }
      case 'api-group':
        this.sendCached(res, `group:${r.group}`, () => apiGroup(defs(), r.group))
        return
      case 'api-resources':
        this.sendCached(res, `res:${r.group}/${r.version}`, () => apiResourceList(defs(), r.group, r.version))
        return
      case 'nonresource':
        this.serveOther(res, r.path)
    }
  }

  private serveOther (res: ServerResponse, path: string): void {
    if (path === '/version' || path === '/version/') { sendJson(res, 200, VERSION_INFO); return }
    if (path === '/metrics') {
      const registry = this.metricsRegistry
      registry.render().then(
        text => { res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': registry.contentType }).end(text) },
        (err: unknown) => { sendStatus(res, toApiError(err, this.log)) }
      )
      return
    }
    if (this.openapi !== undefined && (path === '/openapi/v3' || path === '/openapi/v3/')) {
      const text = this.openapi.rootJson()
      res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
      res.end(text)
      return
    }
    if (this.openapi !== undefined && path.startsWith('/openapi/v3/')) {
      const doc = this.openapi.document(path.slice('/openapi/v3/'.length))
      if (doc !== undefined) {
        res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(doc.json), ETag: `"${doc.hash}"` })
        res.end(doc.json)
        return
      }
    }
    throw new ApiError('NotFound', 'the server could not find the requested resource')
  }

  /** Discovery documents are rebuilt only when the registry changes; undefined when `build` finds nothing. */
  private cached (key: string, build: () => unknown): string | undefined {
    const v = this.registry.version()
    if (v !== this.discoveryVersion) { this.discoveryCache.clear(); this.discoveryVersion = v }
    let text = this.discoveryCache.get(key)
    if (text === undefined) {
      const doc = build()
      if (doc === undefined) return undefined
      text = JSON.stringify(doc)
      this.discoveryCache.set(key, text)
    }
    return text
  }

  private sendCached (res: ServerResponse, key: string, build: () => unknown): void {
    const text = this.cached(key, build)
    if (text === undefined) throw new ApiError('NotFound', 'the server could not find the requested resource')
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
    res.end(text)
  }
}

type StreamingRoute = ResourceRoute & { namespace: string, name: string, subresource: string }

function isStreaming (r: ResourceRoute): r is StreamingRoute {
  return r.group === '' && r.resource === 'pods' && r.namespace !== undefined && r.name !== undefined && r.subresource !== undefined && STREAMING_SUBRESOURCES[r.subresource] !== undefined
}

export function apiServer (init: ApiServerInit): (components: ApiServerComponents) => ApiServer {
  return (components) => new ApiServer(components, init)
}
