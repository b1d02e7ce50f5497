import type { KubeObject } from '@edgemesh/common'
import { humanDuration } from '@edgemesh/kube/server'
import type { FieldCause, ResourceDefinition } from '@edgemesh/kube/machinery'
import { NONE, arr, cause, col, num, rec, str } from './util.js'

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

export function endpointsResource (): ResourceDefinition {
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

function dataCount (obj: KubeObject): number {
  return Object.keys(rec(obj.data)).length + Object.keys(rec(obj.binaryData)).length
}

export function configMapsResource (): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    kind: 'ConfigMap',
    singular: 'configmap',
    namespaced: true,
    shortNames: ['cm'],
    columns: [col('Data', 'Number of data entries.', 0, 'integer')],
    cells: obj => [dataCount(obj)],
    validate: obj => validateDataKeys(obj, ['data', 'binaryData'])
  }
}

const KEY_RE = /^[-._a-zA-Z0-9]+$/
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function validateDataKeys (obj: KubeObject, fields: string[]): FieldCause[] {
  const causes: FieldCause[] = []
  const seen = new Set<string>()
  for (const f of fields) {
    for (const [k, v] of Object.entries(rec(obj[f]))) {
      if (!KEY_RE.test(k) || k.length > 253) causes.push(cause(`${f}[${k}]`, `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`))
      if (seen.has(k)) causes.push(cause(`${f}[${k}]`, `Invalid value: "${k}": duplicate of key present in ${fields[0] ?? 'data'}`))
      seen.add(k)
      if (typeof v !== 'string') causes.push(cause(`${f}[${k}]`, 'Invalid value: must be a string'))
    }
  }
  return causes
}

/** Folds write-only `stringData` into base64 `data`; stringData wins on a clash (like kube-apiserver). */
export function mergeStringData (secret: KubeObject): void {
  const sd = rec(secret.stringData)
  if (secret.stringData !== undefined) {
    const data = { ...rec(secret.data) }
    for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v), 'utf8').toString('base64')
    secret.data = data
    delete secret.stringData
  }
}

export function validateSecret (secret: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes = validateDataKeys(secret, ['data'])
  for (const [k, v] of Object.entries(rec(secret.data))) {
    if (typeof v === 'string' && !BASE64_RE.test(v)) causes.push(cause(`data[${k}]`, 'Invalid value: "<secret contents redacted>": illegal base64 data'))
  }
  if (old !== undefined && (str(old.type) ?? 'Opaque') !== (str(secret.type) ?? 'Opaque')) causes.push(cause('type', 'Invalid value: field is immutable'))
  if (old?.immutable === true && JSON.stringify(old.data ?? {}) !== JSON.stringify(secret.data ?? {})) causes.push(cause('data', 'Forbidden: field is immutable when `immutable` is set', 'FieldValueForbidden'))
  return causes
}

export function secretsResource (): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    resource: 'secrets',
    kind: 'Secret',
    singular: 'secret',
    namespaced: true,
    columns: [col('Type', 'The type of the secret.'), col('Data', 'Number of data entries.', 0, 'integer')],
    cells: obj => [str(obj.type) ?? 'Opaque', Object.keys(rec(obj.data)).length],
    fieldSelectors: { type: o => str(o.type) ?? 'Opaque' },
    prepareForCreate: obj => { obj.type ??= 'Opaque'; mergeStringData(obj) },
    prepareForUpdate: obj => { obj.type ??= 'Opaque'; mergeStringData(obj) },
    validate: (obj, old) => validateSecret(obj, old)
  }
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

export function eventsResource (): ResourceDefinition {
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
    },
    prepareForCreate: obj => { obj.type ??= 'Normal'; obj.count ??= 1 },
    validate: obj => {
      const causes: FieldCause[] = []
      if (str(rec(obj.involvedObject).kind) === undefined) causes.push(cause('involvedObject.kind', 'Required value', 'FieldValueRequired'))
      const t = str(obj.type)
      if (t !== undefined && t !== 'Normal' && t !== 'Warning') causes.push(cause('type', `Unsupported value: "${t}": supported values: "Normal", "Warning"`, 'FieldValueNotSupported'))
      return causes
    }
  }
}

export function serviceAccountsResource (): ResourceDefinition {
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

export function endpointSlicePorts (slice: KubeObject): string {
  const ports = arr(slice.ports).map(p => num(rec(p).port)).filter((p): p is number => p !== undefined)
  return ports.length === 0 ? NONE : ports.join(',')
}

export function endpointSliceEndpoints (slice: KubeObject): string {
  const addrs = arr(slice.endpoints).flatMap(e => arr(rec(e).addresses).map(String))
  if (addrs.length === 0) return NONE
  return addrs.length > 3 ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...` : addrs.join(',')
}

export function endpointSlicesResource (): ResourceDefinition {
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
    fieldSelectors: { addressType: o => str(o.addressType) },
    prepareForCreate: obj => {
      for (const p of arr(obj.ports)) rec(p).protocol ??= 'TCP'
    },
    validate: obj => {
      const t = str(obj.addressType)
      if (t === undefined) return [cause('addressType', 'Required value', 'FieldValueRequired')]
      if (!['IPv4', 'IPv6', 'FQDN'].includes(t)) return [cause('addressType', `Unsupported value: "${t}": supported values: "FQDN", "IPv4", "IPv6"`, 'FieldValueNotSupported')]
      return []
    }
  }
}

export function leasesResource (): ResourceDefinition {
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
