import { isAbsolute, resolve, dirname } from 'node:path'
import { loadConfigFile, logConfigSchema, parseConfig, z } from '@edgemesh/common'

const multiaddrString = z.string().regex(/^\/(ip4|ip6|dns|dns4|dns6)\//, 'must be a multiaddr such as /ip4/0.0.0.0/tcp/20004')

/** edgemesh-server YAML config (`--config`). Unknown keys are errors naming the key and file. */
export const ServerConfigSchema = z.object({
  /** libp2p listen addresses. */
  listen: z.array(multiaddrString).min(1).default(['/ip4/0.0.0.0/tcp/20004']),
  /** Public addresses to advertise instead of the listen ones (e.g. behind a load balancer). */
  announce: z.array(multiaddrString).default([]),
  /** Holds peer.key (0600). Default /var/lib/edgemesh-server as root, else ./.edgemesh-data/edgemesh-server. */
  dataDir: z.string().min(1).optional(),
  /** Node name in the server's node-style certificate (CN system:node:<nodeName>). */
  nodeName: z.string().min(1).default('edgemesh-server'),
  identity: z.object({
    /** Certificate from the cluster CA binding nodeName ↔ this server's peer id (URI SAN edgemesh:peer:<id>). */
    certFile: z.string().min(1),
    /** The certificate's private key. libp2p authenticates with peer.key, so this is only checked to exist when given. */
    keyFile: z.string().min(1).optional(),
    /** Cluster CA every agent certificate must chain to. */
    caFile: z.string().min(1)
  }).strict(),
  http: z.object({
    host: z.string().default('0.0.0.0'),
    /** /healthz /readyz /metrics; 0 picks a free port. */
    port: z.number().int().min(0).max(65535).default(20005)
  }).strict().default({}),
  limits: z.object({
    maxReservations: z.number().int().positive().default(1024),
    reservationTtlMs: z.number().int().positive().default(7_200_000),
    /** 0 = unlimited (the stock relay default of 128 KiB would kill mesh traffic). */
    relayDataLimitBytes: z.number().int().nonnegative().default(0),
    /** 0 = unlimited (stock default: 2 min). */
    relayDurationLimitMs: z.number().int().nonnegative().default(0),
    maxRegistrations: z.number().int().positive().default(2048),
    rendezvousTtlMs: z.number().int().positive().default(120_000),
    punchStartDelayMs: z.number().int().nonnegative().default(300),
    maxConnections: z.number().int().positive().default(4096),
    authWaitMs: z.number().int().positive().default(5_000)
  }).strict().default({}),
  log: logConfigSchema
}).strict()

export type ServerConfig = z.infer<typeof ServerConfigSchema>

export function parseServerConfig (raw: unknown, file?: string): ServerConfig {
  return parseConfig(ServerConfigSchema, raw, file)
}

/** Loads the YAML file; relative paths inside it are relative to the file. */
export async function loadServerConfig (file: string): Promise<ServerConfig> {
  const cfg = await loadConfigFile(ServerConfigSchema, file)
  const base = dirname(resolve(file))
  const abs = (p: string): string => isAbsolute(p) ? p : resolve(base, p)
  return {
    ...cfg,
    dataDir: cfg.dataDir === undefined ? undefined : abs(cfg.dataDir),
    identity: { certFile: abs(cfg.identity.certFile), caFile: abs(cfg.identity.caFile), keyFile: cfg.identity.keyFile === undefined ? undefined : abs(cfg.identity.keyFile) }
  }
}

export function defaultDataDir (): string {
  return process.getuid?.() === 0 ? '/var/lib/edgemesh-server' : resolve('.edgemesh-data/edgemesh-server')
}
