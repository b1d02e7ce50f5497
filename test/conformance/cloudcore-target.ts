import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { createCloudCore, resolveCloudCoreConfig } from '../../cloud-core/src/index.js'

/**
 * A cloudcore assembled exactly as the binary does it, in a temp data dir on a free port, as a target
 * for the informer conformance suite: reached over HTTPS with the admin kubeconfig it writes, with
 * compaction going straight to the store underneath. `store` and `logLevel` pick the backend;
 * `cleanup` releases whatever the caller started for it (e.g. an etcd member).
 */
export async function cloudcoreTarget (opts: { store: Record<string, unknown>, logLevel: string, cleanup?: () => Promise<void> }): Promise<{ kubeConfig: KubeConfig, compact: () => Promise<void>, teardown: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'edgemesh-conformance-'))
  const cc = createCloudCore(resolveCloudCoreConfig({
    dataDir,
    apiServer: { port: 0, bindAddress: '127.0.0.1' },
    cloudHub: { port: 0, bindAddress: '127.0.0.1' },
    bootstrap: { port: 0, bindAddress: '127.0.0.1' },
    store: opts.store,
    log: { level: opts.logLevel }
  }))
  const teardown = async (): Promise<void> => {
    await cc.stop()
    await opts.cleanup?.()
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    await cc.start()
  } catch (err) {
    await teardown()
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
    teardown
  }
}
