import { hasCode, type KubeObject } from '@edgemesh/common'
import type { ObjectClient, ResourceRef } from '../machinery/types.js'

/** Awaits `p`; a 404 (the object is already gone) resolves to undefined, any other failure rethrows. */
export async function ignoreNotFound<T> (p: Promise<T>): Promise<T | undefined> {
  try {
    return await p
  } catch (err) {
    if (hasCode(err, 'API_NOT_FOUND')) return undefined
    throw err
  }
}

export interface UpdateWithRetryOptions {
  subresource?: 'status'
  /** @default 5 */
  attempts?: number
}

/**
 * Reads the live object, lets `mutate` edit it in place, writes it back, and starts over on a 409.
 * `mutate` returns false when the live object already looks right (nothing is written). Resolves to
 * the written object, or undefined when nothing was written or every attempt conflicted; a 404 rethrows.
 */
export async function updateWithRetry<T extends KubeObject> (client: ObjectClient, ref: ResourceRef, name: string, mutate: (live: T) => boolean, opts: UpdateWithRetryOptions = {}): Promise<T | undefined> {
  const attempts = opts.attempts ?? 5
  for (let attempt = 0; attempt < attempts; attempt++) {
    const live = await client.get<T>(ref, name)
    if (!mutate(live)) return undefined
    try {
      return await client.update<T>(ref, live, opts.subresource)
    } catch (err) {
      if (!hasCode(err, 'API_CONFLICT')) throw err
    }
  }
  return undefined
}
