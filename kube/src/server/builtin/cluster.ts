import type { KubeObject } from '@edgemesh/common'
import type { ResourceInfo } from '../../machinery/types.js'
import { arr, rec, str } from '../../machinery/values.js'
import { NONE, col } from './print-util.js'

const ROLE_PREFIX = 'node-role.kubernetes.io/'

/** Ready / NotReady (from the Ready condition), plus SchedulingDisabled when cordoned. */
export function nodeStatus (node: KubeObject): string {
  const ready = arr(rec(node.status).conditions).map(rec).find(c => c.type === 'Ready')
  const parts = [ready?.status === 'True' ? 'Ready' : (ready === undefined ? 'Unknown' : 'NotReady')]
  if (rec(node.spec).unschedulable === true) parts.push('SchedulingDisabled')
  return parts.join(',')
}

export function nodeRoles (node: KubeObject): string {
  const roles = new Set<string>()
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length))
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v)
  }
  return roles.size === 0 ? NONE : [...roles].sort().join(',')
}

export function nodeCells (node: KubeObject): unknown[] {
  const st = rec(node.status)
  const info = rec(st.nodeInfo)
  const internal = arr(st.addresses).map(rec).find(a => a.type === 'InternalIP')
  const external = arr(st.addresses).map(rec).find(a => a.type === 'ExternalIP')
  return [
    nodeStatus(node),
    nodeRoles(node),
    str(info.kubeletVersion) ?? '',
    str(internal?.address) ?? NONE,
    str(external?.address) ?? NONE,
    str(info.osImage) ?? '<unknown>',
    str(info.kernelVersion) ?? '<unknown>',
    str(info.containerRuntimeVersion) ?? '<unknown>'
  ]
}

export function namespacePhase (ns: KubeObject): string {
  if (ns.metadata.deletionTimestamp !== undefined) return 'Terminating'
  return str(rec(ns.status).phase) ?? 'Active'
}

export function nodesInfo (): ResourceInfo {
  return {
    group: '',
    version: 'v1',
    resource: 'nodes',
    kind: 'Node',
    singular: 'node',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status'],
    columns: [
      col('Status', 'The status of the node.'),
      col('Roles', 'The roles of the node.'),
      col('Version', 'Kubelet version reported by the node.'),
      col('Internal-IP', 'The internal IP of the node.', 1),
      col('External-IP', 'The external IP of the node.', 1),
      col('OS-Image', 'OS image reported by the node.', 1),
      col('Kernel-Version', 'Kernel version reported by the node.', 1),
      col('Container-Runtime', 'Container runtime and version reported by the node.', 1)
    ],
    cells: obj => nodeCells(obj),
    fieldSelectors: {
      'spec.unschedulable': o => String(rec(o.spec).unschedulable === true)
    }
  }
}

export function namespacesInfo (): ResourceInfo {
  return {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    singular: 'namespace',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
    columns: [col('Status', 'The status of the namespace.')],
    cells: obj => [namespacePhase(obj)],
    fieldSelectors: { 'status.phase': o => namespacePhase(o) }
  }
}
