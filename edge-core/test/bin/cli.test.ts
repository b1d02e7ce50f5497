import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { edgeConfigFromArgs } from '../../src/bin/cli.js'

async function file (text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edgecore-cli-'))
  const f = join(dir, 'edgecore.yaml')
  await writeFile(f, text)
  return f
}

describe('edgecore command line', () => {
  it('reads edgecore.yaml, fills defaults and lets flags override it', async () => {
    const f = await file('nodeName: edge-1\nedgeHub: { urls: ["wss://10.0.0.1:10000"] }\n')
    const c = await edgeConfigFromArgs(['--config', f, '--data-dir', '/tmp/e1', '--meta-server-port', '0', '--log-format', 'pretty'])
    expect(c).toMatchObject({ nodeName: 'edge-1', dataDir: '/tmp/e1', edgeHub: { urls: ['wss://10.0.0.1:10000'] }, metaServer: { enabled: true, bindAddress: '127.0.0.1', port: 0 }, node: { leaseRenewMs: 10_000 }, log: { format: 'pretty' } })
  })

  it('names the key and the file for bad input', async () => {
    const cases: Array<[string, string]> = [
      ['nodeName: Edge_1\nedgeHub: { urls: ["wss://h:1"] }\n', 'nodeName'],
      ['nodeName: e\nedgeHub: { urls: ["https://h:1"] }\n', 'edgeHub.urls.0'],
      ['nodeName: e\nedgeHub: { urls: [] }\n', 'edgeHub.urls'],
      ['nodeName: e\nedgeHub: { urls: ["wss://h:1"] }\nmetaServer: { prot: 1 }\n', 'metaServer.prot']
    ]
    for (const [text, key] of cases) {
      const f = await file(text)
      await expect(edgeConfigFromArgs(['--config', f]), key).rejects.toMatchObject({ code: 'CONFIG_INVALID', key, file: f })
    }
    const f = await file('nodeName: e\nedgeHub: { urls: ["wss://h:1"] }\n')
    await expect(edgeConfigFromArgs(['--config', f, '--meta-server-port', 'x'])).rejects.toMatchObject({ key: 'metaServer.port' })
  })

  it('requires --config, rejects unknown flags with the usage, answers --help', async () => {
    await expect(edgeConfigFromArgs([])).rejects.toThrow(/--config is required/)
    await expect(edgeConfigFromArgs(['--bogus'])).rejects.toThrow(/Usage: edgecore/)
    expect(await edgeConfigFromArgs(['--help'])).toBe('help')
  })
})
