import jsonpatch from 'fast-json-patch'
import type { Operation } from 'fast-json-patch'
import type { GroupVersionKind, KubeObject } from '@edgemesh/common'
import { ApiError, badRequest } from '../machinery/errors.js'
import { isPlainObject } from '../machinery/object-meta.js'
import type { PatchSchema, PatchType } from '../machinery/types.js'

export interface PatchContext {
  gvk: GroupVersionKind
  schema?: PatchSchema
  fieldManager?: string
  force?: boolean
}

/**
 * Applies one patch to the stored object and returns the new object. The real implementation
 * (strategic merge, server-side apply) lives in cloud-core/src/patch and is injected; the fallback
 * below only knows JSON patch and merge patch.
 */
export type Patcher = (type: PatchType, original: KubeObject, patch: unknown, ctx: PatchContext) => KubeObject | Promise<KubeObject>

/** RFC 7386 merge patch. */
export function mergePatch (target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

/** JSON patch + merge patch; strategic and apply degrade to merge (lists are replaced wholesale). */
export const fallbackPatcher: Patcher = (type, original, patch) => {
  if (type === 'json') {
    if (!Array.isArray(patch)) throw badRequest('json patch must be an array of operations')
    try {
      const res = jsonpatch.applyPatch(structuredClone(original), patch as Operation[], true, false)
      return res.newDocument
    } catch (err) {
      const name = (err as { name?: string }).name
      if (name === 'TEST_OPERATION_FAILED') throw new ApiError('Invalid', 'the server rejected our request due to an error in our request: test operation failed')
      throw badRequest(`the server rejected our request due to an error in our request: ${(err as Error).message.split('\n')[0] ?? 'bad patch'}`)
    }
  }
  if (!isPlainObject(patch)) throw badRequest('patch body must be a JSON object')
  const merged = mergePatch(original, patch)
  if (!isPlainObject(merged) || !isPlainObject(merged.metadata)) throw badRequest('patch removed metadata')
  return merged as KubeObject
}
