import { CodedError } from '@edgemesh/common'
import { ApiError, type ApiReason } from '../../machinery/errors.js'

/** The codes of this module: the keys of its catalogue (one table). */
export type PatchErrorCode = keyof typeof ERROR_CATALOGUE
export const ERROR_CATALOGUE = {
  PATCH_INVALID: 'A patch body is malformed or cannot be applied to the object (bad JSON Pointer, missing path, bad directive, list item without its merge key, etc.).',
  PATCH_TEST_FAILED: 'A JSON patch `test` operation found a different value; nothing was applied.',
  PATCH_UNSUPPORTED_MEDIA_TYPE: 'The patch type is not available for this kind (strategic merge on a CRD) or is unknown.',
  PATCH_APPLY_CONFLICT: 'Server-side apply would change fields owned by other field managers; retry with force to take them over.'
} as const satisfies Record<string, string>

/**
 * Which Kubernetes Status reason each code becomes at the HTTP layer, as kube-apiserver answers.
 * Malformed patches are 400 rather than 422 because kubectl prints a 422 from its details only and
 * would drop our message.
 */
const REASON_OF: Record<PatchErrorCode, ApiReason> = {
  PATCH_INVALID: 'BadRequest',
  PATCH_TEST_FAILED: 'Invalid',
  PATCH_UNSUPPORTED_MEDIA_TYPE: 'UnsupportedMediaType',
  PATCH_APPLY_CONFLICT: 'Conflict'
}

export class PatchError extends CodedError<PatchErrorCode> {
  /** Where in the patch or object the problem is, when known (JSON Pointer or dotted path). */
  readonly path?: string
  constructor (code: PatchErrorCode, message: string, opts: { path?: string, cause?: unknown } = {}) {
    super(code, message, { cause: opts.cause })
    this.path = opts.path
  }

  /** The Status reason the API server should answer with. */
  get reason (): ApiReason { return REASON_OF[this.code] }

  toApiError (): ApiError {
    const details = this.reason === 'Invalid' ? { causes: [{ field: this.path ?? '', message: this.message, reason: 'FieldValueInvalid' }] } : undefined
    return new ApiError(this.reason, this.message, details, { cause: this })
  }
}

export const invalidPatch = (message: string, path?: string): PatchError => new PatchError('PATCH_INVALID', message, { path })

/** One field that another manager owns with a different value. `field` uses the upstream path syntax: `.spec.containers[name="nginx"].image`. */
export interface FieldConflict {
  manager: string
  field: string
}

export class ApplyConflictError extends PatchError {
  readonly conflicts: readonly FieldConflict[]
  constructor (conflicts: readonly FieldConflict[]) {
    const n = conflicts.length
    const list = conflicts.map(c => `conflict with ${JSON.stringify(c.manager)}: ${c.field}`)
    super('PATCH_APPLY_CONFLICT', `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${list.join('\n')}`)
    this.conflicts = conflicts
  }

  /** `details.causes` of the 409 Status; kubectl recognises reason FieldManagerConflict and prints the --force-conflicts help. */
  get causes (): Array<{ reason: 'FieldManagerConflict', message: string, field: string }> {
    return this.conflicts.map(c => ({ reason: 'FieldManagerConflict', message: `conflict with ${JSON.stringify(c.manager)}: ${c.field}`, field: c.field }))
  }

  override toApiError (): ApiError {
    return new ApiError('Conflict', this.message, { causes: this.causes }, { cause: this })
  }
}
