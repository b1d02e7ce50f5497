import type { KubeObject } from '@edgemesh/common'
import type { ResourceInfo } from '../../machinery/types.js'
import { arr, num, rec, str } from '../../machinery/values.js'
import { NONE, col, formatMap } from './print-util.js'

/** `80/TCP,443:30443/TCP` as kubectl prints it. */
export function formatServicePorts (svc: KubeObject): string {
  const ports = arr(rec(svc.spec).ports).map(rec)
  if (ports.length === 0) return NONE
  return ports.map(p => {
    const np = num(p.nodePort)
    return `${String(p.port)}${np !== undefined && np !== 0 ? `:${np}` : ''}/${str(p.protocol) ?? 'TCP'}`
  }).join(',')
}

function externalIP (svc: KubeObject): string {
  const s = rec(svc.spec)
  const type = str(s.type) ?? 'ClusterIP'
  const external = arr(s.externalIPs).map(String)
  if (type === 'ExternalName') return str(s.externalName) ?? NONE
  if (type === 'LoadBalancer') {
    const ingress = arr(rec(rec(svc.status).loadBalancer).ingress).map(i => str(rec(i).ip) ?? str(rec(i).hostname)).filter((x): x is string => x !== undefined)
    const all = [...ingress, ...external]
    return all.length === 0 ? '<pending>' : all.join(',')
  }
  return external.length === 0 ? NONE : external.join(',')
}

export function serviceCells (svc: KubeObject): unknown[] {
  const s = rec(svc.spec)
  const type = str(s.type) ?? 'ClusterIP'
  const clusterIP = type === 'ExternalName' ? NONE : (str(s.clusterIP) ?? NONE)
  return [type, clusterIP === '' ? NONE : clusterIP, externalIP(svc), formatServicePorts(svc), formatMap(s.selector)]
}

export function servicesInfo (): ResourceInfo {
  return {
    group: '',
    version: 'v1',
    resource: 'services',
    kind: 'Service',
    singular: 'service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
    columns: [
      col('Type', 'The type of the service.'),
      col('Cluster-IP', 'The cluster IP of the service.'),
      col('External-IP', 'External IPs or load balancer ingress of the service.'),
      col('Port(s)', 'The ports the service listens on.'),
      col('Selector', 'The label selector of the service.', 1)
    ],
    cells: obj => serviceCells(obj),
    fieldSelectors: {
      'spec.clusterIP': o => str(rec(o.spec).clusterIP),
      'spec.type': o => str(rec(o.spec).type)
    }
  }
}
