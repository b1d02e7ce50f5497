import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type BootstrapCode = keyof typeof ERROR_CATALOGUE

const STATUS: Record<BootstrapCode, number> = {
  BOOTSTRAP_TOKEN_INVALID: 401,
  BOOTSTRAP_TOKEN_EXPIRED: 401,
  BOOTSTRAP_TOKEN_CA_MISMATCH: 401,
  BOOTSTRAP_UNAUTHORIZED: 401,
  BOOTSTRAP_CSR_INVALID: 400,
  BOOTSTRAP_CSR_SIGNATURE_INVALID: 400,
  BOOTSTRAP_CSR_REUSED: 409,
  BOOTSTRAP_NODE_NAME_INVALID: 422,
  BOOTSTRAP_NODE_NAME_TAKEN: 409,
  BOOTSTRAP_RENEWAL_FORBIDDEN: 403,
  BOOTSTRAP_BODY_TOO_LARGE: 413,
  BOOTSTRAP_NOT_FOUND: 404,
  BOOTSTRAP_CA_INCOMPLETE: 500,
  BOOTSTRAP_CA_CONFLICT: 500
}

/** A refused join or renewal; `httpStatus` is what the bootstrap server answers with. */
export class BootstrapError extends CodedError<BootstrapCode> {
  readonly httpStatus: number
  constructor (code: BootstrapCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.httpStatus = STATUS[code]
  }
}

export const ERROR_CATALOGUE = {
  BOOTSTRAP_TOKEN_INVALID: 'A join token is malformed, has a bad signature, or names a key epoch from the future.',
  BOOTSTRAP_TOKEN_EXPIRED: 'A join token is past its expiry (24 h after it was issued), including one whose signing key has left the accepted window.',
  BOOTSTRAP_TOKEN_CA_MISMATCH: 'The CA hash in a join token is not the hash of this cluster\'s CA certificate.',
  BOOTSTRAP_UNAUTHORIZED: 'A certificate request carried neither a bearer token nor a valid node client certificate.',
  BOOTSTRAP_CSR_INVALID: 'The request body is not a PEM PKCS#10 certificate signing request.',
  BOOTSTRAP_CSR_SIGNATURE_INVALID: 'A CSR\'s signature does not verify with the public key it carries.',
  BOOTSTRAP_CSR_REUSED: 'The same CSR was already submitted, or its public key was already issued to a different node.',
  BOOTSTRAP_NODE_NAME_INVALID: 'The CSR\'s CN does not name a node (`system:node:<name>` or `<name>`, a DNS-1123 subdomain).',
  BOOTSTRAP_NODE_NAME_TAKEN: 'A token-authenticated CSR asks for a node name whose certificate is bound to another key.',
  BOOTSTRAP_RENEWAL_FORBIDDEN: 'A node authenticated by its certificate asked for a certificate with another node\'s name.',
  BOOTSTRAP_BODY_TOO_LARGE: 'A bootstrap request body is over the size limit.',
  BOOTSTRAP_NOT_FOUND: 'No such bootstrap endpoint (only GET /ca.crt and POST /edge.crt exist).',
  BOOTSTRAP_CA_INCOMPLETE: 'The CA directory has a CA certificate but its key did not appear in time (a creator crashed half-way); remove both files and start again.',
  BOOTSTRAP_CA_CONFLICT: 'This data dir holds a CA that was already the cluster\'s, but the store holds a different one; cloudcore refuses to start rather than mix two clusters\' certificates.'
} as const satisfies Record<string, string>
