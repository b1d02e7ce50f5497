import type { ResourceInfo } from '../../machinery/types.js'
import { namespacesInfo, nodesInfo } from './cluster.js'
import { configMapsInfo, endpointSlicesInfo, endpointsInfo, eventsInfo, leasesInfo, secretsInfo, serviceAccountsInfo } from './core-misc.js'
import { customResourceDefinitionsInfo } from './crds.js'
import { podsInfo } from './pods.js'
import { servicesInfo } from './services.js'
import { daemonSetsInfo, deploymentsInfo, replicaSetsInfo } from './workloads.js'

export * from './cluster.js'
export * from './core-misc.js'
export * from './crds.js'
export * from './pods.js'
export * from './print-util.js'
export * from './services.js'
export * from './workloads.js'

/**
 * Names, scope and Table printers of every built-in kind, without write strategies: what a server that
 * serves a cache (edge-core's meta-server) needs to answer `kubectl get` like kube-apiserver. cloud-core
 * adds its strategies (defaults, ClusterIP allocation, validation) on top of these.
 */
export function builtinResourceInfo (): ResourceInfo[] {
  return [
    namespacesInfo(),
    nodesInfo(),
    podsInfo(),
    servicesInfo(),
    endpointsInfo(),
    configMapsInfo(),
    secretsInfo(),
    eventsInfo(),
    serviceAccountsInfo(),
    endpointSlicesInfo(),
    deploymentsInfo(),
    replicaSetsInfo(),
    daemonSetsInfo(),
    leasesInfo(),
    customResourceDefinitionsInfo()
  ]
}
