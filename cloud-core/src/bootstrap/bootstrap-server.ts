import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { certInfo, hasCode, signCsr, silentLogger, type CertificateAuthority, type KeyAndCert, type Logger, type Startable } from '@edgemesh/common'
import { systemClock, type Clock } from './clock.js'
import { nodeNameFromCn, parseNodeCsr, type ParsedCsr } from './csr.js'
import { BootstrapError } from './errors.js'
import type { IssuedCertRegistry } from './issued-cert-registry.js'
import type { JoinTokens } from './join-token.js'

/** Where the bootstrap server listens by default (cloudcore's config schema uses the same). */
export const BOOTSTRAP_DEFAULTS = { port: 10002, host: '0.0.0.0' } as const

export interface BootstrapServerInit {
  /** @default 10002 (0 picks a free port) */
  port?: number
  /** @default '0.0.0.0' */
  host?: string
  /** Validity of issued node certificates, in days. @default 365 */
  certDays?: number
  /** Largest accepted request body. @default 65_536 */
  maxBodyBytes?: number
  /** Whole-request time limit (headers and body). @default 10_000 */
  requestTimeoutMs?: number
  /** How many distinct CSR bodies are remembered for replay detection. @default 10_000 */
  replayWindow?: number
}

export interface BootstrapServerComponents {
  ca: CertificateAuthority
  /** This server's TLS certificate (from the cluster CA). */
  serving: KeyAndCert
  tokens: JoinTokens
  registry: IssuedCertRegistry
  logger?: Logger
  clock?: Clock
}

const NODE_GROUP = 'system:nodes'

/**
 * The HTTPS endpoint a joining node talks to before it has any credentials (DESIGN.md section 3):
 * `GET /ca.crt` (the node pins it by the hash in its token) and `POST /edge.crt` with a PEM CSR,
 * authenticated by `Authorization: Bearer <join token>` or, for a renewal, by the node's current client
 * certificate (which may only renew its own name). Refusals are Status-like JSON whose `reason` is the code.
 */
export class BootstrapServer implements Startable {
  private readonly init: Required<BootstrapServerInit>
  private readonly log: Logger
  private readonly clock: Clock
  private readonly seenCsrs = new Set<string>()
  private server?: Server
  private boundPort = 0
  // Serialises issuance so two CSRs for one name (or one key) cannot both pass the registry checks.
  private issuing: Promise<unknown> = Promise.resolve()

  constructor (private readonly components: BootstrapServerComponents, init: BootstrapServerInit = {}) {
    this.init = {
      port: init.port ?? BOOTSTRAP_DEFAULTS.port,
      host: init.host ?? BOOTSTRAP_DEFAULTS.host,
      certDays: init.certDays ?? 365,
      maxBodyBytes: init.maxBodyBytes ?? 65_536,
      requestTimeoutMs: init.requestTimeoutMs ?? 10_000,
      replayWindow: init.replayWindow ?? 10_000
    }
    this.log = (components.logger ?? silentLogger()).child({ component: 'bootstrap' })
    this.clock = components.clock ?? systemClock
  }

  readonly [Symbol.toStringTag] = '@edgemesh/bootstrap-server'

  get port (): number { return this.boundPort }
  isStarted (): boolean { return this.server !== undefined }

  async start (): Promise<void> {
    if (this.server !== undefined) return
    const server = createServer({
      cert: this.components.serving.certPem,
      key: this.components.serving.keyPem,
      ca: this.components.ca.certPem,
      // Optional client certificates: joining nodes have none, renewing nodes present theirs.
      requestCert: true,
      rejectUnauthorized: false,
      requestTimeout: this.init.requestTimeoutMs,
      headersTimeout: Math.min(this.init.requestTimeoutMs, 60_000),
      // Node checks those timeouts only every connectionsCheckingInterval (30 s by default).
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(this.init.requestTimeoutMs / 2)))
    }, (req, res) => { void this.handle(req, res) })
    server.headersTimeout = Math.min(this.init.requestTimeoutMs, 60_000)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port, this.init.host, () => { server.off('error', reject); resolve() })
    })
    this.boundPort = (server.address() as AddressInfo).port
    this.server = server
    this.log.info({ port: this.boundPort }, 'bootstrap server listening')
  }

  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    await new Promise<void>(resolve => { server.close(() => resolve()); server.closeAllConnections() })
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = new URL(req.url ?? '/', 'https://bootstrap').pathname
      if (req.method === 'GET' && path === '/ca.crt') {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(this.components.ca.certPem)
        return
      }
      if (req.method === 'POST' && path === '/edge.crt') {
        const cert = await this.issue(req)
        res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(cert)
        return
      }
      throw new BootstrapError('BOOTSTRAP_NOT_FOUND', `no endpoint ${req.method ?? ''} ${path}`)
    } catch (err) {
      this.refuse(res, err)
    }
  }

  private refuse (res: ServerResponse, err: unknown): void {
    const e = err instanceof BootstrapError ? err : undefined
    const status = e?.httpStatus ?? 500
    const code = e?.code ?? 'INTERNAL'
    if (e === undefined) this.log.error({ err }, 'bootstrap request failed')
    else this.log.warn({ code, msg: e.message }, 'bootstrap request refused')
    if (res.headersSent) { res.destroy(); return }
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e?.message ?? 'internal error', reason: code, code: status })
    res.writeHead(status, { 'content-type': 'application/json', connection: status === 413 ? 'close' : 'keep-alive' }).end(body)
  }

  private async readBody (req: IncomingMessage): Promise<string> {
    const declared = Number(req.headers['content-length'] ?? '0')
    if (declared > this.init.maxBodyBytes) throw new BootstrapError('BOOTSTRAP_BODY_TOO_LARGE', `body of ${declared} bytes exceeds ${this.init.maxBodyBytes}`)
    const chunks: Buffer[] = []
    let size = 0
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length
      if (size > this.init.maxBodyBytes) throw new BootstrapError('BOOTSTRAP_BODY_TOO_LARGE', `body exceeds ${this.init.maxBodyBytes} bytes`)
      chunks.push(c)
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  /** The node a renewing client proved with its certificate, or undefined when it presented none that verifies. */
  private certNode (req: IncomingMessage): string | undefined {
    const sock = req.socket as TLSSocket
    if (!sock.authorized) return undefined
    const peer = sock.getPeerCertificate()
    if (peer == null || peer.subject == null) return undefined
    const o = peer.subject.O
    const groups = Array.isArray(o) ? o : o === undefined ? [] : [o]
    const cn = Array.isArray(peer.subject.CN) ? peer.subject.CN[0] : peer.subject.CN
    if (!groups.includes(NODE_GROUP) || typeof cn !== 'string') return undefined
    return nodeNameFromCn(cn)
  }

  private async issue (req: IncomingMessage): Promise<string> {
    const auth = req.headers.authorization
    const renewingAs = this.certNode(req)
    if (auth !== undefined && /^Bearer\s+/i.test(auth)) {
      await this.components.tokens.verify(auth.replace(/^Bearer\s+/i, '').trim())
    } else if (renewingAs === undefined) {
      throw new BootstrapError('BOOTSTRAP_UNAUTHORIZED', 'send Authorization: Bearer <join token>, or renew with your node client certificate')
    }
    const body = await this.readBody(req)
    const csr = await parseNodeCsr(body)
    const tokenAuth = auth !== undefined
    if (!tokenAuth && renewingAs !== csr.nodeName) {
      throw new BootstrapError('BOOTSTRAP_RENEWAL_FORBIDDEN', `node "${renewingAs ?? ''}" may only renew its own certificate, not "${csr.nodeName}"`)
    }
    const run = this.issuing.then(async () => await this.issueLocked(csr, tokenAuth ? undefined : renewingAs))
    this.issuing = run.catch(() => {})
    return await run
  }

  private async issueLocked (csr: ParsedCsr, renewingAs: string | undefined): Promise<string> {
    if (this.seenCsrs.has(csr.csrFingerprint)) throw new BootstrapError('BOOTSTRAP_CSR_REUSED', 'this exact CSR was already submitted; generate a new one')
    const registry = this.components.registry
    const keyOwner = await registry.findByKey(csr.keyFingerprint)
    if (keyOwner !== undefined && keyOwner !== csr.nodeName) {
      throw new BootstrapError('BOOTSTRAP_CSR_REUSED', `the CSR's public key was already issued to another node`)
    }
    const existing = await registry.get(csr.nodeName)
    // With a token the name must be new or bound to this very key (a node rejoining after its cert
    // expired offline keeps its key and so its identity); a renewing node already proved the name.
    if (renewingAs === undefined && existing !== undefined && existing.keyFingerprint !== csr.keyFingerprint) {
      throw new BootstrapError('BOOTSTRAP_NODE_NAME_TAKEN', `node name "${csr.nodeName}" already belongs to another key`)
    }
    this.remember(csr.csrFingerprint)
    const certPem = await signCsr(this.components.ca, csr.pem, {
      usage: 'both',
      days: this.init.certDays,
      subject: { commonName: `system:node:${csr.nodeName}`, organizations: [NODE_GROUP], dnsNames: [csr.nodeName] }
    }).catch(err => {
      if (hasCode(err, 'CERT_INVALID')) throw new BootstrapError('BOOTSTRAP_CSR_INVALID', 'CSR could not be signed', { cause: err })
      throw err
    })
    const info = certInfo(certPem)
    await registry.put(csr.nodeName, { keyFingerprint: csr.keyFingerprint, serialNumber: info.serialNumber, notAfter: info.notAfter.toISOString() })
    this.log.info({ node: csr.nodeName, serial: info.serialNumber, renewal: renewingAs !== undefined, at: new Date(this.clock.now()).toISOString() }, 'node certificate issued')
    return certPem
  }

  private remember (fp: string): void {
    this.seenCsrs.add(fp)
    if (this.seenCsrs.size > this.init.replayWindow) {
      const oldest = this.seenCsrs.values().next().value
      if (oldest !== undefined) this.seenCsrs.delete(oldest)
    }
  }
}
