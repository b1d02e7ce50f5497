import type { KubeObject } from '@edgemesh/common'
import { ApiError, badRequest, type ApiReason } from '@edgemesh/kube/machinery'
import type { ResourceBackend, DefaultResourceRegistry, StreamingTarget } from '@edgemesh/kube/server'

/** The pod a streaming request is for, checked the way kube-apiserver checks it before dialing the node. */
export interface PodTarget {
  pod: KubeObject
  nodeName: string
  uid?: string
  /** The container named in the query, or the pod's only one; undefined for port-forward. */
  container?: string
}

interface Container { name?: unknown }

const names = (list: unknown): string[] => Array.isArray(list) ? (list as Container[]).map(c => c.name).filter((n): n is string => typeof n === 'string') : []

/**
 * Loads the pod and checks what kube-apiserver checks: it exists, it is bound to a node, the container
 * exists (or is the only one), and for exec/attach/portforward it has not completed.
 */
export async function resolvePodTarget (storage: ResourceBackend, registry: DefaultResourceRegistry, t: StreamingTarget): Promise<PodTarget> {
  const def = registry.lookup('', 'v1', 'pods')
  if (def === undefined) throw new ApiError('NotFound', 'the server could not find the requested resource')
  const pod = await storage.get(def, t.namespace, t.name)
  const spec = (pod.spec ?? {}) as { nodeName?: unknown, containers?: unknown, initContainers?: unknown, ephemeralContainers?: unknown }
  const phase = (pod.status as { phase?: unknown } | undefined)?.phase
  const name = t.name
  const nodeName = typeof spec.nodeName === 'string' && spec.nodeName !== '' ? spec.nodeName : undefined
  if (t.subresource !== 'log' && (phase === 'Succeeded' || phase === 'Failed')) {
    throw badRequest(t.subresource === 'portforward'
      ? `cannot port-forward to a completed pod; current phase is ${phase}`
      : `cannot ${t.subresource === 'attach' ? 'attach to' : 'exec into'} a container in a completed pod; current phase is ${phase}`)
  }
  let container: string | undefined
  if (t.subresource !== 'portforward') {
    const main = names(spec.containers)
    const init = names(spec.initContainers)
    const all = [...main, ...init, ...names(spec.ephemeralContainers)]
    const asked = t.query.get('container') ?? ''
    if (asked !== '') {
      if (!all.includes(asked)) throw badRequest(`container ${asked} is not valid for pod ${name}`)
      container = asked
    } else if (main.length === 1) {
      container = main[0]
    } else {
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${main.join(' ')}]${init.length > 0 ? ` or one of the init containers: [${init.join(' ')}]` : ''}`)
    }
  }
  if (nodeName === undefined) throw badRequest(`pod ${name} does not have a host assigned`)
  return { pod, nodeName, uid: pod.metadata.uid, container }
}

const REASON_BY_STATUS: Record<number, ApiReason> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict',
  410: 'Gone', 413: 'RequestEntityTooLarge', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable'
}

/** A node's refusal or an unreachable node, as the Status the client gets. */
export function podStreamApiError (err: unknown, nodeName: string): unknown {
  const e = err as { code?: unknown, httpStatus?: unknown, message?: unknown }
  if (e?.code === 'POD_STREAM_REFUSED' && typeof e.httpStatus === 'number') {
    return new ApiError(REASON_BY_STATUS[e.httpStatus] ?? (e.httpStatus >= 500 ? 'InternalError' : 'BadRequest'), String(e.message))
  }
  if (e?.code === 'POD_STREAM_UNAVAILABLE') return new ApiError('ServiceUnavailable', `error dialing backend: node "${nodeName}" is not connected`)
  if (e?.code === 'POD_STREAM_ABORTED' || e?.code === 'POD_STREAM_INVALID') return new ApiError('InternalError', `error dialing backend: ${String(e.message)}`)
  return err
}
