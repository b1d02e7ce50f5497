/** Minimal Kubernetes object shapes shared by every package (full types: the `kubernetes-types` package). */
export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface ObjectMeta {
  name?: string
  generateName?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  deletionGracePeriodSeconds?: number
  labels?: Record<string, string>
  annotations?: Record<string, string>
  finalizers?: string[]
  ownerReferences?: OwnerReference[]
  managedFields?: unknown[]
  [k: string]: unknown
}

export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
  [k: string]: unknown
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string
  kind: string
  metadata: { resourceVersion?: string, continue?: string, remainingItemCount?: number }
  items: T[]
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'

/** A Kubernetes `Status` (metav1.Status): the body of an error response and of an ERROR watch event. */
export interface StatusObject {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, unknown>
  status: 'Success' | 'Failure'
  message?: string
  reason?: string
  details?: { name?: string, group?: string, kind?: string, uid?: string, causes?: Array<{ reason?: string, message?: string, field?: string }>, retryAfterSeconds?: number }
  code?: number
}

/** One event of a watch stream. ERROR carries a Status (410 Expired: relist), every other type an object. */
export type WatchEvent<T = KubeObject> =
  | { type: Exclude<WatchEventType, 'ERROR'>, object: T }
  | { type: 'ERROR', object: StatusObject }

/** Group/version/resource: how an API path names a collection. Core group is ''. */
export interface GroupVersionResource { group: string, version: string, resource: string }
export interface GroupVersionKind { group: string, version: string, kind: string }

/** `apps/v1` or `v1` for the core group. */
export function apiVersionOf (gv: { group: string, version: string }): string {
  return gv.group === '' ? gv.version : `${gv.group}/${gv.version}`
}

export function parseApiVersion (apiVersion: string): { group: string, version: string } {
  const i = apiVersion.indexOf('/')
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) }
}

/** The syntax of a Kubernetes resource.Quantity string: `500m`, `1.5Gi`, `2e3`, `128974848`. */
export const QUANTITY_PATTERN = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/
