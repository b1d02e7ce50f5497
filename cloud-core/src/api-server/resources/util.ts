import type { KubeObject } from '@edgemesh/common'
import { rec, type FieldCause, type Rec } from '@edgemesh/kube/machinery'

// One definition each, shared with the generic storage.
export { isPlainObject as isRec, jsonEqual, DNS1123_LABEL, DNS1123_SUBDOMAIN } from '@edgemesh/kube/machinery'

export { rec, arr, str, num, ensureRec, type Rec } from '@edgemesh/kube/machinery'

export function spec (obj: KubeObject): Rec {
  return rec(obj.spec)
}

export function status (obj: KubeObject): Rec {
  return rec(obj.status)
}

// The printers' cell helpers live with the printers (kube's built-in kinds).
export { NONE, col, containersOf, formatMap, selectorCell } from '@edgemesh/kube/server'

export function cause (field: string, message: string, reason = 'FieldValueInvalid'): FieldCause {
  return { field, message, reason }
}
