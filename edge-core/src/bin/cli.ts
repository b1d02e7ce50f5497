import { ConfigError, loadRawConfig, numericFlag, parseStringFlags, runUntilSignal, setRawConfig } from '@edgemesh/common'
import { resolveEdgeCoreConfig, type EdgeCoreConfig } from '../config.js'
import { createEdgeCore, type EdgeCore } from '../edgecore.js'

export const USAGE = `Usage: edgecore --config edgecore.yaml [--data-dir DIR] [--meta-server-port N] [--log-format json|pretty]

  --config            edgecore.yaml (keadm join writes it; see edge-core/README.md)
  --data-dir          overrides dataDir (pki/ with the node credentials, cache/ with the node's objects)
  --meta-server-port  overrides metaServer.port (0 = any free port)
  --log-format        json (default) or pretty
  -h, --help          this text`

/** Parses argv into a resolved config; flags override the file; validated once. Throws ConfigError. */
export async function edgeConfigFromArgs (argv: string[]): Promise<EdgeCoreConfig | 'help'> {
  const values = parseStringFlags(argv, ['config', 'data-dir', 'meta-server-port', 'log-format'], USAGE)
  if (values === 'help') return 'help'
  if (values.config === undefined) throw new ConfigError(`--config is required\n${USAGE}`, { key: 'config' })
  const raw = await loadRawConfig(values.config)
  if (values['data-dir'] !== undefined) raw.dataDir = values['data-dir']
  if (values['meta-server-port'] !== undefined) setRawConfig(raw, 'metaServer.port', numericFlag(values['meta-server-port']))
  if (values['log-format'] !== undefined) setRawConfig(raw, 'log.format', values['log-format'])
  return resolveEdgeCoreConfig(raw, values.config)
}

/** Runs edgecore until SIGINT/SIGTERM; prints the meta-server address once serving. */
export async function runEdgeCore (config: EdgeCoreConfig, out: { log: (s: string) => void, error: (s: string) => void }): Promise<EdgeCore> {
  const ec = createEdgeCore(config)
  await runUntilSignal(ec, out, () => { out.log(`edgecore ${config.nodeName}: meta-server on http://${config.metaServer.bindAddress}:${ec.metaServerPort}`) })
  return ec
}
