import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { createCloudCore, resolveCloudCoreConfig } from '../../cloud-core/src/index.js'
import { runInformerConformance } from './informer-suite.js'

// The embedded API server over SQLite, exactly as `cloudcore` assembles it, reached over HTTPS with
// the admin kubeconfig it writes. Compaction goes straight to the store underneath.
runInformerConformance('cloudcore (SQLite)', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'edgemesh-conformance-'))
  const cc = createCloudCore(resolveCloudCoreConfig({
    dataDir,
    apiServer: { port: 0, bindAddress: '127.0.0.1' },
    // Automatic compaction would race the 410 test; it compacts on demand instead.
    store: { type: 'sqlite', compactIntervalMs: 0 },
    log: { level: 'warn' }
  }))
  try {
    await cc.start()
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true })
    throw err
  }
  const kubeConfig = new KubeConfig()
  kubeConfig.loadFromFile(cc.kubeconfigPath)
  return {
    kubeConfig,
    compact: async () => {
      const store = cc.core.storage.store
      await store.compact(await store.revision())
    },
    teardown: async () => {
      await cc.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
})
