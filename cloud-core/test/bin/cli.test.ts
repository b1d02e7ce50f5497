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
