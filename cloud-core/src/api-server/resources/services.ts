import type { KubeObject } from '@edgemesh/common'
import { servicesInfo } from '@edgemesh/kube/server'
import { invalid, type FieldCause, type ResourceDefinition } from '@edgemesh/kube/machinery'
import { ServiceAllocator, type ServiceAllocatorInit } from './service-allocator.js'
import { arr, cause, num, rec, str, DNS1123_LABEL } from './util.js'

const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']
const PROTOCOLS = ['TCP', 'UDP', 'SCTP']

function applyDefaults (svc: KubeObject): void {
  const s = rec(svc.spec)
  svc.spec = s
  s.type ??= 'ClusterIP'
  s.sessionAffinity ??= 'None'
  if (s.type !== 'ExternalName') {
    s.ipFamilies ??= ['IPv4']
    s.ipFamilyPolicy ??= 'SingleStack'
    s.internalTrafficPolicy ??= 'Cluster'
  }
  if (s.type === 'NodePort' || s.type === 'LoadBalancer') s.externalTrafficPolicy ??= 'Cluster'
  for (const p of arr(s.ports)) {
    const r = rec(p)
    r.protocol ??= 'TCP'
    r.targetPort ??= r.port
  }
}

export function validateService (svc: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes: FieldCause[] = []
  const s = rec(svc.spec)
  const type = str(s.type) ?? 'ClusterIP'
  if (!TYPES.includes(type)) causes.push(cause('spec.type', `Unsupported value: "${type}": supported values: "${TYPES.join('", "')}"`, 'FieldValueNotSupported'))
  const ports = arr(s.ports).map(rec)
  const headless = s.clusterIP === 'None'
  if (type === 'ExternalName') {
    if (str(s.externalName) === undefined || s.externalName === '') causes.push(cause('spec.externalName', 'Required value', 'FieldValueRequired'))
  } else if (ports.length === 0 && !headless) {
    causes.push(cause('spec.ports', 'Required value', 'FieldValueRequired'))
  }
  if (headless && (type === 'NodePort' || type === 'LoadBalancer')) causes.push(cause('spec.clusterIP', `Invalid value: "None": may not be set to 'None' for ${type} services`))
  const names = new Set<string>()
  const keys = new Set<string>()
  ports.forEach((p, i) => {
    const port = num(p.port)
    if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) causes.push(cause(`spec.ports[${i}].port`, `Invalid value: ${String(p.port)}: must be between 1 and 65535, inclusive`))
    const protocol = str(p.protocol) ?? 'TCP'
    if (!PROTOCOLS.includes(protocol)) causes.push(cause(`spec.ports[${i}].protocol`, `Unsupported value: "${protocol}": supported values: "SCTP", "TCP", "UDP"`, 'FieldValueNotSupported'))
    const name = str(p.name)
    if (ports.length > 1 && (name === undefined || name === '')) causes.push(cause(`spec.ports[${i}].name`, 'Required value', 'FieldValueRequired'))
    if (name !== undefined && name !== '') {
      if (!DNS1123_LABEL.test(name)) causes.push(cause(`spec.ports[${i}].name`, `Invalid value: "${name}": must be a lower-case RFC 1123 label`))
      if (names.has(name)) causes.push(cause(`spec.ports[${i}].name`, `Duplicate value: "${name}"`, 'FieldValueDuplicate'))
      names.add(name)
    }
    const key = `${String(port)}/${protocol}`
    if (keys.has(key)) causes.push(cause(`spec.ports[${i}]`, `Duplicate value: {"port":${String(port)},"protocol":"${protocol}"}`, 'FieldValueDuplicate'))
    keys.add(key)
    const tp = p.targetPort
    if (typeof tp === 'number' && (!Number.isInteger(tp) || tp < 1 || tp > 65535)) causes.push(cause(`spec.ports[${i}].targetPort`, `Invalid value: ${tp}: must be between 1 and 65535, inclusive`))
    const np = num(p.nodePort)
    if (np !== undefined && np !== 0 && type !== 'NodePort' && type !== 'LoadBalancer') {
      causes.push(cause(`spec.ports[${i}].nodePort`, `Forbidden: may not be used when \`type\` is '${type}'`, 'FieldValueForbidden'))
    }
  })
  if (old !== undefined) causes.push(...clusterIPImmutable(svc, old))
  return causes
}

function clusterIPImmutable (svc: KubeObject, old: KubeObject): FieldCause[] {
  const s = rec(svc.spec); const o = rec(old.spec)
  if (s.type === 'ExternalName' || o.type === 'ExternalName') return []
  const before = str(o.clusterIP) ?? ''
  const after = str(s.clusterIP) ?? ''
  if (before !== '' && after !== '' && before !== after) return [cause('spec.clusterIPs[0]', 'Invalid value: field is immutable')]
  return []
}

/** Carries server-set values the client left out (kubectl replace, controllers writing partial specs). */
function carryOver (svc: KubeObject, old: KubeObject): void {
  const s = rec(svc.spec); const o = rec(old.spec)
  svc.spec = s
  if (s.type === 'ExternalName') {
    delete s.clusterIP
    delete s.clusterIPs
    return
  }
  if ((str(s.clusterIP) ?? '') === '' && o.type !== 'ExternalName' && str(o.clusterIP) !== undefined) {
    s.clusterIP = o.clusterIP
    s.clusterIPs = o.clusterIPs ?? [o.clusterIP]
  }
  const nodePorts = s.type === 'NodePort' || s.type === 'LoadBalancer'
  const oldPorts = arr(o.ports).map(rec)
  for (const p of arr(s.ports).map(rec)) {
    if (!nodePorts) { delete p.nodePort; continue }
    if (num(p.nodePort) !== undefined && p.nodePort !== 0) continue
    const match = oldPorts.find(q => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'))
    if (num(match?.nodePort) !== undefined) p.nodePort = match?.nodePort
  }
}

/**
 * After carryOver: same type, clusterIP(s) and per-port nodePorts as the stored object, so everything
 * allocated is already held by this Service and the list-under-mutex in the allocator can be skipped.
 */
function allocationUnchanged (svc: KubeObject, old: KubeObject): boolean {
  const s = rec(svc.spec); const o = rec(old.spec)
  const alloc = (x: Record<string, unknown>): string => JSON.stringify([
    str(x.type) ?? 'ClusterIP', str(x.clusterIP) ?? '', arr(x.clusterIPs).map(str), arr(x.ports).map(p => num(rec(p).nodePort) ?? 0)
  ])
  return alloc(s) === alloc(o)
}

/**
 * core/v1 services. ClusterIPs and NodePorts come from `allocator` (one per API server);
 * pass the same instance to every registration of the definition.
 */
export function servicesResource (allocator: ServiceAllocator = new ServiceAllocator()): ResourceDefinition {
  return {
    ...servicesInfo(),
    prepareForCreate: async (obj, ctx) => {
      applyDefaults(obj)
      const early = validateService(obj, undefined)
      if (early.length > 0) throw invalid('Service', obj.metadata.name ?? '', early)
      await allocator.allocate(obj, ctx.client)
    },
    prepareForUpdate: async (obj, old, ctx) => {
      applyDefaults(obj)
      carryOver(obj, old)
      const early = validateService(obj, old)
      if (early.length > 0) throw invalid('Service', obj.metadata.name ?? '', early)
      if (allocationUnchanged(obj, old)) return
      await allocator.allocate(obj, ctx.client)
    },
    prepareForStatusUpdate: (obj, old) => { obj.spec = old.spec },
    validate: (obj, old) => validateService(obj, old),
    afterDelete: obj => { allocator.release(obj) }
  }
}

export { ServiceAllocator, type ServiceAllocatorInit }
