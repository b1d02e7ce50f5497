/**
 * Typed errors. Every failure kind has a class with a stable `code`; callers match on `code`,
 * never on message text. Each package keeps its codes in an `ERROR_CATALOGUE` (code -> meaning)
 * next to its error classes, and `docs/errors.md` documents every code (a test checks both).
 */
export class EdgeMeshError extends Error {
  readonly code: string
  constructor (code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/**
 * Base of a module's error class, typed by the module's code union:
 * `export class StoreError extends CodedError<StoreErrorCode> {}`. Callers can only pass catalogued
 * codes, and `err.code` narrows to them.
 */
export class CodedError<C extends string> extends EdgeMeshError {
  declare readonly code: C
  constructor (code: C, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/** Is `err` an EdgeMeshError (or any error) carrying this code? */
export function hasCode (err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code
}

export class ConfigError extends EdgeMeshError {
  /** The dotted key that was wrong, if one was. */
  readonly key?: string
  readonly file?: string
  constructor (message: string, opts: { key?: string, file?: string, cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, { cause: opts.cause })
    this.key = opts.key
    this.file = opts.file
  }
}

export class AbortError extends EdgeMeshError {
  constructor (message = 'The operation was aborted') { super('ABORTED', message) }
}

export class TimeoutError extends EdgeMeshError {
  constructor (message = 'The operation timed out') { super('TIMEOUT', message) }
}

export class CertificateError extends CodedError<'CERT_INVALID' | 'CERT_EXPIRED' | 'CERT_UNTRUSTED' | 'CERT_REVOKED' | 'CERT_MISMATCH'> {}

export class MetricsError extends EdgeMeshError {
  constructor (message: string) { super('METRICS_INVALID_NAME', message) }
}

export const ERROR_CATALOGUE: Record<string, string> = {
  CONFIG_INVALID: 'A configuration file or option failed validation; the error names the key and the file.',
  ABORTED: 'An operation was cancelled through its AbortSignal.',
  TIMEOUT: 'An operation did not finish within its time limit.',
  CERT_INVALID: 'A certificate or CSR could not be parsed or is malformed.',
  CERT_EXPIRED: 'A certificate is outside its validity period.',
  CERT_UNTRUSTED: 'A certificate does not chain to the cluster CA.',
  CERT_REVOKED: 'A certificate serial is on the revocation list.',
  CERT_MISMATCH: 'A certificate does not bind the expected identity (node name or peer id).',
  QUEUE_OVERFLOW: 'A queue consumer fell more items behind than the queue buffers; it was ended and must start over.',
  METRICS_INVALID_NAME: 'A metric was registered under a name outside the edgemesh_<component>_<thing>_<unit> scheme (a programming error, caught at start).',
  POD_STREAM_REFUSED: 'The node refused a pod stream (logs/exec/attach/port-forward); the HTTP status and message say why.',
  POD_STREAM_UNAVAILABLE: 'No link to the node that runs the pod (not connected, or it does not serve pod streams).',
  POD_STREAM_ABORTED: 'A pod stream was torn down (by the peer, a timeout or the link).',
  POD_STREAM_INVALID: 'A pod stream request or frame that does not match the contract.'
}
