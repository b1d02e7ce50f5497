/** Kubernetes IntOrString: 3 or "25%". */
export type IntOrString = number | string

/**
 * An int-or-percent against `total`. Percentages round up or down as asked: upstream rounds surge up
 * and unavailability down, so "25%" of 3 allows 1 extra pod and 0 missing ones.
 */
export function scaledValue (v: IntOrString | undefined, total: number, roundUp: boolean, dflt: IntOrString): number {
  const value = v ?? dflt
  if (typeof value === 'number') return value
  const m = /^(\d+)%$/.exec(value)
  if (m === null) {
    if (/^\d+$/.test(value)) return Number(value)
    throw new RangeError(`invalid int-or-percent "${value}"`)
  }
  const exact = Number(m[1]) * total / 100
  return roundUp ? Math.ceil(exact) : Math.floor(exact)
}

/** (maxSurge, maxUnavailable) for a desired count; both zero would stall, so unavailability becomes 1. */
export function resolveFenceposts (maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): { surge: number, unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true, '25%')
  let unavailable = scaledValue(maxUnavailable, desired, false, '25%')
  if (surge === 0 && unavailable === 0) unavailable = 1
  return { surge, unavailable }
}

/** How many replicas the new ReplicaSet may have now: grow by at most what the surge allows. */
export function newReplicaSetReplicas (desired: number, surge: number, totalCurrent: number, newCurrent: number): number {
  const maxTotal = desired + surge
  if (totalCurrent >= maxTotal) return newCurrent
  const scaleUp = Math.max(0, Math.min(maxTotal - totalCurrent, desired - newCurrent))
  return newCurrent + scaleUp
}

/**
 * How many old replicas may be removed now without dropping below `desired - unavailable` available pods:
 * pods the new set has not made available yet still count against the budget.
 */
export function maxScaleDown (desired: number, unavailable: number, totalSpec: number, newSpec: number, newAvailable: number): number {
  const minAvailable = desired - unavailable
  const newUnavailable = Math.max(0, newSpec - newAvailable)
  return totalSpec - minAvailable - newUnavailable
}
