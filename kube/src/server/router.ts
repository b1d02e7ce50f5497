import { badRequest } from '../machinery/errors.js'
import { isSafeSegment } from '../machinery/object-meta.js'

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection'

export type Route =
  | { type: 'nonresource', path: string }
  | { type: 'api-versions' }
  | { type: 'api-groups' }
  | { type: 'api-group', group: string }
  | { type: 'api-resources', group: string, version: string }
  | ResourceRoute

export interface ResourceRoute {
  type: 'resource'
  verb: Verb
  group: string
  version: string
  resource: string
  namespace?: string
  name?: string
  subresource?: string
}

// Namespace subresources take the slot where a namespaced resource name would go (kube RequestInfo rule).
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize'])

function verbOf (method: string, hasName: boolean, watchParam: boolean): Verb | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watchParam) return 'watch'
      return hasName ? 'get' : 'list'
    case 'POST': return 'create'
    case 'PUT': return hasName ? 'update' : undefined
    case 'PATCH': return hasName ? 'patch' : undefined
    case 'DELETE': return hasName ? 'delete' : 'deletecollection'
    default: return undefined
  }
}

/**
 * Parses a request path into a route without regexes per resource: the set of prefixes is fixed
 * (/api, /apis, /watch) and everything else is positional. Unsafe segments are rejected here.
 */
export function route (method: string, pathname: string, watchParam: boolean): Route | { type: 'method-not-allowed' } {
  const raw = pathname.split('/').filter(s => s !== '')
  let parts: string[]
  try {
    parts = raw.map(s => decodeURIComponent(s))
  } catch {
    throw badRequest('malformed path')
  }
  if (parts[0] !== 'api' && parts[0] !== 'apis') return { type: 'nonresource', path: pathname }
  let group: string
  let version: string | undefined
  let rest: string[]
  if (parts[0] === 'api') {
    if (parts.length === 1) return { type: 'api-versions' }
    group = ''
    version = parts[1]!
    rest = parts.slice(2)
  } else {
    if (parts.length === 1) return { type: 'api-groups' }
    group = parts[1]!
    if (parts.length === 2) return { type: 'api-group', group }
    version = parts[2]!
    rest = parts.slice(3)
  }
  if (rest.length === 0) return { type: 'api-resources', group, version }
  let watch = watchParam
  if (rest[0] === 'watch') { watch = true; rest = rest.slice(1) }
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2)
    else namespace = undefined
  }
  const [resource, name, subresource, ...extra] = rest
  if (resource === undefined || extra.length > 0) return { type: 'nonresource', path: pathname }
  for (const seg of [namespace, name]) {
    if (seg !== undefined && !isSafeSegment(seg)) throw badRequest(`invalid name or namespace in the request path: "${seg}"`)
  }
  const verb = verbOf(method, name !== undefined, watch && method === 'GET')
  if (verb === undefined) return { type: 'method-not-allowed' }
  return { type: 'resource', verb, group, version, resource, namespace, name, subresource }
}
