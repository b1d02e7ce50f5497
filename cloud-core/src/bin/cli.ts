import { parseArgs } from 'node:util'
import { ConfigError, loadConfigFile, z } from '@edgemesh/common'
import { createCloudCore, type CloudCore } from '../cloudcore.js'
import { resolveCloudCoreConfig, type CloudCoreConfig } from '../config.js'

export const USAGE = `Usage: cloudcore [--config cloudcore.yaml] [--data-dir DIR] [--port N] [--hub-port N] [--bootstrap-port N] [--log-format json|pretty]

  --config       YAML config file (see cloud-core/README.md); defaults for everything when omitted
  --data-dir     overrides dataDir (PKI, admin.kubeconfig, and store.db unless store.dataDir/path is set)
  --port         overrides apiServer.port (0 = any free port)
  --hub-port     overrides cloudHub.port (edge link, default 10000; 0 = any free port)
  --bootstrap-port overrides bootstrap.port (node certificates, default 10002; 0 = any free port)
  --log-format   json (default) or pretty
  -h, --help     this text`

/** Parses argv into a resolved config; flags override the file. Throws ConfigError on bad input. */
export async function configFromArgs (argv: string[]): Promise<CloudCoreConfig | 'help'> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        'hub-port': { type: 'string' },
        'bootstrap-port': { type: 'string' },
        'log-format': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`)
  }
  if (values.help === true) return 'help'
  // Layers merged as raw input (file, then flags), validated once: errors name the key as written.
  const raw = values.config !== undefined ? await readConfigFile(values.config) : {}
  const file = values.config ?? '<command line>'
  // store.db follows dataDir unless the file's store section says where.
  if (values['data-dir'] !== undefined) raw.dataDir = values['data-dir']
  // A non-number becomes NaN, which the schema rejects naming apiServer.port.
  const portFlag = (v: string | undefined, key: string, field = 'port'): void => { if (v !== undefined) section(raw, key)[field] = v.trim() === '' ? NaN : Number(v) }
  portFlag(values.port, 'apiServer')
  portFlag(values['hub-port'], 'cloudHub')
  portFlag(values['bootstrap-port'], 'bootstrap')
  if (values['log-format'] !== undefined) section(raw, 'log').format = values['log-format']
  return resolveCloudCoreConfig(raw, file)
}

/** `raw[key]` as a mutable object, created when absent (a non-object is left for the schema to reject). */
function section (raw: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = raw[key]
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>
  if (v !== undefined) return {}
  const created: Record<string, unknown> = {}
  raw[key] = created
  return created
}

async function readConfigFile (file: string): Promise<Record<string, unknown>> {
  const raw = await loadConfigFile(z.unknown(), file)
  if (raw === null || raw === undefined) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`the config must be a mapping: "<root>" (in ${file})`, { key: '', file })
  return raw as Record<string, unknown>
}

/**
 * Runs cloudcore until SIGINT/SIGTERM: prints the KUBECONFIG line on stdout once serving, stops
 * everything on a signal, and exits non-zero on a startup error.
 */
export async function runCloudCore (config: CloudCoreConfig, out: { log: (s: string) => void, error: (s: string) => void }): Promise<CloudCore> {
  const cc = createCloudCore(config)
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) {
      out.error(`${signal} again: exiting now`)
      process.exit(1)
    }
    stopping = true
    cc.stop().then(() => { process.exit(0) }, (err: unknown) => {
      out.error(`error while stopping: ${(err as Error).message}`)
      process.exit(1)
    })
  }
  process.on('SIGINT', () => { shutdown('SIGINT') })
  process.on('SIGTERM', () => { shutdown('SIGTERM') })
  await cc.start()
  out.log(`export KUBECONFIG=${cc.kubeconfigPath}`)
  return cc
}
