import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { hostname, networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { certInfo, componentLogger, createCA, createLogger, hasCode, issueCert, MetricsRegistry, PodStreamError, stopAll, type CertificateAuthority, type KeyAndCert, type Logger, type Startable } from '@edgemesh/common'
import { stringify as toYaml } from 'yaml'
import { createApiCore, type ApiCore } from './api-server/api-core.js'
import { builtinResources, ServiceAllocator } from './api-server/resources/index.js'
import { shippedCrds } from './api-server/resources/shipped-crds.js'
import { ApiServer } from './api-server/server.js'
import type { ResourceRef } from '@edgemesh/kube/machinery'
import type { CloudCoreConfig } from './config.js'
import { createControllerManager, type ControllerManager } from './controllers/index.js'
import { createStore } from './store/index.js'
import { CrdRegistrar, CRDS } from './crd-registrar.js'
import { CloudCoreError } from './errors.js'
import { BootstrapServer, JoinTokens, MemoryIssuedCertRegistry, syncClusterCA } from './bootstrap/index.js'
import { CloudHub, CloudHubMetrics, StoreWatermarkStore } from './cloud-hub/index.js'
import { EdgeController, NodeReports } from './edge-controller/index.js'
import { MetricsBackend, METRICS_GROUP, metricsResources, NodeMetricsCache } from './metrics-api/index.js'
import { InformerFactory } from '@edgemesh/kube/client'
import { NODES, PODS, type Node, type Pod } from '@edgemesh/kube/machinery'
import type { Store } from '@edgemesh/kube/storage'


const SERVICES: ResourceRef = { group: '', version: 'v1', resource: 'services', namespace: 'default' }

export interface CloudCoreComponents {
  /** @default a logger built from `config.log` */
  logger?: Logger
  /** The process's metrics registry: API server, controllers (and cloud-hub) series, served at the API's /metrics. @default a new one */
  metrics?: MetricsRegistry
}

/** Where cloudcore keeps its files under the data dir. */
export function cloudCorePaths (dataDir: string): { pki: string, caCert: string, caKey: string, serverCert: string, serverKey: string, adminCert: string, adminKey: string, kubeconfig: string } {
  const pki = join(dataDir, 'pki')
  return {
    pki,
    caCert: join(pki, 'ca.crt'),
    caKey: join(pki, 'ca.key'),
    serverCert: join(pki, 'apiserver.crt'),
    serverKey: join(pki, 'apiserver.key'),
    adminCert: join(pki, 'admin.crt'),
    adminKey: join(pki, 'admin.key'),
    kubeconfig: join(dataDir, 'admin.kubeconfig')
  }
}

async function readPair (certPath: string, keyPath: string): Promise<KeyAndCert | undefined> {
  try {
    return { certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8') }
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return undefined
    throw err
  }
}

/** The cluster CA from `dataDir/pki`, or undefined when it was never created (nothing is created here). */
export async function loadClusterCA (dataDir: string): Promise<CertificateAuthority | undefined> {
  const p = cloudCorePaths(dataDir)
  return await readPair(p.caCert, p.caKey)
}

/** Writes atomically (temp + rename) so a crash never leaves half a key behind. */
async function writeSecret (path: string, text: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.tmp`
  await writeFile(tmp, text, { mode })
  await chmod(tmp, mode)
  await rename(tmp, path)
}

async function writePair (certPath: string, keyPath: string, pair: KeyAndCert): Promise<void> {
  await writeSecret(keyPath, pair.keyPem, 0o600)
  await writeSecret(certPath, pair.certPem, 0o644)
}

const notFoundAsUndefined = (err: unknown): undefined => { if (hasCode(err, 'API_NOT_FOUND')) return undefined; throw err }

const isIPv4 = (s: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(s)

/** The addresses clients may dial: the bind address, or every local IPv4 address when bound to all. */
function servingIPs (bindAddress: string): string[] {
  if (bindAddress !== '0.0.0.0') return isIPv4(bindAddress) ? [bindAddress] : []
  return Object.values(networkInterfaces()).flatMap(list => (list ?? []).filter(a => a.family === 'IPv4').map(a => a.address))
}

/** The cluster PKI: CA, API serving cert and admin client cert, created once and reused. */
export interface ClusterPki {
  ca: CertificateAuthority
  server: KeyAndCert
  admin: KeyAndCert
}

/**
 * Loads the PKI from `dataDir/pki`, creating what is missing. The serving certificate is reissued
 * when the wanted names changed (new certSANs or hostname); the CA and the admin cert never are.
 */
export async function ensurePki (dataDir: string, wanted: { dnsNames: string[], ipAddresses: string[] }): Promise<ClusterPki> {
  const p = cloudCorePaths(dataDir)
  await mkdir(p.pki, { recursive: true, mode: 0o700 })
  let ca: CertificateAuthority | undefined = await readPair(p.caCert, p.caKey)
  let fresh = false
  if (ca === undefined) {
    ca = await createCA({ commonName: 'edgemesh-cluster-ca' })
    await writePair(p.caCert, p.caKey, ca)
    fresh = true
  }
  let server = fresh ? undefined : await readPair(p.serverCert, p.serverKey)
  if (server !== undefined) {
    const info = certInfo(server.certPem)
    const covers = wanted.dnsNames.every(n => info.dnsNames.includes(n)) && wanted.ipAddresses.every(n => info.ipAddresses.includes(n))
    if (!covers || info.notAfter.getTime() < Date.now() + 30 * 86_400_000) server = undefined
  }
  if (server === undefined) {
    server = await issueCert(ca, { commonName: 'kube-apiserver', dnsNames: wanted.dnsNames, ipAddresses: wanted.ipAddresses }, { usage: 'server', days: 365 })
    await writePair(p.serverCert, p.serverKey, server)
  }
  let admin = fresh ? undefined : await readPair(p.adminCert, p.adminKey)
  if (admin === undefined) {
    admin = await issueCert(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'] }, { usage: 'client', days: 3650 })
    await writePair(p.adminCert, p.adminKey, admin)
  }
  return { ca, server, admin }
}

/** A kubeconfig with embedded certificates, as `kubectl --kubeconfig` reads it. */
export function adminKubeconfig (server: string, pki: ClusterPki, name = 'edgemesh'): string {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': b64(pki.ca.certPem) } }],
    users: [{ name: 'kubernetes-admin', user: { 'client-certificate-data': b64(pki.admin.certPem), 'client-key-data': b64(pki.admin.keyPem) } }],
    contexts: [{ name: `kubernetes-admin@${name}`, context: { cluster: name, user: 'kubernetes-admin' } }],
    'current-context': `kubernetes-admin@${name}`,
    preferences: {}
  })
}

/** A running cloudcore: the API core for in-process users and where kubectl should look. */
export interface CloudCore extends Startable {
  readonly config: CloudCoreConfig
  /** Registry, storage and the in-process admin client (valid after start). */
  readonly core: ApiCore
  /** Actual HTTPS port (after start; differs from the config when it asked for 0). */
  readonly port: number
  /** Path of the admin kubeconfig written at start. */
  readonly kubeconfigPath: string
  readonly pki: ClusterPki
  readonly metrics: MetricsRegistry
  /** Actual cloud-hub and bootstrap ports (after start; 0 when disabled). */
  readonly hubPort: number
  readonly bootstrapPort: number
  /** A join token for `keadm join`: CA hash + HS256 JWT, valid 24 h. */
  issueJoinToken: () => Promise<string>
  waitForSync: (signal?: AbortSignal) => Promise<void>
}

class DefaultCloudCore implements CloudCore {
  readonly config: CloudCoreConfig
  readonly metrics: MetricsRegistry
  private readonly log: Logger
  private readonly ownsLogger: boolean
  private parts: Startable[] = []
  private server?: ApiServer
  private apiCore?: ApiCore
  private clusterPki?: ClusterPki
  private starting?: Promise<void>
  private controllers?: ControllerManager
  private hub?: CloudHub
  private bootstrap?: BootstrapServer
  private joinTokens?: JoinTokens

  constructor (config: CloudCoreConfig, components: CloudCoreComponents) {
    this.config = config
    this.ownsLogger = components.logger === undefined
    this.log = components.logger ?? createLogger({ name: 'cloudcore', level: config.log.level, format: config.log.format })
    this.metrics = components.metrics ?? new MetricsRegistry()
  }

  get core (): ApiCore {
    if (this.apiCore === undefined) throw new CloudCoreError('CLOUDCORE_NOT_STARTED', 'cloudcore is not started')
    return this.apiCore
  }

  get pki (): ClusterPki {
    if (this.clusterPki === undefined) throw new CloudCoreError('CLOUDCORE_NOT_STARTED', 'cloudcore is not started')
    return this.clusterPki
  }

  get port (): number { return this.server?.port ?? 0 }

  /** Resolves once the controllers' caches are filled (immediately when controllers are disabled). */
  async waitForSync (signal?: AbortSignal): Promise<void> {
    await this.controllers?.waitForSync(signal)
  }

  get kubeconfigPath (): string { return cloudCorePaths(this.config.dataDir).kubeconfig }

  isStarted (): boolean { return this.server !== undefined }

  async start (): Promise<void> {
    if (this.server !== undefined) return
    this.starting ??= this.doStart().finally(() => { this.starting = undefined })
    await this.starting
  }

  private async doStart (): Promise<void> {
    const cfg = this.config
    const log = componentLogger(this.log, 'cloudcore')
    await mkdir(cfg.dataDir, { recursive: true, mode: 0o700 })
    const allocator = new ServiceAllocator({ serviceCIDR: cfg.apiServer.serviceCIDR, nodePortRange: cfg.apiServer.nodePortRange })
    const sans = cfg.apiServer.certSANs
    if (cfg.kubeconfig !== undefined) log.warn({ kubeconfig: cfg.kubeconfig }, 'external API server mode is not implemented yet; serving the embedded API server')

    const store = createStore(cfg.store, { logger: componentLogger(this.log, 'store') })
    await store.start()
    const started: Startable[] = [store]
    try {
      // The cluster CA is the store's (one per cluster, however many cloudcores share the store).
      const p = cloudCorePaths(cfg.dataDir)
      const ca = await syncClusterCA(store, { caCert: p.caCert, caKey: p.caKey, issued: [p.serverCert, p.serverKey, p.adminCert, p.adminKey], marker: join(p.pki, 'ca.published') })
      if (ca !== 'unchanged') log.info({ ca }, ca === 'published' ? 'cluster CA published to the store' : 'adopted the cluster CA from the store')
      const pki = await ensurePki(cfg.dataDir, {
        dnsNames: [...new Set(['localhost', hostname(), 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', ...sans.filter(s => !isIPv4(s))])],
        ipAddresses: [...new Set(['127.0.0.1', allocator.kubernetesIP, ...servingIPs(cfg.apiServer.bindAddress), ...sans.filter(isIPv4)])]
      })
      this.clusterPki = pki

      // createApiCore configures the validator, patch schema, patcher and OpenAPI publisher over one index.
      // metrics.k8s.io is served from the usage edge nodes report (kept in memory, never stored).
      const metricsCache = new NodeMetricsCache({ metrics: this.metrics })
      const core = await createApiCore({
        store,
        logger: componentLogger(this.log, 'api-core'),
        resources: [...builtinResources({ allocator }), ...metricsResources()],
        backends: { [METRICS_GROUP]: new MetricsBackend({ cache: metricsCache }) }
      })
      const index = core.schemaIndex
      this.apiCore = core
      const crds = new CrdRegistrar({ client: core.client, registry: core.registry, index, logger: componentLogger(this.log, 'crd-registrar') })
      await crds.start()
      started.push(crds)
      await this.applyShippedCrds(core, crds, log)

      const server = new ApiServer({
        core,
        logger: this.log,
        openapi: core.openapi,
        metrics: this.metrics,
        // kubectl logs/exec/port-forward reach edge pods over the cloud-hub link (started below).
        podStreams: {
          open: async (node, req, signal) => {
            if (this.hub === undefined) throw new PodStreamError('POD_STREAM_UNAVAILABLE', `node "${node}" is not connected: the cloud-hub is not running`)
            return await this.hub.podStreams.open(node, req, signal)
          }
        }
      }, {
        port: cfg.apiServer.port,
        host: cfg.apiServer.bindAddress,
        bodyLimit: cfg.apiServer.maxBodyBytes,
        tls: { key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem }
      })
      await server.start()
      started.push(server)
      this.server = server
      await this.ensureKubernetesService(core, allocator, server.port)

      // One informer cache for the controllers and the edge-controller: one list/watch per collection.
      const informers = new InformerFactory({ client: core.client, logger: componentLogger(this.log, 'informers') })
      started.push(informers)
      if (cfg.controllers.enabled) {
        const workers = cfg.controllers.concurrentSyncs
        const controllers = createControllerManager({
          client: core.client,
          logger: this.log,
          resources: () => core.registry.all(),
          metrics: this.metrics,
          informers,
          options: {
            endpoints: { workers },
            deployment: { workers },
            replicaset: { workers },
            daemonset: { workers },
            garbageCollector: { workers },
            nodeLifecycle: { nodeMonitorGracePeriodMs: cfg.controllers.nodeMonitorGracePeriodMs }
          }
        })
        await controllers.start()
        started.push(controllers)
        this.controllers = controllers
      }

      if (cfg.cloudHub.enabled) await this.startEdgeLink(core, store, pki, informers, metricsCache, started)
      if (cfg.bootstrap.enabled) {
        const bootstrap = new BootstrapServer({ ca: pki.ca, serving: pki.server, tokens: this.tokens(pki), registry: new MemoryIssuedCertRegistry(), logger: componentLogger(this.log, 'bootstrap') }, { port: cfg.bootstrap.port, host: cfg.bootstrap.bindAddress })
        await bootstrap.start()
        started.push(bootstrap)
        this.bootstrap = bootstrap
      }

      const url = `https://127.0.0.1:${server.port}`
      await writeSecret(this.kubeconfigPath, adminKubeconfig(url, pki))
      this.parts = started
      log.info({ url, kubeconfig: this.kubeconfigPath, dataDir: cfg.dataDir }, 'cloudcore started')
    } catch (err) {
      this.server = undefined
      this.apiCore = undefined
      this.hub = undefined
      this.bootstrap = undefined
      await stopAll(started).catch(() => {})
      throw err
    }
  }

  /** The edge-controller on its own informers, and the cloud-hub it feeds, with watermarks in the cluster store. */
  private async startEdgeLink (core: ApiCore, store: Store, pki: ClusterPki, informers: InformerFactory, metricsCache: NodeMetricsCache, started: Startable[]): Promise<void> {
    const cfg = this.config.cloudHub
    const holder: { hub?: CloudHub } = {}
    const edgeController = new EdgeController({ informers, hub: { publish: (node, change) => { holder.hub?.publish(node, change) } }, logger: this.log })
    // Usage reports are checked against the edge-controller's caches (the client when a cache lags).
    const nodes = informers.informerFor<Node>(NODES)
    const pods = informers.informerFor<Pod>(PODS)
    nodes.addHandler({ delete: n => { metricsCache.deleteNode(n.metadata.name ?? '') } })
    pods.addHandler({ delete: p => { metricsCache.deletePod(p.metadata.namespace ?? '', p.metadata.name ?? '') } })
    const reports = new NodeReports({
      client: core.client,
      logger: this.log,
      metrics: this.metrics,
      metricsCache,
      lookup: {
        node: async name => nodes.getByName(undefined, name) ?? await core.client.get<Node>(NODES, name).catch(notFoundAsUndefined),
        pod: async (ns, name) => pods.getByName(ns, name) ?? await core.client.get<Pod>({ ...PODS, namespace: ns }, name).catch(notFoundAsUndefined)
      }
    })
    await edgeController.start()
    started.push(edgeController)
    const hub = new CloudHub({
      caPem: pki.ca.certPem,
      serving: pki.server,
      watermarks: new StoreWatermarkStore(store),
      source: edgeController,
      upstream: reports,
      metrics: new CloudHubMetrics(this.metrics),
      logger: componentLogger(this.log, 'cloud-hub')
    }, { port: cfg.port, host: cfg.bindAddress })
    holder.hub = hub
    await hub.start()
    started.push(hub)
    this.hub = hub
  }

  private tokens (pki: ClusterPki): JoinTokens {
    this.joinTokens ??= new JoinTokens(pki.ca)
    return this.joinTokens
  }

  /** A join token for `keadm join` (valid 24 h; any cloudcore with this CA accepts it). */
  async issueJoinToken (): Promise<string> { return await this.tokens(this.pki).issue() }

  get hubPort (): number { return this.hub?.port ?? 0 }
  get bootstrapPort (): number { return this.bootstrap?.port ?? 0 }

  private async applyShippedCrds (core: ApiCore, crds: CrdRegistrar, log: Logger): Promise<void> {
    for (const crd of await shippedCrds()) {
      try {
        crds.apply(await core.client.create(CRDS, crd))
        log.info({ crd: crd.metadata.name }, 'installed CRD')
      } catch (err) {
        if (!hasCode(err, 'API_ALREADY_EXISTS')) throw err
      }
    }
  }

  /** `default/kubernetes` on the first service IP, pointing at this server's port. */
  private async ensureKubernetesService (core: ApiCore, allocator: ServiceAllocator, port: number): Promise<void> {
    const ports = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }]
    // Several cloudcores may start together on one store: a lost create or update race is retried.
    for (let attempt = 0; ; attempt++) {
      try {
        const cur = await core.client.get(SERVICES, 'kubernetes')
        const spec = (cur.spec ?? {}) as Record<string, unknown>
        if (JSON.stringify(spec.ports) !== JSON.stringify(ports)) await core.client.update(SERVICES, { ...cur, spec: { ...spec, ports } })
        return
      } catch (err) {
        if (attempt < 5 && hasCode(err, 'API_CONFLICT')) continue
        if (!hasCode(err, 'API_NOT_FOUND')) throw err
      }
      try {
        await core.client.create(SERVICES, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
          spec: { type: 'ClusterIP', clusterIP: allocator.kubernetesIP, ports, sessionAffinity: 'None' }
        })
        return
      } catch (err) {
        if (attempt >= 5 || !hasCode(err, 'API_ALREADY_EXISTS')) throw err
      }
    }
  }

  async stop (): Promise<void> {
    await this.starting?.catch(() => {})
    const parts = this.parts
    if (parts.length === 0) return
    this.parts = []
    this.server = undefined
    this.apiCore = undefined
    this.controllers = undefined
    this.hub = undefined
    this.bootstrap = undefined
    try {
      await stopAll(parts)
    } finally {
      if (this.ownsLogger) this.log.flush()
    }
  }
}

/** Assembles cloudcore from a resolved config (see `resolveCloudCoreConfig`). Call `start()`. */
export function createCloudCore (config: CloudCoreConfig, components: CloudCoreComponents = {}): CloudCore {
  return new DefaultCloudCore(config, components)
}
