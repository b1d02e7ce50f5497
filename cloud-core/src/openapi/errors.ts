import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type OpenApiErrorCode = keyof typeof ERROR_CATALOGUE
/** Failures of the schema layer itself (never of a validated object: those are FieldCauses). */
export class OpenApiError extends CodedError<OpenApiErrorCode> {}

export const ERROR_CATALOGUE = {
  OPENAPI_SCHEMAS_UNAVAILABLE: 'The kubernetes-types package (source of the built-in schemas) could not be found or read.',
  OPENAPI_BUILTIN_KIND: 'A CRD tried to define a group/version/kind that is a built-in Kubernetes kind.',
  OPENAPI_CRD_INVALID: 'A CustomResourceDefinition has no usable spec (group, names.kind or versions missing).'
} as const satisfies Record<string, string>
