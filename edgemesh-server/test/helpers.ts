import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCA } from '@edgemesh/common'
import { createMeshNode, issueNodeCert, loadOrCreatePeerKey, natTraversal } from '@edgemesh/edgemesh-agent'
import { createEdgeMeshServer, parseServerConfig } from '../src/index.js'
import type { CertificateAuthority } from '@edgemesh/common'
import type { MeshNode, NatTraversal, NatTraversalInit } from '@edgemesh/edgemesh-agent'
import type { EdgeMeshServer, ServerConfig } from '../src/index.js'

export interface Pki { ca: CertificateAuthority, dir: string, cleanup: () => Promise<void> }

export async function makePki (): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'edgemesh-server-'))
  const ca = await createCA({ commonName: 'edgemesh-test-ca' })
  await writeFile(join(dir, 'ca.crt'), ca.certPem)
  return { ca, dir, cleanup: async () => { await rm(dir, { recursive: true, force: true }) } }
}

/** A server data dir with its key and a node-style certificate for it. */
export async function serverConfig (pki: Pki, name: string, overrides: Partial<ServerConfig> = {}): Promise<ServerConfig> {
  const dataDir = join(pki.dir, name)
  const key = await loadOrCreatePeerKey(dataDir)
  const cert = await issueNodeCert(pki.ca, 'edgemesh-server', key.peerId)
  await writeFile(join(dataDir, 'server.crt'), cert.certPem)
  return {
    ...parseServerConfig({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      dataDir,
      identity: { certFile: join(dataDir, 'server.crt'), caFile: join(pki.dir, 'ca.crt') },
      http: { host: '127.0.0.1', port: 0 }
    }),
    ...overrides
  }
}

export async function startServer (cfg: ServerConfig): Promise<EdgeMeshServer> {
  const server = createEdgeMeshServer(cfg)
  await server.start()
  return server
}

export type Agent = MeshNode<{ nat: NatTraversal }>

export interface AgentOptions {
  nodeName: string
  /** The name the certificate proves. @default nodeName */
  certNodeName?: string
  servers: string[]
  ca?: CertificateAuthority
  nat?: Partial<NatTraversalInit>
  /** Keep a relay reservation on the servers. @default true */
  reserve?: boolean
}

export async function startAgent (pki: Pki, opts: AgentOptions): Promise<Agent> {
  const key = await loadOrCreatePeerKey(join(pki.dir, `agent-${opts.nodeName}-${Math.random().toString(36).slice(2)}`))
  const cert = await issueNodeCert(opts.ca ?? pki.ca, opts.certNodeName ?? opts.nodeName, key.peerId)
  const node = await createMeshNode<{ nat: NatTraversal }>({
    privateKey: key.privateKey,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    relays: opts.reserve === false ? [] : opts.servers,
    auth: { nodeName: opts.certNodeName ?? opts.nodeName, certPem: cert.certPem, caPem: pki.ca.certPem },
    services: { nat: natTraversal({ nodeName: opts.nodeName, servers: opts.servers, ...opts.nat }) }
  })
  return node
}

export { eventually } from '@edgemesh/common'
