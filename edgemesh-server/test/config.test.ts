import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadServerConfig, parseServerConfig } from '../src/config.js'

const identity = { certFile: '/x/server.crt', caFile: '/x/ca.crt' }

describe('server config', () => {
  it('fills documented defaults: port 20004, unlimited relay, 2 min rendezvous TTL', () => {
    const c = parseServerConfig({ identity })
    expect(c.listen).toEqual(['/ip4/0.0.0.0/tcp/20004'])
    expect(c.limits.relayDataLimitBytes).toBe(0)
    expect(c.limits.relayDurationLimitMs).toBe(0)
    expect(c.limits.rendezvousTtlMs).toBe(120_000)
    expect(c.http.port).toBe(20005)
  })

  it('rejects an unknown key and names it', () => {
    expect(() => parseServerConfig({ identity, limits: { maxReservatons: 3 } })).toThrow(/limits\.maxReservatons/)
  })

  it('rejects a listen address that is not a multiaddr', () => {
    expect(() => parseServerConfig({ identity, listen: ['0.0.0.0:20004'] })).toThrow(/listen\.0/)
  })

  it('resolves relative identity paths against the config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgemesh-server-cfg-'))
    try {
      await writeFile(join(dir, 's.yaml'), 'identity:\n  certFile: certs/server.crt\n  caFile: /etc/ca.crt\ndataDir: data\n')
      const c = await loadServerConfig(join(dir, 's.yaml'))
      expect(c.identity.certFile).toBe(join(dir, 'certs/server.crt'))
      expect(c.identity.caFile).toBe('/etc/ca.crt')
      expect(c.dataDir).toBe(join(dir, 'data'))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
