import type { KubeObject } from '@edgemesh/common'
import { configMapsInfo, endpointSlicesInfo, endpointsInfo, eventsInfo, leasesInfo, secretsInfo, serviceAccountsInfo } from '@edgemesh/kube/server'
import type { FieldCause, ResourceDefinition } from '@edgemesh/kube/machinery'
import { arr, cause, rec, str } from './util.js'

export function endpointsResource (): ResourceDefinition {
  return {
    ...endpointsInfo()
  }
}

export function configMapsResource (): ResourceDefinition {
  return {
    ...configMapsInfo(),
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
    ...secretsInfo(),
    prepareForCreate: obj => { obj.type ??= 'Opaque'; mergeStringData(obj) },
    prepareForUpdate: obj => { obj.type ??= 'Opaque'; mergeStringData(obj) },
    validate: (obj, old) => validateSecret(obj, old)
  }
}

export function eventsResource (): ResourceDefinition {
  return {
    ...eventsInfo(),
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
    ...serviceAccountsInfo()
  }
}

export function endpointSlicesResource (): ResourceDefinition {
  return {
    ...endpointSlicesInfo(),
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
    ...leasesInfo()
  }
}
