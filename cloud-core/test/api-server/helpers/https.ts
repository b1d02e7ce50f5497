import { request as httpsRequest, type RequestOptions } from 'node:https'
import { createCA, issueCert, silentLogger, type CertificateAuthority, type KeyAndCert } from '@edgemesh/common'
import { ApiServer, type ApiServerInit } from '../../../src/api-server/server.js'
import type { TokenMap } from '../../../src/api-server/authn.js'
import type { ApiCore } from '../../../src/api-server/api-core.js'

export interface Pki {
  ca: CertificateAuthority
  server: KeyAndCert
  admin: KeyAndCert
  node1: KeyAndCert
  mesh: KeyAndCert
  plain: KeyAndCert
  foreign: KeyAndCert
}

/** Cluster CA, serving cert, and client certs for each role (plus one from an unrelated CA). */
export async function makePki (): Promise<Pki> {
  const ca = await createCA({ commonName: 'test-ca' })
  const other = await createCA({ commonName: 'other-ca' })
  return {
    ca,
    server: await issueCert(ca, { commonName: 'apiserver', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }, { usage: 'server' }),
    admin: await issueCert(ca, { commonName: 'admin', organizations: ['system:masters'] }, { usage: 'client' }),
    node1: await issueCert(ca, { commonName: 'system:node:n1', organizations: ['system:nodes'] }, { usage: 'client' }),
    mesh: await issueCert(ca, { commonName: 'system:edgemesh', organizations: ['system:edgemesh'] }, { usage: 'client' }),
    plain: await issueCert(ca, { commonName: 'bob' }, { usage: 'client' }),
    foreign: await issueCert(other, { commonName: 'admin', organizations: ['system:masters'] }, { usage: 'client' })
  }
}

export async function startServer (core: Pick<ApiCore, 'registry' | 'storage'> & Partial<Pick<ApiCore, 'openapi'>>, pki: Pki, init: Partial<ApiServerInit> = {}, tokens?: TokenMap): Promise<ApiServer> {
  const server = new ApiServer({ core, logger: silentLogger(), tokens, openapi: core.openapi }, { port: 0, host: '127.0.0.1', tls: { key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem }, ...init })
  await server.start()
  return server
}

export interface Reply { status: number, headers: Record<string, string | string[] | undefined>, text: string, json: any }

export interface Caller {
  (method: string, path: string, opts?: { body?: unknown, raw?: string | Buffer, contentType?: string, accept?: string, headers?: Record<string, string> }): Promise<Reply>
}

/** HTTPS client bound to one identity (client cert and/or bearer token). */
export function caller (port: number, pki: Pki, who: { cert?: KeyAndCert, token?: string } = {}): Caller {
  return async (method, path, opts = {}) => {
    const payload = opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined)
    const headers: Record<string, string> = { ...(opts.headers ?? {}) }
    if (payload !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json'
      // Node does not frame DELETE bodies on its own: without a length they would read as a second request.
      headers['Content-Length'] = String(Buffer.byteLength(payload))
    }
    if (opts.accept !== undefined) headers.Accept = opts.accept
    if (who.token !== undefined) headers.Authorization = `Bearer ${who.token}`
    const ro: RequestOptions = { host: '127.0.0.1', port, method, path, headers, ca: pki.ca.certPem, servername: 'localhost', agent: false }
    if (who.cert !== undefined) { ro.cert = who.cert.certPem; ro.key = who.cert.keyPem }
    return await new Promise<Reply>((resolve, reject) => {
      const req = httpsRequest(ro, res => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try { json = JSON.parse(text) } catch { json = undefined }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
        })
        res.on('error', reject)
      })
      req.on('error', reject)
      if (payload !== undefined) req.end(payload)
      else req.end()
    })
  }
}

/** Opens a watch and collects lines until `n` arrived or the stream ends. */
export async function watchLines (port: number, pki: Pki, path: string, n: number, opts: { accept?: string, onOpen?: () => Promise<void> | void, cert?: KeyAndCert } = {}): Promise<{ status: number, events: any[] }> {
  return await new Promise((resolve, reject) => {
    const cert = opts.cert ?? pki.admin
    const req = httpsRequest({ host: '127.0.0.1', port, method: 'GET', path, ca: pki.ca.certPem, servername: 'localhost', agent: false, cert: cert.certPem, key: cert.keyPem, headers: opts.accept !== undefined ? { Accept: opts.accept } : {} }, res => {
      const events: any[] = []
      let buf = ''
      let done = false
      const finish = (): void => { if (done) return; done = true; req.destroy(); resolve({ status: res.statusCode ?? 0, events }) }
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8')
        let i
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i)
          buf = buf.slice(i + 1)
          if (line.trim() !== '') events.push(JSON.parse(line))
          if (events.length >= n) finish()
        }
      })
      res.on('end', finish)
      res.on('close', finish)
      Promise.resolve(opts.onOpen?.()).catch(reject)
    })
    req.on('error', err => { if ((err as { code?: string }).code !== 'ECONNRESET') reject(err) })
    req.end()
  })
}
