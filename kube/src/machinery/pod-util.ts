import type { Pod } from './kinds.js'

/** Ready per the PodReady condition. */
export function isPodReady (pod: Pod): boolean {
  return pod.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True') === true
}

export function isTerminating (pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null
}

/** Pods that count towards a workload's replicas: not terminating and not finished. */
export function isPodActive (pod: Pod): boolean {
  const phase = pod.status?.phase
  return !isTerminating(pod) && phase !== 'Succeeded' && phase !== 'Failed'
}

/** Ready for at least `minReadySeconds` at `now`. */
export function isPodAvailable (pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false
  if (minReadySeconds <= 0) return true
  const c = pod.status?.conditions?.find(x => x.type === 'Ready')
  const since = c?.lastTransitionTime !== undefined ? Date.parse(c.lastTransitionTime) : NaN
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now
}
