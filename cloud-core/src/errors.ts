import { CodedError } from '@edgemesh/common'

export type CloudCoreErrorCode = 'CLOUDCORE_NOT_STARTED'

/** Errors of the assembled cloudcore (its parts keep their own: ApiError, StoreError, BootstrapError ...). */
export class CloudCoreError extends CodedError<CloudCoreErrorCode> {}

export const ERROR_CATALOGUE: Record<CloudCoreErrorCode, string> = {
  CLOUDCORE_NOT_STARTED: 'A part of cloudcore that exists only while it runs (the API core, the PKI) was asked for before start or after stop.'
}
