import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { ConfigError, type KubeList, type KubeObject, type WatchEvent } from '@edgemesh/common'
import { parse as parseYaml } from 'yaml'
import { API_REASONS, ApiError, type ApiReason } from '../machinery/errors.js'
import type { DeleteOpts, ListOpts, ObjectClient, PatchType, ResourceDefinition, ResourceRef, ResourceRegistry, WatchOpts } from '../machinery/types.js'
import { ControllerError } from './errors.js'

/** Where the API is and who we are: what a kubeconfig's current context says. */
export interface HttpClientInit {
  /** `https://host:6443` or `http://127.0.0.1:10550` (an edge meta-server). */
  server: string
  /** CA bundle (PEM) the server's certificate must chain to. */
  caPem?: string
  certPem?: string
  keyPem?: string
  token?: string
  /** Skip server certificate verification (kubeconfig `insecure-skip-tls-verify`). @default false */
  insecure?: boolean
  /** One request's time limit (watches excepted). @default 30_000 */
  timeoutMs?: number
  /** Responses larger than this are refused (a bound on what one call may buffer). @default 64 MiB */
  maxResponseBytes?: number
  /** Longest line of a watch stream. @default 16 MiB */
  maxWatchEventBytes?: number
}

export interface HttpClientComponents {
  /** Resolves refs without a version and answers resolveKind. @default none: refs need a version, resolveKind answers undefined */
  registry?: Pick<ResourceRegistry, 'byKind' | 'lookupAnyVersion'>
}

const PATCH_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml'
}

/**
 * ObjectClient over HTTP(S): the same calls as the in-process LocalClient, against any
 * Kubernetes-compatible API (cloudcore, an edge meta-server, a kube-apiserver). Errors are ApiErrors
 * built from the server's Status (same codes as in-process: API_NOT_FOUND, API_CONFLICT, ...).
 */
export class HttpObjectClient implements ObjectClient {
  private readonly base: URL
  private readonly agent: HttpAgent | HttpsAgent
  private readonly headers: Record<string, string>
  private readonly timeoutMs: number
  private readonly maxBytes: number
  private readonly maxLine: number

  constructor (private readonly init: HttpClientInit, private readonly components: HttpClientComponents = {}) {
    this.base = new URL(init.server)
    const https = this.base.protocol === 'https:'
    this.agent = https
      ? new HttpsAgent({ keepAlive: true, ca: init.caPem, cert: init.certPem, key: init.keyPem, rejectUnauthorized: init.insecure !== true })
      : new HttpAgent({ keepAlive: true })
    this.headers = { Accept: 'application/json', ...(init.token !== undefined ? { Authorization: `Bearer ${init.token}` } : {}) }
    this.timeoutMs = init.timeoutMs ?? 30_000
    this.maxBytes = init.maxResponseBytes ?? 64 * 1024 * 1024
    this.maxLine = init.maxWatchEventBytes ?? 16 * 1024 * 1024
  }

  async get<T extends KubeObject = KubeObject> (ref: ResourceRef, name: string): Promise<T> {
    return await this.call<T>('GET', this.path(ref, name))
  }

  async list<T extends KubeObject = KubeObject> (ref: ResourceRef, opts: ListOpts = {}): Promise<KubeList<T>> {
    return await this.call<KubeList<T>>('GET', this.path(ref, undefined, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit, continue: opts.continue, resourceVersion: opts.resourceVersion }))
  }

  async create<T extends KubeObject = KubeObject> (ref: ResourceRef, obj: T): Promise<T> {
    return await this.call<T>('POST', this.path(ref), obj)
  }

  async update<T extends KubeObject = KubeObject> (ref: ResourceRef, obj: T, subresource?: 'status' | 'scale'): Promise<T> {
    return await this.call<T>('PUT', this.path(ref, obj.metadata.name ?? '', {}, subresource), obj)
  }

  async patch<T extends KubeObject = KubeObject> (ref: ResourceRef, name: string, type: PatchType, patch: unknown, opts: { subresource?: string, fieldManager?: string, force?: boolean } = {}): Promise<T> {
    const body = typeof patch === 'string' ? patch : JSON.stringify(patch)
    return await this.call<T>('PATCH', this.path(ref, name, { fieldManager: opts.fieldManager, force: opts.force }, opts.subresource), body, PATCH_TYPES[type])
  }

  async delete<T extends KubeObject = KubeObject> (ref: ResourceRef, name: string, opts: DeleteOpts = {}): Promise<T | undefined> {
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', ...opts }
    const out = await this.call<T & { kind?: string }>('DELETE', this.path(ref, name), body)
    return out.kind === 'Status' ? undefined : out
  }

  resolveKind (gvk: { group: string, version: string, kind: string }): ResourceDefinition | undefined {
    return this.components.registry?.byKind(gvk)
  }

  watch<T extends KubeObject = KubeObject> (ref: ResourceRef, opts: WatchOpts): AsyncIterable<WatchEvent<T>> {
    const path = this.path(ref, undefined, { watch: true, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, resourceVersion: opts.resourceVersion, allowWatchBookmarks: opts.allowWatchBookmarks })
    const open = async (): Promise<IncomingMessage> => await new Promise<IncomingMessage>((resolve, reject) => {
      const req = this.request('GET', path, undefined, undefined, opts.signal)
      req.once('response', res => {
        if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) { resolve(res); return }
        void readBody(res, this.maxBytes).then(text => { reject(statusError(res.statusCode ?? 0, text)) }, reject)
      })
      req.once('error', reject)
      req.end()
    })
    const maxLine = this.maxLine
    const signal = opts.signal
    return {
      async * [Symbol.asyncIterator] () {
        let res: IncomingMessage
        try {
          res = await open()
        } catch (err) {
          if (signal.aborted) return
          throw err
        }
        const lines = createInterface({ input: res, crlfDelay: Infinity })
        try {
          for await (const line of lines) {
            if (line.length > maxLine) throw new ApiError('InternalError', `watch event over ${maxLine} bytes`)
            if (line.trim() === '') continue
            yield JSON.parse(line) as WatchEvent<T>
          }
        } catch (err) {
          if (signal.aborted) return
          throw err
        } finally {
          lines.close()
          res.destroy()
        }
      }
    }
  }

  private async call<T> (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    return await new Promise<T>((resolve, reject) => {
      const req = this.request(method, path, payload, contentType)
      req.setTimeout(this.timeoutMs, () => { req.destroy(new ApiError('ServiceUnavailable', `${method} ${path}: no response in ${this.timeoutMs} ms`)) })
      req.once('response', res => {
        readBody(res, this.maxBytes).then(text => {
          const status = res.statusCode ?? 0
          if (status < 200 || status >= 300) { reject(statusError(status, text)); return }
          try { resolve(JSON.parse(text) as T) } catch (err) { reject(new ApiError('InternalError', `${method} ${path}: response is not JSON`, undefined, { cause: err })) }
        }, reject)
      })
      req.once('error', err => { reject(err instanceof ApiError ? err : new ApiError('ServiceUnavailable', `${method} ${path}: ${err.message}`, undefined, { cause: err })) })
      req.end(payload)
    })
  }

  private request (method: string, path: string, payload: string | undefined, contentType?: string, signal?: AbortSignal): ReturnType<typeof httpRequest> {
    const headers: Record<string, string | number> = { ...this.headers }
    if (payload !== undefined) { headers['Content-Type'] = contentType ?? 'application/json'; headers['Content-Length'] = Buffer.byteLength(payload) }
    const opts = { agent: this.agent, host: this.base.hostname, port: this.base.port, method, path, headers, signal }
    return this.base.protocol === 'https:' ? httpsRequest(opts) : httpRequest(opts)
  }

  private path (ref: ResourceRef, name?: string, query: Record<string, string | number | boolean | undefined> = {}, subresource?: string): string {
    const version = ref.version ?? this.components.registry?.lookupAnyVersion?.(ref.group, ref.resource)?.version
    if (version === undefined) throw new ControllerError('CONTROLLER_REF_INCOMPLETE', `no version for ${ref.resource}.${ref.group} (pass one in the ref or give the client a registry)`)
    const root = ref.group === '' ? `/api/${version}` : `/apis/${ref.group}/${version}`
    const ns = ref.namespace !== undefined && ref.namespace !== '' ? `/namespaces/${encodeURIComponent(ref.namespace)}` : ''
    const tail = `${name !== undefined ? `/${encodeURIComponent(name)}` : ''}${subresource !== undefined ? `/${subresource}` : ''}`
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v))
    const qs = q.toString()
    return `${this.base.pathname.replace(/\/$/, '')}${root}${ns}/${ref.resource}${tail}${qs === '' ? '' : `?${qs}`}`
  }
}

async function readBody (res: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of res as AsyncIterable<Buffer>) {
    size += c.length
    if (size > max) { res.destroy(); throw new ApiError('InternalError', `response over ${max} bytes`) }
    chunks.push(c)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The server's Status as an ApiError (its reason, message and details), whatever the status code. */
function statusError (status: number, text: string): ApiError {
  let s: { reason?: string, message?: string, details?: Record<string, unknown> } = {}
  try { s = JSON.parse(text) as typeof s } catch { /* not a Status */ }
  const reason: ApiReason = s.reason !== undefined && s.reason in API_REASONS ? s.reason as ApiReason : reasonFor(status)
  return new ApiError(reason, s.message ?? `HTTP ${status}: ${text.slice(0, 200)}`, s.details as never)
}

function reasonFor (status: number): ApiReason {
  const found = (Object.entries(API_REASONS) as Array<[ApiReason, { http: number }]>).find(([, v]) => v.http === status)
  return found?.[0] ?? 'InternalError'
}

/** Builds an HttpObjectClient from a kubeconfig file's current context (embedded or file certificates, token, insecure). */
export async function httpClientFromKubeconfig (file: string, components: HttpClientComponents = {}): Promise<HttpObjectClient> {
  const doc = parseYaml(await readFile(file, 'utf8')) as Record<string, any>
  const ctxName = doc['current-context'] as string | undefined
  const ctx = (doc.contexts as Array<{ name: string, context: { cluster: string, user?: string } }> | undefined)?.find(c => c.name === ctxName)?.context
  const cluster = (doc.clusters as Array<{ name: string, cluster: Record<string, any> }> | undefined)?.find(c => c.name === ctx?.cluster)?.cluster
  if (cluster === undefined) throw new ConfigError(`kubeconfig ${file} has no cluster for its current context "${ctxName ?? ''}"`, { key: 'current-context', file })
  const user = (doc.users as Array<{ name: string, user: Record<string, any> }> | undefined)?.find(u => u.name === ctx?.user)?.user ?? {}
  const data = async (inline: unknown, path: unknown): Promise<string | undefined> => {
    if (typeof inline === 'string') return Buffer.from(inline, 'base64').toString('utf8')
    if (typeof path === 'string') return await readFile(path, 'utf8')
    return undefined
  }
  return new HttpObjectClient({
    server: String(cluster.server),
    caPem: await data(cluster['certificate-authority-data'], cluster['certificate-authority']),
    certPem: await data(user['client-certificate-data'], user['client-certificate']),
    keyPem: await data(user['client-key-data'], user['client-key']),
    token: typeof user.token === 'string' ? user.token : undefined,
    insecure: cluster['insecure-skip-tls-verify'] === true
  }, components)
}
