import type { Taint, Toleration } from 'kubernetes-types/core/v1.js'

/** Whether `tol` tolerates `taint` (kube's matching: empty effect/key are wildcards, Exists ignores the value). */
export function toleratesTaint (tol: Toleration, taint: Taint): boolean {
  if (tol.effect !== undefined && tol.effect !== '' && tol.effect !== taint.effect) return false
  if (tol.key !== undefined && tol.key !== '' && tol.key !== taint.key) return false
  // Empty key with Exists tolerates every taint.
  const op = tol.operator ?? 'Equal'
  if (op === 'Exists') return true
  if (op === 'Equal') return (tol.value ?? '') === (taint.value ?? '')
  return false
}

/** The first NoSchedule/NoExecute taint the pod does not tolerate, if any. */
export function untoleratedTaint (taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, effects: readonly string[] = ['NoSchedule', 'NoExecute']): Taint | undefined {
  return (taints ?? []).find(t => effects.includes(t.effect) && !(tolerations ?? []).some(tol => toleratesTaint(tol, t)))
}
