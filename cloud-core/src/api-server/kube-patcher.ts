import type { KubeObject } from '@edgemesh/common'
import { applyPatch, PatchError } from '../patch/index.js'
import type { Patcher } from '@edgemesh/kube/server'
import type { PatchSchema } from '@edgemesh/kube/machinery'

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
      // ApplyConflictError's own mapping keeps its FieldManagerConflict causes.
      if (err instanceof PatchError) throw err.toApiError()
      throw err
    }
  }
}
