import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type MetaCode = keyof typeof ERROR_CATALOGUE

export class MetaError extends CodedError<MetaCode> {}

export const ERROR_CATALOGUE = {
  META_KIND_UNKNOWN: 'A downstream object of a kind the edge does not serve; it is logged and acked (never retried), nothing is stored.',
  META_OBJECT_INVALID: 'A downstream insert/update whose content is not a Kubernetes object matching its resource string (apiVersion, kind, metadata.name, namespace); logged and acked, nothing is stored.',
  META_OPERATION_UNSUPPORTED: 'A downstream operation other than insert, update or delete reached the meta-manager; logged and acked.'
} as const satisfies Record<string, string>
