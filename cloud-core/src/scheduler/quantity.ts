import { QUANTITY_PATTERN } from '@edgemesh/common'
import { ControllerError } from '@edgemesh/kube/client'

const SUFFIX: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60
}

/**
 * Parses a Kubernetes quantity ('100m', '1.5Gi', '2', '1e3', '128974848') into a plain number in base
 * units (cores, bytes). Numbers are accepted as-is. Throws CONTROLLER_QUANTITY_INVALID otherwise.
 */
export function parseQuantity (q: string | number): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new ControllerError('CONTROLLER_QUANTITY_INVALID', `invalid quantity ${q}`)
    return q
  }
  const m = QUANTITY_PATTERN.exec(q.trim())
  if (m === null) throw new ControllerError('CONTROLLER_QUANTITY_INVALID', `invalid quantity "${q}"`)
  const base = Number(m[1])
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1))
  return base * (SUFFIX[m[3] ?? ''] ?? 1)
}

/** CPU in millicores, rounded up like upstream (a request of 0.0001 cores is 1m). */
export function cpuMillis (q: string | number): number {
  return Math.ceil(Math.round(parseQuantity(q) * 1e9) / 1e6)
}

/** Memory (or any byte quantity) in bytes, rounded up. */
export function bytes (q: string | number): number {
  return Math.ceil(parseQuantity(q))
}
