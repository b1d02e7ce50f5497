import { parseArgs } from 'node:util'
import { ConfigError } from '@edgemesh/common'
import { createCloudCore, type CloudCore } from '../cloudcore.js'
import { loadCloudCoreConfig, resolveCloudCoreConfig, type CloudCoreConfig } from '../config.js'

export const USAGE = `Usage: cloudcore [--config cloudcore.yaml] [--data-dir DIR] [--port N] [--log-format json|pretty]

  --config       YAML config file (see cloud-core/README.md); defaults for everything when omitted
  --data-dir     overrides dataDir (PKI, store.db, admin.kubeconfig)
  --port         overrides apiServer.port (0 = any free port)
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
  const base = values.config !== undefined ? await loadCloudCoreConfig(values.config) : resolveCloudCoreConfig({})
  const overrides: Record<string, unknown> = {
    dataDir: values['data-dir'] ?? base.dataDir,
    apiServer: { ...base.apiServer, ...(values.port !== undefined ? { port: Number(values.port) } : {}) },
    store: base.store.type === 'sqlite' && values['data-dir'] !== undefined && base.store.path === undefined ? { ...base.store, dataDir: values['data-dir'] } : base.store,
    ...(base.kubeconfig !== undefined ? { kubeconfig: base.kubeconfig } : {}),
    controllers: { nodeMonitorGracePeriod: base.controllers.nodeMonitorGracePeriodMs, concurrentSyncs: base.controllers.concurrentSyncs, enabled: base.controllers.enabled },
    log: { ...base.log, ...(values['log-format'] !== undefined ? { format: values['log-format'] } : {}) }
  }
  return resolveCloudCoreConfig(overrides, values.config ?? '<command line>')
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
