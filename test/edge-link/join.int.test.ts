import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { certInfo, createCA, eventually, issueCert, type CertificateAuthority, type KeyAndCert } from '@edgemesh/common'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BootstrapServer, JoinTokens, MemoryIssuedCertRegistry } from '../../cloud-core/src/bootstrap/index.js'
import { CloudHub, MemoryWatermarkStore } from '../../cloud-core/src/cloud-hub/index.js'
import { EdgeHub, joinCluster, renewNodeCert } from '../../edge-core/src/index.js'

// Join end to end: token → pinned CA → CSR → node certificate → the cloud-hub knows the node by it.
let ca: CertificateAuthority
let serving: KeyAndCert
let tokens: JoinTokens
const stops: Array<() => Promise<void>> = []

beforeAll(async () => {
  ca = await createCA()
  serving = await issueCert(ca, { commonName: 'cloudcore', ipAddresses: ['127.0.0.1'] }, { usage: 'server' })
  tokens = new JoinTokens(ca)
})
afterEach(async () => { for (const s of stops.splice(0).reverse()) await s() })

async function bootstrap (): Promise<string> {
  const server = new BootstrapServer({ ca, serving, tokens, registry: new MemoryIssuedCertRegistry() }, { port: 0, host: '127.0.0.1' })
  await server.start()
  stops.push(async () => await server.stop())
  return `https://127.0.0.1:${server.port}`
}

describe('joining a node', () => {
  it('gets a node certificate with a token and connects to the cloud-hub with it', async () => {
    const url = await bootstrap()
    const creds = await joinCluster({ server: url, token: await tokens.issue(), nodeName: 'edge-7' })
    expect(certInfo(creds.certPem).commonName).toBe('system:node:edge-7')
    const hub = new CloudHub({ caPem: ca.certPem, serving, watermarks: new MemoryWatermarkStore() }, { port: 0, host: '127.0.0.1' })
    await hub.start()
    stops.push(async () => await hub.stop())
    const edge = new EdgeHub({ handler: { handle: async () => {} } }, { urls: [`wss://127.0.0.1:${hub.port}`], nodeName: 'edge-7', ...creds })
    stops.push(async () => await edge.stop())
    await edge.start()
    await eventually(() => hub.connectedNodes().includes('edge-7'), 10_000, 'node connected')
  })

  it('refuses to trust a bootstrap server whose CA does not match the token pin', async () => {
    const url = await bootstrap()
    const foreign = await new JoinTokens(await createCA()).issue()
    await expect(joinCluster({ server: url, token: foreign, nodeName: 'edge-8' })).rejects.toMatchObject({ code: 'JOIN_CA_PIN_MISMATCH' })
  })

  it('reports the server code when the join is refused', async () => {
    const url = await bootstrap()
    const expired = await new JoinTokens(ca, { clock: { now: () => Date.now() - 25 * 3_600_000 } }).issue()
    await expect(joinCluster({ server: url, token: expired, nodeName: 'edge-9' })).rejects.toMatchObject({ code: 'JOIN_REFUSED', remoteCode: 'BOOTSTRAP_TOKEN_EXPIRED' })
  })

  it('refuses a malformed token before contacting anything', async () => {
    await expect(joinCluster({ server: 'https://127.0.0.1:1', token: 'nope', nodeName: 'edge-9' })).rejects.toMatchObject({ code: 'JOIN_TOKEN_MALFORMED' })
  })

  it('reports an unreachable bootstrap server', async () => {
    const url = await bootstrap()
    const token = await tokens.issue()
    await stops.pop()?.()
    await expect(joinCluster({ server: url, token, nodeName: 'edge-9' })).rejects.toMatchObject({ code: 'JOIN_UNREACHABLE' })
  })

  it('stops reading a bootstrap reply over 1 MiB with JOIN_REPLY_TOO_LARGE', async () => {
    // A hostile or broken server that answers /ca.crt with an endless body.
    const hog = createHttpsServer({ key: serving.keyPem, cert: serving.certPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' })
      const chunk = Buffer.alloc(64 * 1024, 0x41)
      const pump = (): void => { while (!res.destroyed && res.write(chunk)); }
      res.on('drain', pump)
      pump()
    })
    await new Promise<void>(resolve => hog.listen(0, '127.0.0.1', resolve))
    stops.push(async () => { hog.closeAllConnections(); await new Promise(resolve => hog.close(resolve)) })
    const port = (hog.address() as AddressInfo).port
    await expect(joinCluster({ server: `https://127.0.0.1:${port}`, token: await tokens.issue(), nodeName: 'edge-11' })).rejects.toMatchObject({ code: 'JOIN_REPLY_TOO_LARGE' })
  })

  it('renews a node certificate with the current one', async () => {
    const url = await bootstrap()
    const creds = await joinCluster({ server: url, token: await tokens.issue(), nodeName: 'edge-10' })
    const renewed = await renewNodeCert({ server: url, nodeName: 'edge-10', current: creds })
    expect(certInfo(renewed.certPem).serialNumber).not.toBe(certInfo(creds.certPem).serialNumber)
  })
})
