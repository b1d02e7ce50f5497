import { CodedError } from '@edgemesh/common'

/** The codes of this module: the keys of its catalogue (one table). */
export type JoinCode = keyof typeof ERROR_CATALOGUE
export class JoinError extends CodedError<JoinCode> {
  /** For JOIN_REFUSED: the bootstrap server's code (e.g. BOOTSTRAP_TOKEN_EXPIRED). */
  readonly remoteCode?: string
  constructor (code: JoinCode, message: string, opts: { remoteCode?: string, cause?: unknown } = {}) {
    super(code, message, { cause: opts.cause })
    this.remoteCode = opts.remoteCode
  }
}

export const ERROR_CATALOGUE = {
  JOIN_CA_PIN_MISMATCH: 'The CA served by the bootstrap server does not hash to the CA hash in the join token; nothing is trusted or sent.',
  JOIN_REFUSED: 'The bootstrap server refused the certificate request; `remoteCode` carries its BOOTSTRAP_* code.',
  JOIN_UNREACHABLE: 'The bootstrap server could not be reached, or its TLS certificate is not from the pinned CA.',
  JOIN_TOKEN_MALFORMED: 'A join token does not start with a 64-hex-digit CA hash and a dot.',
  JOIN_REPLY_TOO_LARGE: 'The bootstrap server sent a reply over 1 MiB; the join stops reading it (a CA or certificate is a few KiB).'
} as const satisfies Record<string, string>
