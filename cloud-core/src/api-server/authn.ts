import { readFile } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { z } from '@edgemesh/common'
import { ApiError, type RequestUser } from '@edgemesh/kube/machinery'

/** Bearer token file in the data dir: `{"tokens":[{"token":"...","user":"...","groups":["..."]}]}`. */
export const TOKEN_FILE_NAME = 'tokens.json'

const TokenFileSchema = z.object({
  tokens: z.array(z.object({
    token: z.string().min(16),
    user: z.string().min(1),
    groups: z.array(z.string()).default([])
  }).strict())
}).strict()

export type TokenMap = Map<string, RequestUser>

/** Loads and validates the static token file. */
export async function loadTokenFile (path: string): Promise<TokenMap> {
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new ApiError('InternalError', `cannot read token file ${path}: ${(err as Error).message}`, undefined, { cause: err })
  }
  const parsed = TokenFileSchema.safeParse(raw)
  if (!parsed.success) throw new ApiError('InternalError', `invalid token file ${path}: ${parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return new Map(parsed.data.tokens.map(t => [t.token, { name: t.user, groups: t.groups }]))
}

export interface AuthenticatorComponents {
  /** Bearer tokens; none when absent. */
  tokens?: TokenMap
}

const asArray = (v: string | string[] | undefined): string[] => v === undefined ? [] : Array.isArray(v) ? v : [v]

/**
 * Who is calling: a client certificate that chained to the cluster CA during the TLS handshake
 * (Node already verified it: `requestCert` + `ca`, so no per-request crypto), else a bearer token.
 * Anonymous requests get 401.
 */
export class Authenticator {
  private readonly tokens: TokenMap
  // The peer certificate cannot change within a TLS connection, so parse it once per socket.
  private readonly bySocket = new WeakMap<TLSSocket, RequestUser | null>()

  constructor (components: AuthenticatorComponents = {}) {
    this.tokens = components.tokens ?? new Map()
  }

  /**
   * Returns the user, or undefined for anonymous. As in kube-apiserver, a verified client
   * certificate wins; otherwise a presented but unknown bearer token is a 401.
   */
  identify (req: IncomingMessage): RequestUser | undefined {
    const byCert = this.fromCertificate(req.socket as TLSSocket)
    if (byCert !== undefined) return byCert
    const auth = req.headers.authorization
    if (auth === undefined) return undefined
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth)
    const user = m !== null ? this.tokens.get(m[1]!) : undefined
    if (user === undefined) throw unauthorized()
    return { name: user.name, groups: [...user.groups, 'system:authenticated'] }
  }

  private fromCertificate (socket: TLSSocket): RequestUser | undefined {
    if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined
    let user = this.bySocket.get(socket)
    if (user === undefined) {
      const cert = socket.getPeerCertificate()
      const cn = asArray(cert.subject?.CN)[0]
      user = cn !== undefined && cn !== '' ? { name: cn, groups: [...asArray(cert.subject?.O), 'system:authenticated'] } : null
      this.bySocket.set(socket, user)
    }
    return user === null ? undefined : { name: user.name, groups: [...user.groups] }
  }

  authenticate (req: IncomingMessage): RequestUser {
    const user = this.identify(req)
    if (user === undefined) throw unauthorized()
    return user
  }
}

export const unauthorized = (): ApiError => new ApiError('Unauthorized', 'Unauthorized')
