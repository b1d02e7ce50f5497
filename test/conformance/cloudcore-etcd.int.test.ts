import { ETCD_BIN, etcdAvailable, startEtcd } from '../../cloud-core/test/store/etcd-server.js'
import { cloudcoreTarget } from './cloudcore-target.js'
import { runInformerConformance } from './informer-suite.js'

// The same suite with cloudcore on etcd (Debian etcd-server, throwaway member on free loopback
// ports): watches, compaction and 410s take the etcd store's code paths.
runInformerConformance('cloudcore (etcd)', async () => {
  const etcd = await startEtcd()
  // Log level 'error', not 'warn': stopping the etcd store logs one "watch stream disconnected" warning per open watch.
  return await cloudcoreTarget({ store: { type: 'etcd', endpoints: [etcd.endpoint] }, logLevel: 'error', cleanup: async () => { await etcd.stop() } })
}, etcdAvailable() ? {} : { skipReason: `${ETCD_BIN} is not installed (scripts/ensure-deps.sh installs etcd-server)` })
