import { readFile } from 'node:fs/promises'
import { componentLogger, ConfigError, PodStreamRefusal, type PodStreamHandler, createLogger, MetricsRegistry, stopAll, type Logger, type Startable } from '@edgemesh/common'
import { builtinResourceInfo, DefaultResourceRegistry } from '@edgemesh/kube/server'
import { sqliteStore } from '@edgemesh/kube/storage'
import { edgeCorePaths, type EdgeCoreConfig } from './config.js'
import { EdgeHub } from './edge-hub/index.js'
import { BridgeNetwork, Edged, EdgedPodStreams, HostNetwork, ProcessRuntime, type PodNetwork } from './edged/index.js'
import { MetaManager } from './meta-manager/index.js'
import { MetaServer } from './meta-server/index.js'
import { MetricsReporter } from './node-metrics/index.js'
import { nodeAddresses, NodeReporter } from './node-status/index.js'

export interface EdgeCoreComponents {
  /** @default a logger built from `config.log` */
  logger?: Logger
  /** @default a new one */
  metrics?: MetricsRegistry
}

/** The per-node agent, assembled: cache, meta-server, edge link and heartbeat. */
export interface EdgeCore extends Startable {
  readonly config: EdgeCoreConfig
  /** The meta-server's actual port (after start; 0 when disabled). */
  readonly metaServerPort: number
}

class DefaultEdgeCore implements EdgeCore {
  readonly metrics: MetricsRegistry
  private readonly log: Logger
  private parts: Startable[] = []
  private server?: MetaServer
  /** The pod runner (after start, when enabled). */
  edged?: Edged

  constructor (readonly config: EdgeCoreConfig, components: EdgeCoreComponents) {
    this.log = components.logger ?? createLogger({ name: 'edgecore', level: config.log.level, format: config.log.format })
    this.metrics = components.metrics ?? new MetricsRegistry()
  }

  get metaServerPort (): number { return this.server?.port ?? 0 }

  private hostIP (): string { return nodeHostIP(this.config) }

  private podNetwork (dir: string): PodNetwork { return podNetworkFor(this.config, dir, this.log) }

  async start (): Promise<void> {
    if (this.parts.length > 0) return
    const cfg = this.config
    const paths = edgeCorePaths(cfg.dataDir)
    const [caPem, certPem, keyPem] = await Promise.all([paths.ca, paths.cert, paths.key].map(async f => await readFile(f, 'utf8').catch((err: unknown) => {
      throw new ConfigError(`cannot read the node credentials ${f} (run keadm join first): ${(err as Error).message}`, { key: 'dataDir', cause: err })
    })))
    const started: Startable[] = []
    try {
      // The cache: the node's objects survive restarts and serve local clients while offline.
      const store = sqliteStore({ dataDir: paths.cache, logger: componentLogger(this.log, 'cache') })
      await store.start()
      started.push(store)
      const registry = new DefaultResourceRegistry(builtinResourceInfo())
      if (cfg.metaServer.enabled) {
        const server = new MetaServer({ store, registry, logger: this.log, metrics: this.metrics }, { host: cfg.metaServer.bindAddress, port: cfg.metaServer.port })
        await server.start()
        started.push(server)
        this.server = server
      }
      // kubectl logs/exec/port-forward from the cloud, served by edged once it runs.
      let streams: EdgedPodStreams | undefined
      const podStreams: PodStreamHandler = {
        handle: async (req, accept, signal) => {
          if (streams === undefined) throw new PodStreamRefusal(503, `edged is not running on node ${cfg.nodeName}`)
          await streams.handle(req, accept, signal)
        }
      }
      const hub = new EdgeHub({ handler: new MetaManager({ store, registry, logger: this.log }), podStreams, logger: componentLogger(this.log, 'edge-hub') }, {
        urls: cfg.edgeHub.urls, nodeName: cfg.nodeName, caPem: caPem!, certPem: certPem!, keyPem: keyPem!, keepaliveMs: cfg.edgeHub.keepaliveMs, deadMs: cfg.edgeHub.deadMs
      })
      await hub.start()
      started.push(hub)
      const network = cfg.edged.enabled ? this.podNetwork(paths.edged) : undefined
      const conditions = network?.degradedReason !== undefined ? [{ type: 'EdgedPodNetwork', status: 'False' as const, reason: 'HostNetworkOnly', message: network.degradedReason }] : []
      const reporter = new NodeReporter({ hub, logger: this.log }, { nodeName: cfg.nodeName, leaseRenewMs: cfg.node.leaseRenewMs, statusUpdateMs: cfg.node.statusUpdateMs, conditions })
      await reporter.start()
      started.push(reporter)
      if (network !== undefined) {
        const runtime = new ProcessRuntime({ log: { maxBytes: cfg.edged.containerLogMaxBytes, maxFiles: cfg.edged.containerLogMaxFiles } })
        const edged = new Edged({ store, registry, hub, runtime, network, logger: this.log }, {
          nodeName: cfg.nodeName,
          dir: paths.edged,
          hostIP: this.hostIP(),
          images: cfg.edged.images,
          backoffInitialMs: cfg.edged.restartBackoffMs,
          backoffMaxMs: cfg.edged.restartBackoffMaxMs
        })
        await edged.start()
        started.push(edged)
        this.edged = edged
        streams = new EdgedPodStreams({ edged, runtime, logger: this.log })
        // Usage of the pods' processes, for kubectl top (metrics.k8s.io in the cloud).
        const usage = new MetricsReporter({ hub, source: edged, logger: this.log, metrics: this.metrics }, { nodeName: cfg.nodeName, reportMs: cfg.node.metricsReportMs })
        await usage.start()
        started.push(usage)
      }
      this.parts = started
      this.log.info({ node: cfg.nodeName, metaServer: this.metaServerPort, dataDir: cfg.dataDir }, 'edgecore started')
    } catch (err) {
      this.server = undefined
      await stopAll(started).catch(() => {})
      throw err
    }
  }

  async stop (): Promise<void> {
    const parts = this.parts
    this.parts = []
    this.server = undefined
    this.edged = undefined
    await stopAll(parts)
  }

  isStarted (): boolean { return this.parts.length > 0 }
}

export function createEdgeCore (config: EdgeCoreConfig, components: EdgeCoreComponents = {}): EdgeCore {
  return new DefaultEdgeCore(config, components)
}

function nodeHostIP (config: EdgeCoreConfig): string {
  return config.edged.hostIP ?? nodeAddresses().find(a => a.type === 'InternalIP')?.address ?? '127.0.0.1'
}

/** Bridge networking as root (or when asked for), else the node's own network with a warning. */
function podNetworkFor (config: EdgeCoreConfig, dir: string, log: Logger): PodNetwork {
  const n = config.edged.network
  const root = process.getuid?.() === 0
  if (n.mode === 'host' || (n.mode === 'auto' && !root)) {
    const reason = n.mode === 'host' ? undefined : 'edgecore is not running as root: pods share the node\'s network (no pod IPs, no per-pod DNS)'
    if (reason !== undefined) log.warn({ code: 'EDGED_NETWORK_FAILED' }, reason)
    return new HostNetwork(nodeHostIP(config), reason)
  }
  return new BridgeNetwork({ bridge: n.bridge, podCIDR: n.podCIDR, netnsPrefix: n.netnsPrefix, ipamFile: `${dir}/ipam.json`, hostIP: nodeHostIP(config), dnsServer: n.dnsServer, clusterDomain: config.edged.clusterDomain, ipForward: n.ipForward }, { logger: log })
}

/**
 * What a stopped edgecore's pods hold on the node: their network namespaces, veths, /etc/netns files and the
 * node bridge (`keadm reset` calls this after stopping edgecore; the data dir goes with it). Returns how many
 * pods' networks were removed.
 */
export async function removeNodePodNetworks (config: EdgeCoreConfig, logger?: Logger): Promise<number> {
  const network = podNetworkFor(config, edgeCorePaths(config.dataDir).edged, logger ?? createLogger({ name: 'edgecore', level: 'warn' }))
  const owners = await network.owners()
  for (const uid of owners) await network.teardown(uid)
  if (network instanceof BridgeNetwork) await network.removeBridge()
  return owners.length
}
