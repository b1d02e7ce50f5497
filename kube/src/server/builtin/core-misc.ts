import type { KubeObject } from '@edgemesh/common'
import type { ResourceInfo } from '../../machinery/types.js'
import { arr, num, rec, str } from '../../machinery/values.js'
import { humanDuration } from '../table.js'
import { NONE, col } from './print-util.js'

/** `10.0.0.1:80,10.0.0.2:80 + 3 more...` like kubectl, at most three shown. */
export function formatEndpoints (ep: KubeObject): string {
  const all: string[] = []
  for (const subset of arr(ep.subsets).map(rec)) {
    const ports = arr(subset.ports).map(p => num(rec(p).port))
    for (const a of arr(subset.addresses).map(rec)) {
      const ip = str(a.ip) ?? ''
      if (ports.length === 0) all.push(ip)
      for (const p of ports) all.push(p === undefined ? ip : `${ip}:${p}`)
    }
  }
  if (all.length === 0) return NONE
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',')
}

function dataCount (obj: KubeObject): number {
  return Object.keys(rec(obj.data)).length + Object.keys(rec(obj.binaryData)).length
}

export function eventObject (ev: KubeObject): string {
  const io = rec(ev.involvedObject)
  return `${(str(io.kind) ?? '').toLowerCase()}/${str(io.name) ?? ''}`
}

/** LAST SEEN as an age, from the newest timestamp the event carries. */
export function lastSeen (ev: KubeObject, now: Date): string {
  const t = str(ev.lastTimestamp) ?? str(rec(ev.series).lastObservedTime) ?? str(ev.eventTime) ?? ev.metadata.creationTimestamp
  const ms = t === undefined ? NaN : Date.parse(t)
  return Number.isNaN(ms) ? NONE : humanDuration(now.getTime() - ms)
}

export function endpointSlicePorts (slice: KubeObject): string {
  const ports = arr(slice.ports).map(p => num(rec(p).port)).filter((p): p is number => p !== undefined)
  return ports.length === 0 ? NONE : ports.join(',')
}

export function endpointSliceEndpoints (slice: KubeObject): string {
  const addrs = arr(slice.endpoints).flatMap(e => arr(rec(e).addresses).map(String))
  if (addrs.length === 0) return NONE
  return addrs.length > 3 ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...` : addrs.join(',')
}

export function endpointsInfo (): ResourceInfo {
  return {
    group: '',
    version: 'v1',
    resource: 'endpoints',
    kind: 'Endpoints',
    singular: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
    columns: [col('Endpoints', 'Endpoints of the service.')],
    cells: obj => [formatEndpoints(obj)]
  }
}

export function configMapsInfo (): ResourceInfo {
  return {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    kind: 'ConfigMap',
    singular: 'configmap',
    namespaced: true,
    shortNames: ['cm'],
    columns: [col('Data', 'Number of data entries.', 0, 'integer')],
    cells: obj => [dataCount(obj)]
  }
}

export function secretsInfo (): ResourceInfo {
  return {
    group: '',
    version: 'v1',
    resource: 'secrets',
    kind: 'Secret',
    singular: 'secret',
    namespaced: true,
    columns: [col('Type', 'The type of the secret.'), col('Data', 'Number of data entries.', 0, 'integer')],
    cells: obj => [str(obj.type) ?? 'Opaque', Object.keys(rec(obj.data)).length],
    fieldSelectors: { type: o => str(o.type) ?? 'Opaque' }
  }
}

export function eventsInfo (): ResourceInfo {
  const io = (o: KubeObject, k: string): string | undefined => str(rec(o.involvedObject)[k])
  return {
    group: '',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    singular: 'event',
    namespaced: true,
    shortNames: ['ev'],
    columns: [
      col('Last Seen', 'When the event was last seen.'),
      col('Type', 'Normal or Warning.'),
      col('Reason', 'Why the event happened.'),
      col('Object', 'The object the event is about.'),
      col('Message', 'What happened.')
    ],
    cells: (obj, now) => [lastSeen(obj, now), str(obj.type) ?? '', str(obj.reason) ?? '', eventObject(obj), str(obj.message) ?? ''],
    fieldSelectors: {
      'involvedObject.kind': o => io(o, 'kind'),
      'involvedObject.name': o => io(o, 'name'),
      'involvedObject.namespace': o => io(o, 'namespace'),
      'involvedObject.uid': o => io(o, 'uid'),
      'involvedObject.apiVersion': o => io(o, 'apiVersion'),
      'involvedObject.resourceVersion': o => io(o, 'resourceVersion'),
      'involvedObject.fieldPath': o => io(o, 'fieldPath'),
      reason: o => str(o.reason),
      type: o => str(o.type),
      source: o => str(rec(o.source).component),
      reportingComponent: o => str(o.reportingComponent)
    }
  }
}

export function serviceAccountsInfo (): ResourceInfo {
  return {
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    singular: 'serviceaccount',
    namespaced: true,
    shortNames: ['sa'],
    columns: [col('Secrets', 'Number of secrets.', 0, 'integer')],
    cells: obj => [arr(obj.secrets).length]
  }
}

export function endpointSlicesInfo (): ResourceInfo {
  return {
    group: 'discovery.k8s.io',
    version: 'v1',
    resource: 'endpointslices',
    kind: 'EndpointSlice',
    singular: 'endpointslice',
    namespaced: true,
    columns: [
      col('AddressType', 'The type of addresses in the slice.'),
      col('Ports', 'Ports of the slice.'),
      col('Endpoints', 'Endpoint addresses of the slice.')
    ],
    cells: obj => [str(obj.addressType) ?? '', endpointSlicePorts(obj), endpointSliceEndpoints(obj)],
    fieldSelectors: { addressType: o => str(o.addressType) }
  }
}

export function leasesInfo (): ResourceInfo {
  return {
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    kind: 'Lease',
    singular: 'lease',
    namespaced: true,
    columns: [col('Holder', 'The holder of the lease.')],
    cells: obj => [str(rec(obj.spec).holderIdentity) ?? NONE],
    fieldSelectors: { 'spec.holderIdentity': o => str(rec(o.spec).holderIdentity) }
  }
}
