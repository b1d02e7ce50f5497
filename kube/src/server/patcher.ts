import type { GroupVersionKind, KubeObject } from '@edgemesh/common'
import { badRequest } from '../machinery/errors.js'
import { applyJsonPatch } from './patch/json-patch.js'
import { applyMergePatch } from './patch/merge-patch.js'
import { isPlainObject } from '../machinery/object-meta.js'
import type { PatchSchema, PatchType } from '../machinery/types.js'

export interface PatchContext {
  gvk: GroupVersionKind
  schema?: PatchSchema
  fieldManager?: string
  force?: boolean
}

/**
 * Applies one patch to the stored object and returns the new object. Strategic merge and server-side
 * apply (cloud-core/src/patch) are injected; the fallback below knows JSON patch and merge patch.
 */
export type Patcher = (type: PatchType, original: KubeObject, patch: unknown, ctx: PatchContext) => KubeObject | Promise<KubeObject>

/**
 * JSON patch and merge patch with the same engine and caps (operation count, copied bytes) as every
 * other patch path; strategic and apply degrade to merge (lists are replaced wholesale). Failures are
 * PatchErrors, which know their Status.
 */
export const fallbackPatcher: Patcher = (type, original, patch) => {
  if (type === 'json') return applyJsonPatch<KubeObject>(original, patch)
  if (!isPlainObject(patch)) throw badRequest('patch body must be a JSON object')
  const merged = applyMergePatch<unknown>(original, patch)
  if (!isPlainObject(merged) || !isPlainObject(merged.metadata)) throw badRequest('patch removed metadata')
  return merged as KubeObject
}
