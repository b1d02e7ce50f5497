import { createHash, createPrivateKey, hkdfSync, timingSafeEqual } from 'node:crypto'
import { caHash, type CertificateAuthority } from '@edgemesh/common'
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import { systemClock, type Clock } from './clock.js'
import { BootstrapError } from './errors.js'

export interface JoinTokenInit {
  /** How long a token is valid. @default 86_400_000 (24 h) */
  ttlMs?: number
  /** How often the signing key changes. @default 43_200_000 (12 h) */
  rotationMs?: number
  /** @default the system clock */
  clock?: Clock
}

export interface VerifiedToken {
  /** Key epoch the token was signed in. */
  epoch: number
  expiresAt: Date
}

const ISSUER = 'edgemesh-bootstrap'
const AUDIENCE = 'edgemesh-join'

/**
 * Join tokens as DESIGN.md section 3 defines them: `hex(sha256(CA cert DER))` + `.` + a JWT (HS256).
 * The HMAC key of epoch `e = floor(now / rotationMs)` is HKDF-SHA256 over the CA private key (PKCS#8 DER)
 * with the epoch in `info`, so every cloudcore holding the CA derives the same keys without sharing
 * any other secret, and a leaked token key says nothing about the CA key or other epochs.
 * A token must stay valid until its own expiry even across rotations, so verification accepts every
 * epoch a still-unexpired token can come from: ceil(ttl / rotation) epochs back (2 with the defaults).
 */
export class JoinTokens {
  private readonly ttlMs: number
  private readonly rotationMs: number
  private readonly clock: Clock
  private readonly pin: string
  private readonly ikm: Buffer
  private readonly keys = new Map<number, Uint8Array>()

  constructor (ca: CertificateAuthority, init: JoinTokenInit = {}) {
    this.ttlMs = init.ttlMs ?? 86_400_000
    this.rotationMs = init.rotationMs ?? 43_200_000
    this.clock = init.clock ?? systemClock
    this.pin = caHash(ca.certPem)
    this.ikm = createPrivateKey(ca.keyPem).export({ type: 'pkcs8', format: 'der' })
  }

  /** The CA hash every token starts with. */
  get caHash (): string { return this.pin }

  private epochAt (ms: number): number { return Math.floor(ms / this.rotationMs) }

  private key (epoch: number): Uint8Array {
    let k = this.keys.get(epoch)
    if (k === undefined) {
      k = new Uint8Array(hkdfSync('sha256', this.ikm, 'edgemesh-join-token', `epoch:${epoch}`, 32))
      this.keys.set(epoch, k)
      // Only the accepted window is ever needed again.
      for (const e of this.keys.keys()) if (e < epoch - this.window() - 1) this.keys.delete(e)
    }
    return k
  }

  private window (): number { return Math.ceil(this.ttlMs / this.rotationMs) }

  /** Issues a token signed with the current epoch's key. */
  async issue (): Promise<string> {
    const now = this.clock.now()
    const epoch = this.epochAt(now)
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: String(epoch) })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor((now + this.ttlMs) / 1000))
      .sign(this.key(epoch))
    return `${this.pin}.${jwt}`
  }

  /**
   * Checks a token. Throws BootstrapError BOOTSTRAP_TOKEN_CA_MISMATCH, BOOTSTRAP_TOKEN_EXPIRED or
   * BOOTSTRAP_TOKEN_INVALID.
   */
  async verify (token: string): Promise<VerifiedToken> {
    const dot = token.indexOf('.')
    if (dot !== 64 || !/^[0-9a-f]{64}$/.test(token.slice(0, 64))) throw new BootstrapError('BOOTSTRAP_TOKEN_INVALID', 'join token is not <ca-hash>.<jwt>')
    const hash = Buffer.from(token.slice(0, 64), 'hex')
    if (!timingSafeEqual(hash, Buffer.from(this.pin, 'hex'))) {
      throw new BootstrapError('BOOTSTRAP_TOKEN_CA_MISMATCH', 'join token was made for another cluster CA (its CA hash does not match)')
    }
    const jwt = token.slice(dot + 1)
    let epoch: number
    try {
      const h = decodeProtectedHeader(jwt)
      epoch = Number(h.kid)
      if (h.alg !== 'HS256' || !Number.isSafeInteger(epoch)) throw new Error('bad header')
    } catch (err) {
      throw new BootstrapError('BOOTSTRAP_TOKEN_INVALID', 'join token is not a well-formed HS256 JWT', { cause: err })
    }
    const now = this.clock.now()
    const current = this.epochAt(now)
    if (epoch > current) throw new BootstrapError('BOOTSTRAP_TOKEN_INVALID', `join token key epoch ${epoch} is in the future`)
    // The window spans a token's whole lifetime, so a token from an older epoch has expired: say so
    // (an operator must get a new token), rather than calling it malformed.
    if (epoch < current - this.window()) throw new BootstrapError('BOOTSTRAP_TOKEN_EXPIRED', 'join token has expired; get a new one with keadm gettoken')
    try {
      const { payload } = await jwtVerify(jwt, this.key(epoch), { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(now), requiredClaims: ['exp', 'iat'] })
      return { epoch, expiresAt: new Date((payload.exp ?? 0) * 1000) }
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new BootstrapError('BOOTSTRAP_TOKEN_EXPIRED', 'join token has expired; get a new one with keadm gettoken', { cause: err })
      throw new BootstrapError('BOOTSTRAP_TOKEN_INVALID', 'join token signature or claims do not verify', { cause: err })
    }
  }
}

/** sha256 hex, used for CSR replay records and key fingerprints. */
export function sha256Hex (data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}
