import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type EdgeControllerCode = keyof typeof ERROR_CATALOGUE

export class EdgeControllerError extends CodedError<EdgeControllerCode> {}

export const ERROR_CATALOGUE = {
  EDGE_UPSTREAM_FORBIDDEN: 'A node sent a report it may not make: status of another node or of a pod not bound to it, a lease other than its own, or a kind nodes do not report. Logged and acked (so it is not resent); nothing is written.',
  EDGE_UPSTREAM_INVALID: 'A node report whose content is not an object of the kind its resource string names. Logged and acked; nothing is written.'
} as const satisfies Record<string, string>
