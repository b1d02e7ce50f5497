import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configFromArgs } from '../../src/bin/cli.js'

describe('cloudcore command line', () => {
  it('lets --data-dir, --port and --log-format override the config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cc-cli-'))
    const file = join(dir, 'cloudcore.yaml')
    await writeFile(file, 'dataDir: /nowhere\napiServer: {port: 7443, serviceCIDR: 10.100.0.0/16}\n')
    const c = await configFromArgs(['--config', file, '--data-dir', dir, '--port', '0', '--log-format=pretty'])
    expect(c).toMatchObject({ dataDir: dir, apiServer: { port: 0, serviceCIDR: '10.100.0.0/16' }, store: { type: 'sqlite', dataDir: dir }, log: { format: 'pretty' } })
  })

  it('keeps file values that have their own spelling (durations, store kind) when flags are added', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cc-cli-'))
    const file = join(dir, 'cloudcore.yaml')
    await writeFile(file, 'controllers: {nodeMonitorGracePeriod: 1m30s}\nstore: {kind: etcd, endpoints: [http://127.0.0.1:2379]}\n')
    const c = await configFromArgs(['--config', file, '--data-dir', dir, '--port', '0'])
    expect(c).toMatchObject({ dataDir: dir, controllers: { nodeMonitorGracePeriodMs: 90_000 }, store: { type: 'etcd', endpoints: ['http://127.0.0.1:2379'] } })
  })

  // Before: the store section was parsed on its own and its error message rewritten by string replacement.
  it('names a wrong store key by its full path and the file, parsed once with the flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cc-cli-'))
    const file = join(dir, 'cloudcore.yaml')
    await writeFile(file, 'store: {type: etcd, endpoints: [not-a-url]}\n')
    await expect(configFromArgs(['--config', file, '--port', '0'])).rejects.toMatchObject({ code: 'CONFIG_INVALID', key: 'store.endpoints.0', file })
    await writeFile(file, 'store: {type: sqlite, bogus: 1}\n')
    await expect(configFromArgs(['--config', file])).rejects.toMatchObject({ key: 'store.bogus', message: expect.stringContaining('"store.bogus"') })
  })

  it('lets an explicit store.dataDir in the file win over --data-dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cc-cli-'))
    const file = join(dir, 'cloudcore.yaml')
    await writeFile(file, `store: {type: sqlite, dataDir: ${join(dir, 'db')}}\n`)
    const c = await configFromArgs(['--config', file, '--data-dir', dir])
    expect(c).toMatchObject({ dataDir: dir, store: { type: 'sqlite', dataDir: join(dir, 'db') } })
  })

  it('sets the cloud-hub and bootstrap ports from --hub-port and --bootstrap-port', async () => {
    const c = await configFromArgs(['--hub-port', '0', '--bootstrap-port', '12002'])
    expect(c).toMatchObject({ cloudHub: { enabled: true, port: 0 }, bootstrap: { enabled: true, port: 12002 } })
    await expect(configFromArgs(['--hub-port', 'x'])).rejects.toMatchObject({ key: 'cloudHub.port' })
  })

  it('rejects an unknown flag with the usage text', async () => {
    await expect(configFromArgs(['--prot', '1'])).rejects.toThrow(/Usage: cloudcore/)
  })

  it('rejects a bad port with the key it belongs to', async () => {
    await expect(configFromArgs(['--port', 'many'])).rejects.toThrow(/apiServer.port/)
  })

  it('answers --help', async () => {
    expect(await configFromArgs(['--help'])).toBe('help')
  })
})
