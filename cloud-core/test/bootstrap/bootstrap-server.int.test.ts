import { request } from 'node:https'
import { connect as tlsConnect } from 'node:tls'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { caHash, certInfo, createCA, createCsr, issueCert, verifyCert, type CertificateAuthority, type KeyAndCert } from '@edgemesh/common'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BootstrapServer, FileIssuedCertRegistry, JoinTokens, MemoryIssuedCertRegistry, parseNodeCsr, type IssuedCertRegistry } from '../../src/bootstrap/index.js'

interface Reply { status: number, body: string }

let ca: CertificateAuthority
let serving: KeyAndCert
let tokens: JoinTokens
let server: BootstrapServer
let registry: IssuedCertRegistry
const dirs: string[] = []

beforeAll(async () => {
  ca = await createCA()
  serving = await issueCert(ca, { commonName: 'bootstrap', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
  tokens = new JoinTokens(ca)
})

async function startServer (reg: IssuedCertRegistry = new MemoryIssuedCertRegistry(), init = {}): Promise<void> {
  registry = reg
  server = new BootstrapServer({ ca, serving, tokens, registry }, { port: 0, host: '127.0.0.1', ...init })
  await server.start()
}
afterEach(async () => { await server?.stop() })
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })

async function call (method: string, path: string, body?: string | Buffer, opts: { token?: string, client?: KeyAndCert } = {}): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: server.port,
      method,
      path,
      ca: ca.certPem,
      cert: opts.client?.certPem,
      key: opts.client?.keyPem,
      headers: { ...(opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}), 'content-type': 'application/x-pem-file' }
    }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const reason = (r: Reply): string => (JSON.parse(r.body) as { reason: string }).reason

async function joinNode (name: string): Promise<{ cert: string, key: string, csr: string }> {
  const { csrPem, keyPem } = await createCsr({ commonName: `system:node:${name}` })
  const r = await call('POST', '/edge.crt', csrPem, { token: await tokens.issue() })
  expect(r.status).toBe(200)
  return { cert: r.body, key: keyPem, csr: csrPem }
}

describe('bootstrap server', () => {
  it('serves the CA certificate whose hash is in the token', async () => {
    await startServer()
    const r = await call('GET', '/ca.crt')
    expect(r.status).toBe(200)
    expect(caHash(r.body)).toBe(tokens.caHash)
  })

  it('signs a node certificate for a CSR with a valid token', async () => {
    await startServer()
    const { cert } = await joinNode('edge-1')
    const info = verifyCert(cert, ca.certPem)
    expect(info.commonName).toBe('system:node:edge-1')
    expect(info.organizations).toEqual(['system:nodes'])
  })

  it('issues certificates with the configured validity', async () => {
    await startServer(undefined, { certDays: 30 })
    const { cert } = await joinNode('edge-days')
    const info = certInfo(cert)
    const days = (info.notAfter.getTime() - info.notBefore.getTime()) / 86_400_000
    expect(Math.round(days)).toBe(30)
  })

  it('refuses a CSR without credentials with BOOTSTRAP_UNAUTHORIZED', async () => {
    await startServer()
    const { csrPem } = await createCsr({ commonName: 'system:node:edge-x' })
    const r = await call('POST', '/edge.crt', csrPem)
    expect([r.status, reason(r)]).toEqual([401, 'BOOTSTRAP_UNAUTHORIZED'])
  })

  it('refuses a token for another CA with BOOTSTRAP_TOKEN_CA_MISMATCH', async () => {
    await startServer()
    const { csrPem } = await createCsr({ commonName: 'system:node:edge-x' })
    const r = await call('POST', '/edge.crt', csrPem, { token: await new JoinTokens(await createCA()).issue() })
    expect(reason(r)).toBe('BOOTSTRAP_TOKEN_CA_MISMATCH')
  })

  it('refuses an expired token with BOOTSTRAP_TOKEN_EXPIRED', async () => {
    await startServer()
    const old = await new JoinTokens(ca, { clock: { now: () => Date.now() - 25 * 3_600_000 } }).issue()
    const { csrPem } = await createCsr({ commonName: 'system:node:edge-x' })
    const r = await call('POST', '/edge.crt', csrPem, { token: old })
    expect(reason(r)).toBe('BOOTSTRAP_TOKEN_EXPIRED')
  })

  it('refuses a token with a bad signature with BOOTSTRAP_TOKEN_INVALID', async () => {
    await startServer()
    const t = await tokens.issue()
    const bad = t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    const { csrPem } = await createCsr({ commonName: 'system:node:edge-x' })
    const r = await call('POST', '/edge.crt', csrPem, { token: bad })
    expect(reason(r)).toBe('BOOTSTRAP_TOKEN_INVALID')
  })

  it('refuses a garbage CSR with BOOTSTRAP_CSR_INVALID', async () => {
    await startServer()
    const r = await call('POST', '/edge.crt', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', { token: await tokens.issue() })
    expect([r.status, reason(r)]).toEqual([400, 'BOOTSTRAP_CSR_INVALID'])
  })

  it('refuses a CSR whose key does not match its signature with BOOTSTRAP_CSR_SIGNATURE_INVALID', async () => {
    await startServer()
    // Swap the public point of CSR a for that of CSR b: still well-formed DER, but signed by another key.
    const der = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
    const point = (d: Buffer): number => d.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04]))
    const a = der((await createCsr({ commonName: 'system:node:edge-forged' })).csrPem)
    const b = der((await createCsr({ commonName: 'system:node:edge-forged' })).csrPem)
    b.copy(a, point(a), point(b), point(b) + 68)
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${a.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`
    const r = await call('POST', '/edge.crt', forged, { token: await tokens.issue() })
    expect(reason(r)).toBe('BOOTSTRAP_CSR_SIGNATURE_INVALID')
  })

  it('refuses a CN that is not a DNS-1123 node name with BOOTSTRAP_NODE_NAME_INVALID', async () => {
    await startServer()
    const { csrPem } = await createCsr({ commonName: 'system:node:Bad_Name' })
    const r = await call('POST', '/edge.crt', csrPem, { token: await tokens.issue() })
    expect([r.status, reason(r)]).toEqual([422, 'BOOTSTRAP_NODE_NAME_INVALID'])
  })

  it('refuses a replayed CSR with BOOTSTRAP_CSR_REUSED', async () => {
    await startServer()
    const { csr } = await joinNode('edge-replay')
    const r = await call('POST', '/edge.crt', csr, { token: await tokens.issue() })
    expect([r.status, reason(r)]).toEqual([409, 'BOOTSTRAP_CSR_REUSED'])
  })

  it('refuses a public key already issued to another node with BOOTSTRAP_CSR_REUSED', async () => {
    await startServer()
    const { csrPem } = await createCsr({ commonName: 'system:node:edge-b' })
    await registry.put('edge-a', { keyFingerprint: (await parseNodeCsr(csrPem)).keyFingerprint, serialNumber: '01', notAfter: new Date().toISOString() })
    const r = await call('POST', '/edge.crt', csrPem, { token: await tokens.issue() })
    expect([r.status, reason(r)]).toEqual([409, 'BOOTSTRAP_CSR_REUSED'])
  })

  it('refuses a CSR for a node name owned by another key with BOOTSTRAP_NODE_NAME_TAKEN', async () => {
    await startServer()
    await joinNode('edge-owned')
    const { csrPem } = await createCsr({ commonName: 'system:node:edge-owned' })
    const r = await call('POST', '/edge.crt', csrPem, { token: await tokens.issue() })
    expect([r.status, reason(r)]).toEqual([409, 'BOOTSTRAP_NODE_NAME_TAKEN'])
  })

  it('renews a certificate for a node authenticated by its current certificate', async () => {
    await startServer()
    const first = await joinNode('edge-renew')
    const { csrPem } = await createCsr({ commonName: 'system:node:edge-renew' })
    const r = await call('POST', '/edge.crt', csrPem, { client: { certPem: first.cert, keyPem: first.key } })
    expect(r.status).toBe(200)
    expect(certInfo(r.body).commonName).toBe('system:node:edge-renew')
  })

  it('refuses a renewal for another node name with BOOTSTRAP_RENEWAL_FORBIDDEN', async () => {
    await startServer()
    const first = await joinNode('edge-r1')
    const { csrPem } = await createCsr({ commonName: 'system:node:edge-r2' })
    const r = await call('POST', '/edge.crt', csrPem, { client: { certPem: first.cert, keyPem: first.key } })
    expect([r.status, reason(r)]).toEqual([403, 'BOOTSTRAP_RENEWAL_FORBIDDEN'])
  })

  it('refuses a body over the limit with BOOTSTRAP_BODY_TOO_LARGE', async () => {
    await startServer(undefined, { maxBodyBytes: 1024 })
    const r = await call('POST', '/edge.crt', Buffer.alloc(4096, 65), { token: await tokens.issue() })
    expect([r.status, reason(r)]).toEqual([413, 'BOOTSTRAP_BODY_TOO_LARGE'])
  })

  it('answers unknown paths with BOOTSTRAP_NOT_FOUND', async () => {
    await startServer()
    const r = await call('GET', '/nope')
    expect([r.status, reason(r)]).toEqual([404, 'BOOTSTRAP_NOT_FOUND'])
  })

  it('keeps name ownership in the file registry across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bootstrap-'))
    dirs.push(dir)
    const path = join(dir, 'issued-certs.json')
    await startServer(new FileIssuedCertRegistry(path))
    await joinNode('edge-file')
    await server.stop()
    await startServer(new FileIssuedCertRegistry(path))
    const { csrPem } = await createCsr({ commonName: 'system:node:edge-file' })
    const r = await call('POST', '/edge.crt', csrPem, { token: await tokens.issue() })
    expect(reason(r)).toBe('BOOTSTRAP_NODE_NAME_TAKEN')
    expect(JSON.parse(await readFile(path, 'utf8'))).toHaveProperty('edge-file')
  })

  it('closes a request that does not finish within the time limit', async () => {
    await startServer(undefined, { requestTimeoutMs: 300 })
    const s = tlsConnect({ host: '127.0.0.1', port: server.port, ca: ca.certPem })
    await new Promise<void>(resolve => s.once('secureConnect', () => resolve()))
    s.write(`POST /edge.crt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${await tokens.issue()}\r\nContent-Length: 100\r\n\r\npartial`)
    const reply = await new Promise<string>(resolve => {
      let text = ''
      s.on('data', (d: Buffer) => { text += d.toString() })
      s.on('close', () => resolve(text))
    })
    expect(reply).toMatch(/^HTTP\/1\.1 408/)
  })
})
