import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type ControllerErrorCode = keyof typeof ERROR_CATALOGUE
export class ControllerError extends CodedError<ControllerErrorCode> {}

export const ERROR_CATALOGUE = {
  CONTROLLER_QUEUE_SHUT_DOWN: 'A key was added to, or a worker waited on, a work queue that has been shut down.',
  CONTROLLER_NOT_SYNCED: 'An informer was stopped or aborted before its first list completed.',
  CONTROLLER_QUANTITY_INVALID: 'A resource quantity (cpu/memory request or allocatable) could not be parsed.',
  CONTROLLER_WATCH_FAILED: 'A watch stream ended with an ERROR event other than 410 Expired; the informer relists with backoff.',
  CONTROLLER_REF_INCOMPLETE: 'A resource reference without a version reached an HTTP client that has no registry to resolve it.'
} as const satisfies Record<string, string>
