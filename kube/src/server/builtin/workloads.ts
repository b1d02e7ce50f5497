import type { KubeObject } from '@edgemesh/common'
import type { ResourceInfo } from '../../machinery/types.js'
import { num, rec, str } from '../../machinery/values.js'
import { col, containersOf, formatMap, selectorCell } from './print-util.js'

const wideColumns = [
  col('Containers', 'Names of each container in the template.', 1),
  col('Images', 'Images referenced by each container in the template.', 1),
  col('Selector', 'Label selector for pods.', 1)
]

const n = (v: unknown): number => num(v) ?? 0

function images (obj: KubeObject): [string, string] {
  const cs = containersOf(rec(rec(obj.spec).template).spec)
  return [cs.map(c => str(c.name) ?? '').join(','), cs.map(c => str(c.image) ?? '').join(',')]
}

export function deploymentCells (obj: KubeObject): unknown[] {
  const s = rec(obj.spec); const st = rec(obj.status)
  return [`${n(st.readyReplicas)}/${num(s.replicas) ?? 1}`, n(st.updatedReplicas), n(st.availableReplicas), ...images(obj), selectorCell(s.selector)]
}

export function replicaSetCells (obj: KubeObject): unknown[] {
  const s = rec(obj.spec); const st = rec(obj.status)
  return [num(s.replicas) ?? 1, n(st.replicas), n(st.readyReplicas), ...images(obj), selectorCell(s.selector)]
}

export function daemonSetCells (obj: KubeObject): unknown[] {
  const s = rec(obj.spec); const st = rec(obj.status)
  return [n(st.desiredNumberScheduled), n(st.currentNumberScheduled), n(st.numberReady), n(st.updatedNumberScheduled), n(st.numberAvailable),
    formatMap(rec(rec(s.template).spec).nodeSelector), ...images(obj), selectorCell(s.selector)]
}

/** An apps/v1 workload: namespaced, in `all`, generation-tracked, with the template columns in -o wide. */
function appsWorkload (names: Pick<ResourceInfo, 'resource' | 'kind' | 'singular' | 'shortNames' | 'subresources'>, columns: ResourceInfo['columns'], cells: (obj: KubeObject) => unknown[]): ResourceInfo {
  return { group: 'apps', version: 'v1', namespaced: true, categories: ['all'], hasGeneration: true, ...names, columns: [...(columns ?? []), ...wideColumns], cells }
}

export function deploymentsInfo (): ResourceInfo {
  return appsWorkload({ resource: 'deployments', kind: 'Deployment', singular: 'deployment', shortNames: ['deploy'], subresources: ['status', 'scale'] }, [
    col('Ready', 'Number of the pod with ready state.'),
    col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', 0, 'integer'),
    col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', 0, 'integer')
  ], deploymentCells)
}

export function replicaSetsInfo (): ResourceInfo {
  return appsWorkload({ resource: 'replicasets', kind: 'ReplicaSet', singular: 'replicaset', shortNames: ['rs'], subresources: ['status', 'scale'] }, [
    col('Desired', 'Number of desired pods.', 0, 'integer'),
    col('Current', 'Number of actually running pods.', 0, 'integer'),
    col('Ready', 'Number of pods that are ready.', 0, 'integer')
  ], replicaSetCells)
}

export function daemonSetsInfo (): ResourceInfo {
  return appsWorkload({ resource: 'daemonsets', kind: 'DaemonSet', singular: 'daemonset', shortNames: ['ds'], subresources: ['status'] }, [
    col('Desired', 'The number of nodes that should be running the daemon pod.', 0, 'integer'),
    col('Current', 'The number of nodes running at least one daemon pod.', 0, 'integer'),
    col('Ready', 'The number of nodes with a ready daemon pod.', 0, 'integer'),
    col('Up-to-date', 'The number of nodes running the updated daemon pod spec.', 0, 'integer'),
    col('Available', 'The number of nodes with an available daemon pod.', 0, 'integer'),
    col('Node Selector', 'The node selector of the pod template.')
  ], daemonSetCells)
}
