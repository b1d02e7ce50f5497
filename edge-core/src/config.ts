import { resolve } from 'node:path'
import { loadRawConfig, logConfigSchema, parseConfig, z } from '@edgemesh/common'
import { isValidNodeName } from '@edgemesh/common/hub-protocol'
import { credentialPaths } from './bootstrap-client/credential-files.js'
import { EDGED_DEFAULTS } from './edged/edged.js'
import { imageEntrySchema } from './edged/image-table.js'
import { META_SERVER_DEFAULTS } from './meta-server/meta-server.js'

/** `edgecore.yaml` (written by `keadm join`). Unknown keys are errors. */
export const edgeCoreConfigSchema = z.object({
  /** This node's name; its certificate's CN is `system:node:<nodeName>`. */
  nodeName: z.string().refine(isValidNodeName, 'must be a DNS-1123 subdomain'),
  /** @default /var/lib/edgecore as root, ./.edgemesh-data/edgecore otherwise */
  dataDir: z.string().min(1).optional(),
  edgeHub: z.object({
    /** cloud-hub URLs (`wss://<cloudcore>:10000`), tried in turn. */
    urls: z.array(z.string().url().refine(u => u.startsWith('wss://'), 'must be a wss:// URL')).min(1),
    /** @default 10000 */
    keepaliveMs: z.number().int().positive().optional(),
    /** @default 25000 */
    deadMs: z.number().int().positive().optional()
  }).strict(),
  metaServer: z.object({
    /** @default true */
    enabled: z.boolean().default(true),
    /** Local clients only. @default 127.0.0.1 */
    bindAddress: z.string().min(1).default(META_SERVER_DEFAULTS.host),
    /** 0 picks a free port. @default 10550 */
    port: z.number().int().min(0).max(65535).default(META_SERVER_DEFAULTS.port)
  }).strict().default({}),
  node: z.object({
    /** @default 10000 */
    leaseRenewMs: z.number().int().positive().default(10_000),
    /** @default 60000 */
    statusUpdateMs: z.number().int().positive().default(60_000),
    /** How often pod/node usage goes up for kubectl top. @default 15000 */
    metricsReportMs: z.number().int().positive().default(15_000)
  }).strict().default({}),
  edged: z.object({
    /** Run the pods bound to this node. @default true */
    enabled: z.boolean().default(true),
    /** The node's address for pods (status.hostIP). @default the first non-loopback IPv4 address */
    hostIP: z.string().ip({ version: 'v4' }).optional(),
    network: z.object({
      /** `bridge`: a netns per pod on a node bridge (needs root); `host`: pods share the node's network; `auto`: bridge when root. @default auto */
      mode: z.enum(['auto', 'bridge', 'host']).default('auto'),
      /** @default edgemesh0 */
      bridge: z.string().min(1).max(15).regex(/^[A-Za-z0-9_.-]+$/).default('edgemesh0'),
      /** The node's pod CIDR (IPv4, /8-/30). @default 10.88.0.0/24 */
      podCIDR: z.string().min(9).default('10.88.0.0/24'),
      /** Prefix of the pods' network namespace names. @default edgemesh- */
      netnsPrefix: z.string().min(1).max(20).regex(/^[A-Za-z0-9_.-]+$/).default('edgemesh-'),
      /** The pods' nameserver: the mesh agent's DNS address. @default 169.254.96.16 */
      dnsServer: z.string().ip().default('169.254.96.16'),
      /** Turn on IPv4 forwarding in the node's network namespace. @default true */
      ipForward: z.boolean().default(true)
    }).strict().default({}),
    /** @default cluster.local */
    clusterDomain: z.string().min(1).default('cluster.local'),
    /** Image → process table entries, over the built-in ones (see docs/edged.md). */
    images: z.record(imageEntrySchema).default({}),
    /** @default 10000 */
    restartBackoffMs: z.number().int().positive().default(EDGED_DEFAULTS.backoffInitialMs),
    /** @default 300000 */
    restartBackoffMaxMs: z.number().int().positive().default(EDGED_DEFAULTS.backoffMaxMs),
    /** @default 10 MiB */
    containerLogMaxBytes: z.number().int().min(4096).default(10 * 1024 * 1024),
    /** @default 1 */
    containerLogMaxFiles: z.number().int().min(1).max(10).default(1)
  }).strict().default({}),
  log: logConfigSchema
}).strict()

export type EdgeCoreConfigInput = z.input<typeof edgeCoreConfigSchema>
export type EdgeCoreConfig = Omit<z.output<typeof edgeCoreConfigSchema>, 'dataDir'> & { dataDir: string }

export function defaultEdgeDataDir (isRoot = process.getuid?.() === 0): string {
  return isRoot ? '/var/lib/edgecore' : resolve('.edgemesh-data', 'edgecore')
}

/** Validates raw config input once and fills defaults. Throws ConfigError naming the key and the file. */
export function resolveEdgeCoreConfig (raw: unknown, file?: string): EdgeCoreConfig {
  const c = parseConfig(edgeCoreConfigSchema, raw, file)
  return { ...c, dataDir: resolve(c.dataDir ?? defaultEdgeDataDir()) }
}

/** Where edgecore keeps its files under the data dir (keadm join writes the pki ones). */
export function edgeCorePaths (dataDir: string): { ca: string, cert: string, key: string, cache: string, edged: string } {
  return { ...credentialPaths(dataDir), cache: `${dataDir}/cache`, edged: `${dataDir}/edged` }
}

/** Reads and validates an edgecore.yaml. */
export async function loadEdgeCoreConfig (file: string): Promise<EdgeCoreConfig> {
  return resolveEdgeCoreConfig(await loadRawConfig(file), file)
}
