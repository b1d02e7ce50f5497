import type { KubeObject } from '@edgemesh/common'
import type { ResourceInfo } from '../../machinery/types.js'
import { arr, num, rec, str } from '../../machinery/values.js'
import { NONE, col, containersOf } from './print-util.js'

/** The STATUS column, following kubectl's precedence: init containers, then containers, then Terminating. */
export function podStatusReason (pod: KubeObject): string {
  const st = rec(pod.status)
  let reason = str(st.reason) ?? str(st.phase) ?? 'Pending'
  const initStatuses = arr(st.initContainerStatuses).map(rec)
  const initCount = arr(rec(pod.spec).initContainers).length
  let initializing = false
  initStatuses.forEach((c, i) => {
    if (initializing) return
    const state = rec(c.state)
    const term = rec(state.terminated)
    const wait = rec(state.waiting)
    if (state.terminated !== undefined && num(term.exitCode) === 0) return
    initializing = true
    if (state.terminated !== undefined) {
      reason = str(term.reason) !== undefined ? `Init:${String(term.reason)}` : `Init:ExitCode:${String(term.exitCode)}`
    } else if (str(wait.reason) !== undefined && wait.reason !== 'PodInitializing') {
      reason = `Init:${String(wait.reason)}`
    } else {
      reason = `Init:${i}/${initCount}`
    }
  })
  if (!initializing) {
    let hasRunning = false
    for (const c of arr(st.containerStatuses).map(rec).reverse()) {
      const state = rec(c.state)
      const wait = rec(state.waiting)
      const term = rec(state.terminated)
      if (str(wait.reason) !== undefined) reason = String(wait.reason)
      else if (state.terminated !== undefined) {
        reason = str(term.reason) ?? (num(term.signal) !== undefined ? `Signal:${String(term.signal)}` : `ExitCode:${String(term.exitCode)}`)
      } else if (state.running !== undefined && c.ready === true) hasRunning = true
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running'
  }
  if (pod.metadata.deletionTimestamp !== undefined) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating'
  return reason
}

export function podCells (pod: KubeObject): unknown[] {
  const st = rec(pod.status)
  const s = rec(pod.spec)
  const statuses = arr(st.containerStatuses).map(rec)
  const total = containersOf(s).length
  const ready = statuses.filter(c => c.ready === true).length
  const restarts = statuses.reduce<number>((n, c) => n + (num(c.restartCount) ?? 0), 0)
  const gates = arr(s.readinessGates).map(g => str(rec(g).conditionType))
  const conds = arr(st.conditions).map(rec)
  const gatesReady = gates.filter(t => conds.some(c => c.type === t && c.status === 'True')).length
  return [
    `${ready}/${total}`,
    podStatusReason(pod),
    restarts,
    str(st.podIP) ?? NONE,
    str(s.nodeName) ?? NONE,
    str(st.nominatedNodeName) ?? NONE,
    gates.length === 0 ? NONE : `${gatesReady}/${gates.length}`
  ]
}

export function podsInfo (): ResourceInfo {
  return {
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    singular: 'pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'binding', 'log', 'exec', 'attach', 'portforward'],
    columns: [
      col('Ready', 'The number of containers that are ready.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'The number of times the containers in this pod have been restarted.', 0, 'integer'),
      col('IP', 'The IP address assigned to the pod.', 1),
      col('Node', 'The node the pod is assigned to.', 1),
      col('Nominated Node', 'The node the pod is nominated to.', 1),
      col('Readiness Gates', 'The readiness gates of the pod.', 1)
    ],
    cells: obj => podCells(obj),
    fieldSelectors: {
      'spec.nodeName': o => str(rec(o.spec).nodeName) ?? '',
      'spec.schedulerName': o => str(rec(o.spec).schedulerName),
      'spec.serviceAccountName': o => str(rec(o.spec).serviceAccountName),
      'status.phase': o => str(rec(o.status).phase),
      'status.podIP': o => str(rec(o.status).podIP),
      'spec.restartPolicy': o => str(rec(o.spec).restartPolicy)
    }
  }
}
