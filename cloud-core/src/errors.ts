import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type CloudCoreErrorCode = keyof typeof ERROR_CATALOGUE
/** Errors of the assembled cloudcore (its parts keep their own: ApiError, StoreError, BootstrapError ...). */
export class CloudCoreError extends CodedError<CloudCoreErrorCode> {}

export const ERROR_CATALOGUE = {
  CLOUDCORE_NOT_STARTED: 'A part of cloudcore that exists only while it runs (the API core, the PKI) was asked for before start or after stop.'
} as const satisfies Record<string, string>
