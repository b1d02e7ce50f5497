import { resolve } from 'node:path'
import { loadConfigFile, logConfigSchema, parseConfig, z } from '@edgemesh/common'
import { API_SERVER_DEFAULTS } from '@edgemesh/kube/server'
import { BOOTSTRAP_DEFAULTS } from './bootstrap/bootstrap-server.js'
import { CLOUD_HUB_DEFAULTS } from './cloud-hub/cloud-hub.js'
import { parseCidr4, parsePortRange } from './api-server/resources/service-allocator.js'
import { storeSectionSchema, type StoreConfig } from './store/store-config.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** `40s`, `1m30s`, `500ms`, or a number of milliseconds. */
export function parseDuration (v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined
  const parts = v.trim().match(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)
  if (parts === null || parts.join('') !== v.trim()) return undefined
  let total = 0
  for (const p of parts) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(p)
    total += Number(m?.[1]) * (UNITS[m?.[2] ?? 'ms'] ?? 1)
  }
  return total
}

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v)
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(v)} (use e.g. 40s, 5m, 500ms)` })
    return z.NEVER
  }
  return ms
})

const cidr = z.string().superRefine((v, ctx) => {
  try { parseCidr4(v) } catch (err) { ctx.addIssue({ code: 'custom', message: (err as Error).message }) }
})

const portRange = z.string().superRefine((v, ctx) => {
  try { parsePortRange(v) } catch (err) { ctx.addIssue({ code: 'custom', message: (err as Error).message }) }
})

/** cloudcore.yaml. Unknown keys are errors; every key has a default. */
export const cloudCoreConfigSchema = z.object({
  /** @default /var/lib/cloudcore as root, ./.edgemesh-data/cloudcore otherwise */
  dataDir: z.string().min(1).optional(),
  apiServer: z.object({
    /** @default '0.0.0.0' */
    bindAddress: z.string().min(1).default(API_SERVER_DEFAULTS.host),
    /** 0 picks a free port (tests). @default 6443 */
    port: z.number().int().min(0).max(65535).default(API_SERVER_DEFAULTS.port),
    /** @default '10.96.0.0/12' */
    serviceCIDR: cidr.default('10.96.0.0/12'),
    /** @default '30000-32767' */
    nodePortRange: portRange.default('30000-32767'),
    /** @default 3145728 (3 MiB, like kube-apiserver) */
    maxBodyBytes: z.number().int().positive().default(API_SERVER_DEFAULTS.bodyLimit),
    /** Extra DNS names / IPs for the serving certificate. @default [] */
    certSANs: z.array(z.string().min(1)).default([])
  }).strict().default({}),
  /** Store backend (`type` or `kind`: sqlite | etcd); sqlite keeps `store.db` in the data dir. @default { type: sqlite } */
  store: z.preprocess(storeSpelling, storeSectionSchema).optional(),
  /** External kube-apiserver mode: recorded only, the embedded server still runs. */
  kubeconfig: z.string().min(1).optional(),
  controllers: z.object({
    /** Node becomes NotReady after this long without a lease renewal. @default 40s */
    nodeMonitorGracePeriod: duration.default('40s'),
    /** Workers per controller. @default 2 */
    concurrentSyncs: z.number().int().positive().max(64).default(2),
    /** Set false to run the API server alone. @default true */
    enabled: z.boolean().default(true)
  }).strict().default({}),
  /** The edge link: wss + mTLS, node name from the client certificate. */
  cloudHub: z.object({
    /** @default true */
    enabled: z.boolean().default(true),
    /** @default '0.0.0.0' */
    bindAddress: z.string().min(1).default(CLOUD_HUB_DEFAULTS.host),
    /** 0 picks a free port. @default 10000 */
    port: z.number().int().min(0).max(65535).default(CLOUD_HUB_DEFAULTS.port)
  }).strict().default({}),
  /** Node certificates for join tokens (`keadm join`): HTTPS `GET /ca.crt`, `POST /edge.crt`. */
  bootstrap: z.object({
    /** @default true */
    enabled: z.boolean().default(true),
    /** @default '0.0.0.0' */
    bindAddress: z.string().min(1).default(BOOTSTRAP_DEFAULTS.host),
    /** 0 picks a free port. @default 10002 */
    port: z.number().int().min(0).max(65535).default(BOOTSTRAP_DEFAULTS.port)
  }).strict().default({}),
  log: logConfigSchema
}).strict()

export type CloudCoreConfigInput = z.input<typeof cloudCoreConfigSchema>

/** The resolved configuration: every default filled in, the store validated. */
export interface CloudCoreConfig {
  dataDir: string
  apiServer: { bindAddress: string, port: number, serviceCIDR: string, nodePortRange: string, maxBodyBytes: number, certSANs: string[] }
  store: StoreConfig
  kubeconfig?: string
  controllers: { nodeMonitorGracePeriodMs: number, concurrentSyncs: number, enabled: boolean }
  cloudHub: { enabled: boolean, bindAddress: string, port: number }
  bootstrap: { enabled: boolean, bindAddress: string, port: number }
  log: { level: string, format: 'json' | 'pretty' }
}

/** `kind` is accepted as a spelling of the `type` discriminator, and `type` defaults to sqlite. */
function storeSpelling (v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v
  const { kind, ...rest } = v as Record<string, unknown>
  return { type: kind ?? 'sqlite', ...rest }
}

export function defaultDataDir (isRoot = process.getuid?.() === 0): string {
  return isRoot ? '/var/lib/cloudcore' : resolve('.edgemesh-data', 'cloudcore')
}

/** Validates a parsed config object (from YAML or code) and fills defaults. Throws ConfigError naming the key. */
export function resolveCloudCoreConfig (raw: unknown, file?: string): CloudCoreConfig {
  const c = parseConfig(cloudCoreConfigSchema, raw, file)
  const dataDir = resolve(c.dataDir ?? defaultDataDir())
  const section = c.store ?? { type: 'sqlite' }
  // sqlite keeps store.db in the data dir unless the section says where.
  const store: StoreConfig = section.type === 'sqlite' && section.dataDir === undefined && section.path === undefined ? { ...section, dataDir } : section
  return {
    dataDir,
    apiServer: c.apiServer,
    store,
    ...(c.kubeconfig !== undefined ? { kubeconfig: c.kubeconfig } : {}),
    controllers: { nodeMonitorGracePeriodMs: c.controllers.nodeMonitorGracePeriod, concurrentSyncs: c.controllers.concurrentSyncs, enabled: c.controllers.enabled },
    cloudHub: c.cloudHub,
    bootstrap: c.bootstrap,
    log: c.log
  }
}

/** Reads cloudcore.yaml; a missing file, bad YAML or a wrong key is a ConfigError. */
export async function loadCloudCoreConfig (file: string): Promise<CloudCoreConfig> {
  const raw = await loadConfigFile(z.unknown(), file)
  return resolveCloudCoreConfig(raw, file)
}
