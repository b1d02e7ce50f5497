import type { ContainerState, ContainerStatus, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js'
import type { Pod } from '@edgemesh/kube/machinery'

/** What edged knows about one container (one per spec container, instances come and go). */
export interface ContainerRecord {
  name: string
  image: string
  init: boolean
  restartCount: number
  state: ContainerState
  lastState?: ContainerState
  ready: boolean
  started: boolean
  /** `process://<pid>` of the running instance. */
  containerID?: string
}

export interface PodView {
  pod: Pod
  init: ContainerRecord[]
  containers: ContainerRecord[]
  podIP?: string
  hostIP: string
  startTime?: string
  /** Set when the whole pod failed before its containers could run (e.g. the network). */
  failure?: { reason: string, message: string }
}

export const nowRfc3339 = (d = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

function phase (v: PodView): PodStatus['phase'] {
  const policy = v.pod.spec?.restartPolicy ?? 'Always'
  if (v.init.some(c => c.state.terminated !== undefined && c.state.terminated.exitCode !== 0) && policy === 'Never') return 'Failed'
  const all = v.containers
  if (all.some(c => c.state.running !== undefined)) return 'Running'
  const done = all.length > 0 && all.every(c => c.state.terminated !== undefined)
  if (done && policy !== 'Always') {
    if (all.every(c => c.state.terminated!.exitCode === 0)) return 'Succeeded'
    if (policy === 'Never') return 'Failed'
  }
  // Restarting containers (back-off) of a pod that ran keep it Running, as kubelet reports.
  if (all.some(c => c.restartCount > 0 || c.lastState?.terminated !== undefined)) return 'Running'
  return 'Pending'
}

function containerStatus (c: ContainerRecord): ContainerStatus {
  return {
    name: c.name,
    state: c.state,
    lastState: c.lastState ?? {},
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: '',
    started: c.started,
    ...(c.containerID !== undefined ? { containerID: c.containerID } : {})
  }
}

/**
 * The pod status kubelet would post for this view. Conditions keep their lastTransitionTime from
 * `previous` while their status is unchanged, so an unchanged pod yields an identical status (and is not
 * sent again).
 */
export function buildPodStatus (v: PodView, previous?: PodStatus, now = nowRfc3339()): PodStatus {
  const p = phase(v)
  const initialized = v.init.every(c => c.state.terminated?.exitCode === 0)
  const containersReady = v.containers.length > 0 && v.containers.every(c => c.ready)
  const cond = (type: string, ok: boolean, reason?: string): PodCondition => {
    const status = ok ? 'True' : 'False'
    const prev = previous?.conditions?.find(c => c.type === type)
    return { type, status, lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : now, ...(ok || reason === undefined ? {} : { reason }) }
  }
  const notReady = v.containers.filter(c => !c.ready).map(c => c.name)
  const conditions: PodCondition[] = [
    cond('PodReadyToStartContainers', v.podIP !== undefined),
    cond('Initialized', initialized, 'ContainersNotInitialized'),
    cond('Ready', containersReady && p === 'Running', 'ContainersNotReady'),
    cond('ContainersReady', containersReady, 'ContainersNotReady'),
    cond('PodScheduled', true)
  ]
  for (const c of conditions) {
    if (c.status === 'False' && (c.type === 'Ready' || c.type === 'ContainersReady') && notReady.length > 0) c.message = `containers with unready status: [${notReady.join(' ')}]`
  }
  const status: PodStatus = {
    phase: p,
    conditions,
    hostIP: v.hostIP,
    hostIPs: [{ ip: v.hostIP }],
    ...(v.podIP !== undefined ? { podIP: v.podIP, podIPs: [{ ip: v.podIP }] } : {}),
    ...(v.startTime !== undefined ? { startTime: v.startTime } : {}),
    ...(v.init.length > 0 ? { initContainerStatuses: v.init.map(containerStatus) } : {}),
    containerStatuses: v.containers.map(containerStatus),
    qosClass: qosClass(v.pod)
  }
  if (v.failure !== undefined) { status.reason = v.failure.reason; status.message = v.failure.message }
  return status
}

function qosClass (pod: Pod): PodStatus['qosClass'] {
  const cs = pod.spec?.containers ?? []
  const has = (k: 'limits' | 'requests'): boolean => cs.some(c => Object.keys(c.resources?.[k] ?? {}).length > 0)
  if (!has('limits') && !has('requests')) return 'BestEffort'
  const guaranteed = cs.every(c => ['cpu', 'memory'].every(r => c.resources?.limits?.[r] !== undefined && (c.resources?.requests?.[r] === undefined || String(c.resources.requests[r]) === String(c.resources.limits[r]))))
  return guaranteed ? 'Guaranteed' : 'Burstable'
}
