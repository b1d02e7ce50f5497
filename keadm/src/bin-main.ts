import { Command, InvalidArgumentError, Option } from 'commander'
import { hasCode } from '@edgemesh/common'
import { gettoken, init, join, reset } from './commands.js'
import { reporter } from './report.js'

const int = (v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)')
  return n
}
const collect = (v: string, prev: string[]): string[] => [...prev, v]
const outputOption = (): Option => new Option('-o, --output <format>', 'text (a line per step) or json').choices(['text', 'json']).default('text')

/** keadm's command line; resolves with the process exit code. */
export async function keadm (argv: string[], out: { log: (s: string) => void, error: (s: string) => void }): Promise<number> {
  let code = 0
  const program = new Command('keadm')
    .description('set up an EdgeMesh-TS cluster: keadm init on the cloud machine, keadm gettoken, keadm join on each edge node')
    .exitOverride()
    .configureOutput({ writeOut: s => { out.log(s.trimEnd()) }, writeErr: s => { out.error(s.trimEnd()) } })
  program.command('init')
    .description('create the cluster CA and certificates and cloudcore.yaml, then start cloudcore')
    .option('--advertise-address <ip>', 'an address edge nodes reach this machine by (repeatable); it goes into the serving certificate', collect, [])
    .option('--data-dir <dir>', 'cloudcore data dir (default /var/lib/cloudcore as root, ./.edgemesh-data/cloudcore otherwise)')
    .option('--api-port <n>', 'API server port (default 6443)', int)
    .option('--hub-port <n>', 'cloud-hub port (default 10000)', int)
    .option('--bootstrap-port <n>', 'bootstrap port (default 10002)', int)
    .option('--foreground', 'stay attached instead of starting cloudcore in the background', false)
    .addOption(outputOption())
    .action(async o => { code = await init(o, reporter(o.output, out.log)) })
  program.command('gettoken')
    .description('print a join token (valid 24 h)')
    .option('--data-dir <dir>', 'cloudcore data dir')
    .addOption(outputOption())
    .action(async o => { code = await gettoken(o, reporter(o.output, out.log)) })
  program.command('join')
    .description('get a node certificate with a token, write edgecore.yaml and start edgecore')
    .requiredOption('--cloudcore-ipport <host:port>', 'the cloud-hub address (port 10000 by default)')
    .requiredOption('--token <token>', 'from keadm gettoken')
    .requiredOption('--node-name <name>', 'this node\'s name')
    .option('--certport <n>', 'the bootstrap port on the same host', int, 10002)
    .option('--data-dir <dir>', 'edgecore data dir (default /var/lib/edgecore as root, ./.edgemesh-data/edgecore otherwise)')
    .option('--meta-server-port <n>', 'meta-server port on 127.0.0.1 (default 10550)', int)
    .option('--foreground', 'stay attached instead of starting edgecore in the background', false)
    .addOption(outputOption())
    .action(async o => { code = await join(o, reporter(o.output, out.log)) })
  program.command('reset')
    .description('stop what keadm init/join started for the data dir (by its pid) and remove the data dir')
    .requiredOption('--data-dir <dir>', 'the data dir init or join used')
    .addOption(outputOption())
    .action(async o => { code = await reset(o, reporter(o.output, out.log)) })
  try {
    await program.parseAsync(argv, { from: 'user' })
    return code
  } catch (err) {
    // commander's own exits (help, version, usage errors) carry their exit code.
    if (hasCode(err, 'commander.helpDisplayed') || hasCode(err, 'commander.help') || hasCode(err, 'commander.version')) return 0
    const e = err as { code?: string, exitCode?: number, message?: string }
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 1
    out.error(`keadm: ${e.message ?? String(err)}${e.code !== undefined ? ` (${e.code})` : ''}`)
    return 1
  }
}
