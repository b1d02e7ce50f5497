import type { KubeObject } from '@edgemesh/common'
import { ApplyConflictError, applyPatch, PatchError } from '../patch/index.js'
import { ApiError } from './errors.js'
import type { Patcher } from './patcher.js'
import type { PatchSchema } from './types.js'

/**
 * The patch module (strategic merge, server-side apply) as a Patcher. Its errors become ApiErrors
 * here so in-process callers see the same codes as HTTP clients; apply conflicts keep their causes
 * (reason FieldManagerConflict) because kubectl prints its --force-conflicts help from them.
 */
export function kubePatcher (schema: PatchSchema): Patcher {
  return (type, original, patch, ctx) => {
    try {
      return applyPatch<KubeObject>(type, original, patch, { schema: ctx.schema ?? schema, gvk: ctx.gvk, manager: ctx.fieldManager, force: ctx.force })
    } catch (err) {
      if (err instanceof ApplyConflictError) throw new ApiError('Conflict', err.message, { causes: err.causes }, { cause: err })
      if (err instanceof PatchError) throw err.toApiError()
      throw err
    }
  }
}
