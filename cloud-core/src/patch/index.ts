import type { GroupVersionKind } from '@edgemesh/common'
import type { PatchSchema, PatchType } from '@edgemesh/kube/machinery'
import { PatchError, applyJsonPatch, applyMergePatch } from '@edgemesh/kube/server'
import { apply } from './server-side-apply.js'
import { strategicMerge } from './strategic-merge.js'

export { ERROR_CATALOGUE, PatchError, ApplyConflictError, invalidPatch } from '@edgemesh/kube/server'
export type { PatchErrorCode, FieldConflict } from '@edgemesh/kube/server'
export { applyJsonPatch, parseJsonPatch, parsePointer } from '@edgemesh/kube/server'
export type { JsonPatchOperation } from '@edgemesh/kube/server'
export { applyMergePatch } from '@edgemesh/kube/server'
export { strategicMerge } from './strategic-merge.js'
export { apply, updateManagedFields, readManagedFields, BEFORE_FIRST_APPLY } from './server-side-apply.js'
export type { ApplyOptions, ApplyResult, ManagedFieldsEntry, ManagedOperation, OwnershipOptions } from './server-side-apply.js'
export { decodeFields, encodeFields, fieldsOf, pathString } from './field-set.js'
export type { FieldPath, FieldSet, FieldsV1 } from './field-set.js'
export type { JsonObject, JsonValue } from '@edgemesh/kube/server'

const MEDIA_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply'
}

/** The patch type of a PATCH request's Content-Type (parameters ignored); PATCH_UNSUPPORTED_MEDIA_TYPE otherwise. */
export function patchTypeOf (contentType: string | undefined): PatchType {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  const t = MEDIA_TYPES[media]
  if (t === undefined) throw new PatchError('PATCH_UNSUPPORTED_MEDIA_TYPE', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(MEDIA_TYPES).join(', ')}`)
  return t
}

export interface ApplyPatchOptions {
  schema: PatchSchema
  gvk: GroupVersionKind
  /** Required for 'apply': the fieldManager. */
  manager?: string
  /** For 'apply': take over conflicting fields. @default false */
  force?: boolean
  /** For 'apply': managedFields timestamps. @default new Date() */
  now?: Date
  /** For 'apply': see ApplyOptions.ownUntracked. @default false */
  ownUntracked?: boolean
}

/**
 * Applies a PATCH body of the given type to `original` and returns the new object; the input is
 * never modified. 'strategic' is refused (PATCH_UNSUPPORTED_MEDIA_TYPE) for kinds without strategic
 * merge metadata, as kube-apiserver does for CRDs. 'apply' needs `manager`; callers that want the
 * managedFields separately call `apply` directly.
 */
export function applyPatch<T = Record<string, unknown>> (type: PatchType, original: unknown, patchBody: unknown, opts: ApplyPatchOptions): T {
  switch (type) {
    case 'json': return applyJsonPatch<T>(original, patchBody)
    case 'merge': return applyMergePatch<T>(original, patchBody)
    case 'strategic':
      if (!opts.schema.supportsStrategic(opts.gvk)) {
        const { group, version, kind } = opts.gvk
        throw new PatchError('PATCH_UNSUPPORTED_MEDIA_TYPE', `strategic merge patch is not supported for ${kind}${group === '' ? '' : `.${group}`}/${version}; use application/merge-patch+json or application/json-patch+json`)
      }
      return strategicMerge<T>(original, patchBody, opts.schema, opts.gvk)
    case 'apply': {
      if (opts.manager === undefined || opts.manager === '') throw new PatchError('PATCH_INVALID', 'fieldManager is required for apply patches')
      return apply(original, patchBody, { manager: opts.manager, force: opts.force ?? false, schema: opts.schema, gvk: opts.gvk, now: opts.now ?? new Date(), ownUntracked: opts.ownUntracked }).object as T
    }
    default:
      throw new PatchError('PATCH_UNSUPPORTED_MEDIA_TYPE', `unknown patch type ${JSON.stringify(type)}`)
  }
}
