import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadCloudCoreConfig, parseDuration, resolveCloudCoreConfig } from '../src/config.js'

describe('cloudcore config', () => {
  it('fills every default from an empty file', () => {
    const c = resolveCloudCoreConfig({ dataDir: '/tmp/cc' })
    expect(c).toEqual({
      dataDir: '/tmp/cc',
      apiServer: { bindAddress: '0.0.0.0', port: 6443, serviceCIDR: '10.96.0.0/12', nodePortRange: '30000-32767', maxBodyBytes: 3145728, certSANs: [] },
      store: { type: 'sqlite', dataDir: '/tmp/cc' },
      controllers: { nodeMonitorGracePeriodMs: 40_000, concurrentSyncs: 2, enabled: true },
      cloudHub: { enabled: true, bindAddress: '0.0.0.0', port: 10000 },
      bootstrap: { enabled: true, bindAddress: '0.0.0.0', port: 10002 },
      log: { level: 'info', format: 'json' }
    })
  })

  it('names an unknown key and the file', () => {
    expect(() => resolveCloudCoreConfig({ apiServer: { prot: 1 } }, 'cloudcore.yaml')).toThrow('unknown key: "apiServer.prot" in cloudcore.yaml')
  })

  it('names a wrong key inside the store section with its store. prefix', () => {
    expect(() => resolveCloudCoreConfig({ store: { type: 'etcd', endpoints: [] } })).toThrow(/"store.endpoints"/)
  })

  it('rejects a service CIDR that is not IPv4', () => {
    expect(() => resolveCloudCoreConfig({ apiServer: { serviceCIDR: 'fd00::/64' } })).toThrow(/apiServer.serviceCIDR/)
  })

  it('parses Go-style durations', () => {
    expect(parseDuration('1m30s')).toBe(90_000)
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('forty')).toBeUndefined()
    expect(() => resolveCloudCoreConfig({ controllers: { nodeMonitorGracePeriod: 'soon' } })).toThrow(/controllers.nodeMonitorGracePeriod/)
  })

  it('loads YAML from a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cc-config-'))
    const file = join(dir, 'cloudcore.yaml')
    await writeFile(file, `dataDir: ${dir}\napiServer:\n  port: 7443\nstore:\n  type: etcd\n  endpoints: [http://127.0.0.1:2379]\nlog: {format: pretty}\n`)
    const c = await loadCloudCoreConfig(file)
    expect(c.apiServer.port).toBe(7443)
    expect(c.store).toEqual({ type: 'etcd', endpoints: ['http://127.0.0.1:2379'] })
    expect(c.log.format).toBe('pretty')
  })
})

describe('store section', () => {
  it('accepts kind as a spelling of type', () => {
    expect(resolveCloudCoreConfig({ dataDir: '/tmp/cc', store: { kind: 'etcd', endpoints: ['http://127.0.0.1:2379'] } }).store).toEqual({ type: 'etcd', endpoints: ['http://127.0.0.1:2379'] })
  })
})
