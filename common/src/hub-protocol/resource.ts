import { HubProtocolError } from './errors.js'

/** What a route.resource string names. `namespace` is null for cluster-scoped objects (`null` on the wire). */
export interface ResourceRef {
  namespace: string | null
  kind: string
  name: string
}

export interface CloudResourceRef extends ResourceRef {
  node: string
}

// Kubernetes names are DNS-1123 subdomains; kinds are lower-case words; node names are DNS-1123 too.
// ':' is allowed in names because some objects (RBAC, leases of system components) carry it.
const NAME = /^[a-zA-Z0-9]([-a-zA-Z0-9._:]{0,251}[a-zA-Z0-9])?$/
const KIND = /^[a-zA-Z][a-zA-Z0-9]{0,62}$/
const DNS1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/
const NULL_NS = 'null'

/** True when `name` is a valid DNS-1123 subdomain (at most 253 characters), as node names must be. */
export function isValidNodeName (name: string): boolean {
  return name.length > 0 && name.length <= 253 && DNS1123.test(name)
}

function check (ref: ResourceRef, raw: string): void {
  const nsOk = ref.namespace === null || (DNS1123.test(ref.namespace) && ref.namespace.length <= 63 && ref.namespace !== NULL_NS)
  if (!nsOk) throw new HubProtocolError('HUB_RESOURCE_INVALID', `bad namespace in resource "${raw}"`)
  if (!KIND.test(ref.kind)) throw new HubProtocolError('HUB_RESOURCE_INVALID', `bad kind in resource "${raw}"`)
  if (!NAME.test(ref.name)) throw new HubProtocolError('HUB_RESOURCE_INVALID', `bad name in resource "${raw}"`)
}

function parts (ref: ResourceRef): string {
  return `${ref.namespace ?? NULL_NS}/${ref.kind}/${ref.name}`
}

/** Edge-side form: `<ns>/<kind>/<name>`. */
export function formatEdgeResource (ref: ResourceRef): string {
  const s = parts(ref)
  check(ref, s)
  return s
}

/** Cloud-side form: `node/<node>/<ns>/<kind>/<name>`. */
export function formatCloudResource (ref: CloudResourceRef): string {
  const s = `node/${ref.node}/${parts(ref)}`
  if (!isValidNodeName(ref.node)) throw new HubProtocolError('HUB_RESOURCE_INVALID', `bad node name in resource "${s}"`)
  check(ref, s)
  return s
}

/** Parses `<ns>/<kind>/<name>`. Throws HubProtocolError HUB_RESOURCE_INVALID. */
export function parseEdgeResource (s: string): ResourceRef {
  const p = s.split('/')
  if (p.length !== 3) throw new HubProtocolError('HUB_RESOURCE_INVALID', `resource "${s}" is not <ns>/<kind>/<name>`)
  const [ns, kind, name] = p as [string, string, string]
  const ref = { namespace: ns === NULL_NS ? null : ns, kind, name }
  check(ref, s)
  return ref
}

/** Parses `node/<node>/<ns>/<kind>/<name>`. Throws HubProtocolError HUB_RESOURCE_INVALID. */
export function parseCloudResource (s: string): CloudResourceRef {
  const p = s.split('/')
  if (p.length !== 5 || p[0] !== 'node') throw new HubProtocolError('HUB_RESOURCE_INVALID', `resource "${s}" is not node/<node>/<ns>/<kind>/<name>`)
  const node = p[1] as string
  if (!isValidNodeName(node)) throw new HubProtocolError('HUB_RESOURCE_INVALID', `bad node name in resource "${s}"`)
  return { node, ...parseEdgeResource(p.slice(2).join('/')) }
}

/** The edge-side form of a cloud-side resource string, checking it is addressed to `node`. */
export function cloudToEdgeResource (s: string, node: string): string {
  const ref = parseCloudResource(s)
  if (ref.node !== node) throw new HubProtocolError('HUB_RESOURCE_INVALID', `resource "${s}" is addressed to node "${ref.node}", not "${node}"`)
  return formatEdgeResource(ref)
}
