import { loadRawConfig, numericFlag, parseStringFlags, runUntilSignal, setRawConfig } from '@edgemesh/common'
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
  const values = parseStringFlags(argv, ['config', 'data-dir', 'port', 'hub-port', 'bootstrap-port', 'log-format'], USAGE)
  if (values === 'help') return 'help'
  // Layers merged as raw input (file, then flags), validated once: errors name the key as written.
  const raw = values.config !== undefined ? await loadRawConfig(values.config) : {}
  const file = values.config ?? '<command line>'
  // store.db follows dataDir unless the file's store section says where.
  if (values['data-dir'] !== undefined) raw.dataDir = values['data-dir']
  if (values.port !== undefined) setRawConfig(raw, 'apiServer.port', numericFlag(values.port))
  if (values['hub-port'] !== undefined) setRawConfig(raw, 'cloudHub.port', numericFlag(values['hub-port']))
  if (values['bootstrap-port'] !== undefined) setRawConfig(raw, 'bootstrap.port', numericFlag(values['bootstrap-port']))
  if (values['log-format'] !== undefined) setRawConfig(raw, 'log.format', values['log-format'])
  return resolveCloudCoreConfig(raw, file)
}

/**
 * Runs cloudcore until SIGINT/SIGTERM: prints the KUBECONFIG line on stdout once serving, stops
 * everything on a signal, and exits non-zero on a startup error.
 */
export async function runCloudCore (config: CloudCoreConfig, out: { log: (s: string) => void, error: (s: string) => void }): Promise<CloudCore> {
  const cc = createCloudCore(config)
  await runUntilSignal(cc, out, () => { out.log(`export KUBECONFIG=${cc.kubeconfigPath}`) })
  return cc
}
