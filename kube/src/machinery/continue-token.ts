import { badRequest } from './errors.js'
import { isPlainObject } from './object-meta.js'

/**
 * Where a paged list goes on: the store revision the first page was read at and the key after the last
 * object returned. Opaque to clients (base64url JSON); `v` lets a later server change the layout and
 * still read tokens handed out before (a token without `v` is version 1).
 */
export interface ContinueToken { v?: 1, rev: number, start: string }

export function encodeContinue (t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, rev: t.rev, start: t.start })).toString('base64url')
}

/** Decodes a continue token; anything else is the client's error (400). */
export function decodeContinue (s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown
    if (isPlainObject(t) && (t.v === undefined || t.v === 1) && Number.isSafeInteger(t.rev) && typeof t.start === 'string') return { v: 1, rev: t.rev as number, start: t.start }
  } catch {
    // fall through: any undecodable token is the client's error
  }
  throw badRequest('invalid continue token')
}
