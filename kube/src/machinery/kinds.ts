import type { KubeObject } from '@edgemesh/common'
import type { PodSpec, PodStatus, PodTemplateSpec, NodeSpec, NodeStatus, ServiceSpec, EndpointSubset, ObjectReference } from 'kubernetes-types/core/v1.js'
import type { DeploymentSpec, DeploymentStatus, ReplicaSetSpec, ReplicaSetStatus, DaemonSetSpec, DaemonSetStatus } from 'kubernetes-types/apps/v1.js'
import type { LeaseSpec } from 'kubernetes-types/coordination/v1.js'
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.js'
import type { ResourceRef } from './types.js'

/**
 * The object shapes the controllers work with: the shared KubeObject envelope (metadata always present,
 * as the ObjectClient contract requires) with the typed spec/status from kubernetes-types.
 */
export type ConfigMap = KubeObject & { data?: Record<string, string>, binaryData?: Record<string, string>, immutable?: boolean }
export type Secret = KubeObject & { type?: string, data?: Record<string, string>, stringData?: Record<string, string>, immutable?: boolean }
export type Pod = KubeObject & { spec?: PodSpec, status?: PodStatus }
export type Node = KubeObject & { spec?: NodeSpec, status?: NodeStatus }
export type Service = KubeObject & { spec?: ServiceSpec }
export type Endpoints = KubeObject & { subsets?: EndpointSubset[] }
export type EndpointSlice = KubeObject & { addressType: string, endpoints: Endpoint[], ports?: EndpointPort[] }
export type Deployment = KubeObject & { spec: DeploymentSpec & { template: PodTemplateSpec }, status?: DeploymentStatus }
export type ReplicaSet = KubeObject & { spec: ReplicaSetSpec, status?: ReplicaSetStatus }
export type DaemonSet = KubeObject & { spec: DaemonSetSpec, status?: DaemonSetStatus }
export type Lease = KubeObject & { spec?: LeaseSpec }
export type Namespace = KubeObject & { spec?: { finalizers?: string[] }, status?: { phase?: string } }
export type Event = KubeObject & {
  involvedObject: ObjectReference
  reason: string
  message: string
  type: 'Normal' | 'Warning'
  source?: { component?: string, host?: string }
  firstTimestamp?: string
  lastTimestamp?: string
  count?: number
  reportingComponent?: string
}

/** Namespace of the nodes' heartbeat Leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease'
/** Namespaces every cluster has (kube-apiserver creates the same four). */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', NODE_LEASE_NAMESPACE]

export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' }
export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes' }
export const SERVICES: ResourceRef = { group: '', version: 'v1', resource: 'services' }
export const CONFIG_MAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps' }
export const SECRETS: ResourceRef = { group: '', version: 'v1', resource: 'secrets' }
export const ENDPOINTS: ResourceRef = { group: '', version: 'v1', resource: 'endpoints' }
export const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events' }
export const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces' }
export const ENDPOINT_SLICES: ResourceRef = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' }
export const DEPLOYMENTS: ResourceRef = { group: 'apps', version: 'v1', resource: 'deployments' }
export const REPLICA_SETS: ResourceRef = { group: 'apps', version: 'v1', resource: 'replicasets' }
export const DAEMON_SETS: ResourceRef = { group: 'apps', version: 'v1', resource: 'daemonsets' }
export const LEASES: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' }

/** The same collection, narrowed to one namespace. */
export function inNamespace (ref: ResourceRef, namespace: string | undefined): ResourceRef {
  return { ...ref, namespace }
}

/** Cache/queue key: `ns/name`, or `name` for cluster-scoped objects. */
export function keyOf (obj: KubeObject): string {
  const ns = obj.metadata.namespace
  return ns === undefined || ns === '' ? obj.metadata.name ?? '' : `${ns}/${obj.metadata.name ?? ''}`
}

export function splitKey (key: string): { namespace?: string, name: string } {
  const i = key.indexOf('/')
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) }
}

/** The owner reference marked controller=true, if any. */
export function controllerOf (obj: KubeObject): { kind: string, name: string, uid: string, apiVersion: string } | undefined {
  return obj.metadata.ownerReferences?.find(r => r.controller === true)
}
