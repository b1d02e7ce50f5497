import type { KubeObject } from '@edgemesh/common'
import { ApiError, NODE_LEASE_NAMESPACE, type RequestUser } from '@edgemesh/kube/machinery'
import type { RequestAttributes, RequestAuthorizer, Verb } from '@edgemesh/kube/server'

/** What the node rules need to know about stored objects (a pod's node). */
export interface AuthorizerComponents {
  getPod?: (namespace: string, name: string) => Promise<KubeObject | undefined>
}

const READ = new Set<Verb>(['get', 'list', 'watch'])
const WRITE = new Set<Verb>(['create', 'update', 'patch'])
// What an EdgeMesh-compatible agent reads: service discovery plus namespaces (its DNS lists them to
// tell an unknown namespace from an unknown service; a 403 there makes every cluster query SERVFAIL)
// and pods (headless Services answer with pod IPs and hostnames).
const MESH_READ = new Set(['/services', '/endpoints', '/namespaces', '/pods', 'discovery.k8s.io/endpointslices', 'networking.istio.io/destinationrules'])
const NODE_PREFIX = 'system:node:'
// A node credential never opens a shell, a port or a log stream into any pod, its own included: the
// cloud reaches pods through the node, never the other way round (kube's node authorizer agrees).
const NODE_DENIED_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy'])

/**
 * Fixed roles, checked in order: system:masters may do anything; nodes (system:nodes,
 * user system:node:<name>) read core resources and write only what belongs to them; the mesh
 * agent (system:edgemesh) reads what service discovery and its DNS need. Everything else is 403.
 */
export class Authorizer implements RequestAuthorizer {
  private readonly getPod?: AuthorizerComponents['getPod']

  constructor (components: AuthorizerComponents = {}) {
    this.getPod = components.getPod
  }

  async allowed (user: RequestUser, a: RequestAttributes): Promise<boolean> {
    if (user.groups.includes('system:masters')) return true
    if (user.groups.includes('system:nodes') && user.name.startsWith(NODE_PREFIX) && await this.nodeAllowed(user.name.slice(NODE_PREFIX.length), a)) return true
    if ((user.name === 'system:edgemesh' || user.groups.includes('system:edgemesh')) && READ.has(a.verb) && a.subresource === undefined && MESH_READ.has(`${a.group}/${a.resource}`)) return true
    return false
  }

  async authorize (user: RequestUser, a: RequestAttributes): Promise<void> {
    if (await this.allowed(user, a)) return
    const res = a.group === '' ? a.resource : `${a.resource}.${a.group}`
    const sub = a.subresource !== undefined ? `/${a.subresource}` : ''
    const scope = a.namespace !== undefined ? ` in the namespace "${a.namespace}"` : ' at the cluster scope'
    throw new ApiError('Forbidden', `${a.resource}${sub}${a.name !== undefined ? ` "${a.name}"` : ''} is forbidden: User "${user.name}" cannot ${a.verb} resource "${res}${sub}" in API group "${a.group}"${scope}`, { name: a.name, group: a.group, kind: a.resource })
  }

  private async nodeAllowed (node: string, a: RequestAttributes): Promise<boolean> {
    // Secrets reach a node's pods through cloud-hub, scoped to what is bound there; a node credential
    // must not read every Secret in the cluster (kube's node authorizer draws the same line).
    if (a.group === '' && NODE_DENIED_SUBRESOURCES.has(a.subresource ?? '')) return false
    if (a.group === '' && READ.has(a.verb) && a.resource !== 'secrets') return true
    if (a.group === 'coordination.k8s.io' && a.resource === 'leases' && READ.has(a.verb)) return true
    if (a.group === '' && a.resource === 'nodes' && (WRITE.has(a.verb) || a.verb === 'delete') && a.name === node && (a.subresource === undefined || a.subresource === 'status')) return true
    if (a.group === 'coordination.k8s.io' && a.resource === 'leases' && (WRITE.has(a.verb) || a.verb === 'delete') && a.namespace === NODE_LEASE_NAMESPACE && a.name === node && a.subresource === undefined) return true
    if (a.group === '' && a.resource === 'events' && (a.verb === 'create' || a.verb === 'patch' || a.verb === 'update')) return true
    if (a.group === '' && a.resource === 'pods' && a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch') && a.namespace !== undefined && a.name !== undefined && this.getPod !== undefined) {
      const pod = await this.getPod(a.namespace, a.name)
      return (pod?.spec as { nodeName?: string } | undefined)?.nodeName === node
    }
    return false
  }
}
