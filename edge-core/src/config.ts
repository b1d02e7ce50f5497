import { resolve } from 'node:path'
import { logConfigSchema, parseConfig, z } from '@edgemesh/common'
import { isValidNodeName } from '@edgemesh/common/hub-protocol'
import { credentialPaths } from './bootstrap-client/credential-files.js'
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
    statusUpdateMs: z.number().int().positive().default(60_000)
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
export function edgeCorePaths (dataDir: string): { ca: string, cert: string, key: string, cache: string } {
  return { ...credentialPaths(dataDir), cache: `${dataDir}/cache` }
}
