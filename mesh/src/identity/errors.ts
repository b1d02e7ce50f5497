import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type IdentityErrorCode = keyof typeof ERROR_CATALOGUE

/** Failures of the node key file and of the `/edgemesh/auth/1.0.0` exchange. Certificate checks throw common's CertificateError. */
export class IdentityError extends CodedError<IdentityErrorCode> {
  /** For AUTH_FAILED: the code the check failed with (e.g. CERT_MISMATCH), locally or as reported by the remote. */
  readonly reason?: string
  constructor (code: IdentityErrorCode, message: string, options?: { cause?: unknown, reason?: string }) {
    super(code, message, options)
    this.reason = options?.reason
  }
}

export const ERROR_CATALOGUE = {
  KEY_FILE_INSECURE: 'The peer key file is readable or writable by group/other; fix with chmod 600.',
  KEY_FILE_INVALID: 'The peer key file exists but is not a protobuf-encoded libp2p private key.',
  AUTH_REQUIRED: 'A peer asked for a tunnel stream (or relay reservation) before proving its node certificate.',
  AUTH_FAILED: 'Certificate exchange with a peer failed (untrusted/expired/revoked cert, or its peer id SAN does not match the Noise peer id); the connection is closed.',
  AUTH_TIMEOUT: 'A peer did not complete the certificate exchange in time; the connection is closed.',
  AUTH_BAD_FRAME: 'An auth frame was oversized, truncated or did not match the schema.'
} as const satisfies Record<string, string>
