import { request } from 'node:https'
import { caHash, createCsr, withTimeout } from '@edgemesh/common'
import { JoinError } from './errors.js'

/** A CA or a node certificate is a few KiB; anything this large is not a bootstrap reply. */
const MAX_REPLY_BYTES = 1_048_576

export interface JoinOptions {
  /** Bootstrap server base URL, e.g. `https://203.0.113.10:10002`. */
  server: string
  /** Join token from `keadm gettoken`: `<ca-hash>.<jwt>`. */
  token: string
  nodeName: string
  /** Whole join time limit. @default 15_000 */
  timeoutMs?: number
  signal?: AbortSignal
}

export interface NodeCredentials { caPem: string, certPem: string, keyPem: string }

interface Reply { status: number, body: string }

async function call (url: URL, opts: { method: string, ca?: string, insecure?: boolean, body?: string, headers?: Record<string, string>, cert?: string, key?: string, signal: AbortSignal }): Promise<Reply> {
  return await new Promise<Reply>((resolve, reject) => {
    const req = request(url, {
      method: opts.method,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      // Only for fetching the CA itself, which is then checked against the pin before anything is trusted.
      rejectUnauthorized: opts.insecure !== true,
      headers: opts.headers,
      signal: opts.signal
    }, res => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > MAX_REPLY_BYTES) { req.destroy(new JoinError('JOIN_REPLY_TOO_LARGE', `bootstrap reply is over ${MAX_REPLY_BYTES} bytes`)); return }
        chunks.push(c)
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

function refused (r: Reply): JoinError {
  let remoteCode: string | undefined
  let message = `bootstrap server answered ${r.status}`
  try {
    const s = JSON.parse(r.body) as { reason?: string, message?: string }
    remoteCode = s.reason
    if (s.message !== undefined) message = `${message}: ${s.message}`
  } catch { /* not a Status */ }
  return new JoinError('JOIN_REFUSED', message, { remoteCode })
}

function unreachable (err: unknown): JoinError {
  return err instanceof JoinError ? err : new JoinError('JOIN_UNREACHABLE', `cannot reach the bootstrap server: ${(err as Error).message}`, { cause: err })
}

/** Pins the CA by the token's hash, then sends a fresh CSR for `system:node:<nodeName>` with the token. */
export async function joinCluster (opts: JoinOptions): Promise<NodeCredentials> {
  const pin = opts.token.slice(0, 64)
  if (!/^[0-9a-f]{64}$/.test(pin) || opts.token[64] !== '.') throw new JoinError('JOIN_TOKEN_MALFORMED', 'join token must be <64 hex digits>.<jwt>')
  return await withTimeout(opts.timeoutMs ?? 15_000, async signal => {
    let ca: Reply
    try {
      ca = await call(new URL('/ca.crt', opts.server), { method: 'GET', insecure: true, signal })
    } catch (err) { throw unreachable(err) }
    if (ca.status !== 200) throw refused(ca)
    let served: string
    try { served = caHash(ca.body) } catch (err) { throw new JoinError('JOIN_CA_PIN_MISMATCH', 'bootstrap server did not serve a PEM certificate', { cause: err }) }
    if (served !== pin) throw new JoinError('JOIN_CA_PIN_MISMATCH', `served CA hashes to ${served}, the token pins ${pin}`)
    const { csrPem, keyPem } = await createCsr({ commonName: `system:node:${opts.nodeName}` })
    let r: Reply
    try {
      r = await call(new URL('/edge.crt', opts.server), { method: 'POST', ca: ca.body, body: csrPem, headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/x-pem-file' }, signal })
    } catch (err) { throw unreachable(err) }
    if (r.status !== 200) throw refused(r)
    return { caPem: ca.body, certPem: r.body, keyPem }
  }, opts.signal)
}

export interface RenewOptions {
  server: string
  nodeName: string
  current: NodeCredentials
  /** @default 15_000 */
  timeoutMs?: number
  signal?: AbortSignal
}

/** Gets a new certificate (and key) by authenticating with the current, still valid, node certificate. */
export async function renewNodeCert (opts: RenewOptions): Promise<NodeCredentials> {
  return await withTimeout(opts.timeoutMs ?? 15_000, async signal => {
    const { csrPem, keyPem } = await createCsr({ commonName: `system:node:${opts.nodeName}` })
    let r: Reply
    try {
      r = await call(new URL('/edge.crt', opts.server), { method: 'POST', ca: opts.current.caPem, cert: opts.current.certPem, key: opts.current.keyPem, body: csrPem, headers: { 'content-type': 'application/x-pem-file' }, signal })
    } catch (err) { throw unreachable(err) }
    if (r.status !== 200) throw refused(r)
    return { caPem: opts.current.caPem, certPem: r.body, keyPem }
  }, opts.signal)
}
