import { EdgeMeshError, type StatusObject } from '@edgemesh/common'
import type { FieldCause } from './types.js'

/** Kubernetes Status reasons we produce, with their HTTP codes and our stable error codes. */
export const API_REASONS = {
  BadRequest: { http: 400, code: 'API_BAD_REQUEST' },
  Unauthorized: { http: 401, code: 'API_UNAUTHORIZED' },
  Forbidden: { http: 403, code: 'API_FORBIDDEN' },
  NotFound: { http: 404, code: 'API_NOT_FOUND' },
  MethodNotAllowed: { http: 405, code: 'API_METHOD_NOT_ALLOWED' },
  NotAcceptable: { http: 406, code: 'API_NOT_ACCEPTABLE' },
  AlreadyExists: { http: 409, code: 'API_ALREADY_EXISTS' },
  Conflict: { http: 409, code: 'API_CONFLICT' },
  Gone: { http: 410, code: 'API_GONE' },
  Expired: { http: 410, code: 'API_EXPIRED' },
  RequestEntityTooLarge: { http: 413, code: 'API_TOO_LARGE' },
  UnsupportedMediaType: { http: 415, code: 'API_UNSUPPORTED_MEDIA_TYPE' },
  Invalid: { http: 422, code: 'API_INVALID' },
  TooManyRequests: { http: 429, code: 'API_TOO_MANY_REQUESTS' },
  InternalError: { http: 500, code: 'API_INTERNAL' },
  ServiceUnavailable: { http: 503, code: 'API_UNAVAILABLE' }
} as const

export type ApiReason = keyof typeof API_REASONS

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  causes?: FieldCause[]
  retryAfterSeconds?: number
}

/** An error that becomes a Kubernetes `Status` response. */
export class ApiError extends EdgeMeshError {
  readonly reason: ApiReason
  readonly httpStatus: number
  readonly details?: StatusDetails
  constructor (reason: ApiReason, message: string, details?: StatusDetails, options?: { cause?: unknown }) {
    super(API_REASONS[reason].code, message, options)
    this.reason = reason
    this.httpStatus = API_REASONS[reason].http
    this.details = details
  }

  toStatus (): StatusObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details !== undefined ? { details: this.details } : {}),
      code: this.httpStatus
    }
  }
}

export const notFound = (resource: string, name: string, group = ''): ApiError =>
  new ApiError('NotFound', `${group === '' ? resource : `${resource}.${group}`} "${name}" not found`, { name, group, kind: resource })

export const alreadyExists = (resource: string, name: string, group = ''): ApiError =>
  new ApiError('AlreadyExists', `${group === '' ? resource : `${resource}.${group}`} "${name}" already exists`, { name, group, kind: resource })

export const conflict = (resource: string, name: string, group = ''): ApiError =>
  new ApiError('Conflict', `Operation cannot be fulfilled on ${group === '' ? resource : `${resource}.${group}`} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group, kind: resource })

export const invalid = (kind: string, name: string, causes: FieldCause[], group = ''): ApiError =>
  new ApiError('Invalid', `${kind} "${name}" is invalid: ${causes.map(c => `${c.field}: ${c.message}`).join(', ')}`, { name, group, kind, causes: causes.map(c => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })) })

export const badRequest = (message: string): ApiError => new ApiError('BadRequest', message)

export const ERROR_CATALOGUE: Record<string, string> = Object.fromEntries(
  Object.entries(API_REASONS).map(([reason, { http, code }]) => [code, `Kubernetes Status reason ${reason} (HTTP ${http}).`])
)
