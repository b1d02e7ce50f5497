import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { createCloudCore, resolveCloudCoreConfig } from '../../cloud-core/src/index.js'
import { ETCD_BIN, etcdAvailable, startEtcd } from '../../cloud-core/test/store/etcd-server.js'
import { runInformerConformance } from './informer-suite.js'

// The same suite with cloudcore on etcd (Debian etcd-server, throwaway member on free loopback
// ports): watches, compaction and 410s take the etcd store's code paths.
runInformerConformance('cloudcore (etcd)', async () => {
  const etcd = await startEtcd()
  const dataDir = await mkdtemp(join(tmpdir(), 'edgemesh-conformance-etcd-'))
  const cc = createCloudCore(resolveCloudCoreConfig({
    dataDir,
    apiServer: { port: 0, bindAddress: '127.0.0.1' },
    store: { type: 'etcd', endpoints: [etcd.endpoint] },
    // Not 'warn': stopping the etcd store logs one "watch stream disconnected" warning per open watch.
    log: { level: 'error' }
  }))
  const cleanup = async (): Promise<void> => {
    await cc.stop()
    await etcd.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    await cc.start()
  } catch (err) {
    await cleanup()
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
    teardown: cleanup
  }
}, etcdAvailable() ? {} : { skipReason: `${ETCD_BIN} is not installed (scripts/ensure-deps.sh installs etcd-server)` })
