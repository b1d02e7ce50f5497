import { CodedError } from '@edgemesh/common'

export type OpenApiErrorCode = 'OPENAPI_SCHEMAS_UNAVAILABLE' | 'OPENAPI_BUILTIN_KIND' | 'OPENAPI_CRD_INVALID'

/** Failures of the schema layer itself (never of a validated object: those are FieldCauses). */
export class OpenApiError extends CodedError<OpenApiErrorCode> {}

export const ERROR_CATALOGUE: Record<OpenApiErrorCode, string> = {
  OPENAPI_SCHEMAS_UNAVAILABLE: 'The kubernetes-types package (source of the built-in schemas) could not be found or read.',
  OPENAPI_BUILTIN_KIND: 'A CRD tried to define a group/version/kind that is a built-in Kubernetes kind.',
  OPENAPI_CRD_INVALID: 'A CustomResourceDefinition has no usable spec (group, names.kind or versions missing).'
}
