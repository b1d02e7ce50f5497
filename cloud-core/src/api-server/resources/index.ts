import type { ResourceDefinition } from '@edgemesh/kube/machinery'
import { namespacesResource, nodesResource } from './cluster.js'
import { configMapsResource, endpointSlicesResource, endpointsResource, eventsResource, leasesResource, secretsResource, serviceAccountsResource } from './core-misc.js'
import { customResourceDefinitionsResource } from './crds.js'
import { podsResource } from './pods.js'
import { ServiceAllocator, type ServiceAllocatorInit } from './service-allocator.js'
import { servicesResource } from './services.js'
import { daemonSetsResource, deploymentsResource, replicaSetsResource } from './workloads.js'

export interface BuiltinResourcesInit extends ServiceAllocatorInit {
  /** Share an allocator (e.g. to read `kubernetesIP`); otherwise one is created from the CIDR/range options. */
  allocator?: ServiceAllocator
}

/** Every built-in kind the API server serves. Call once per server: the Service allocator lives inside. */
export function builtinResources (init: BuiltinResourcesInit = {}): ResourceDefinition[] {
  const allocator = init.allocator ?? new ServiceAllocator(init)
  return [
    namespacesResource(),
    nodesResource(),
    podsResource(),
    servicesResource(allocator),
    endpointsResource(),
    configMapsResource(),
    secretsResource(),
    eventsResource(),
    serviceAccountsResource(),
    endpointSlicesResource(),
    deploymentsResource(),
    replicaSetsResource(),
    daemonSetsResource(),
    leasesResource(),
    customResourceDefinitionsResource()
  ]
}

export { defaultPodSpec, defaultPullPolicy } from './pods.js'
export { crdToResourceDefinitions, evalJsonPath, validateCrd } from './crds.js'
export { ServiceAllocator, parseCidr4, parsePortRange, formatIPv4, parseIPv4, type ServiceAllocatorInit } from './service-allocator.js'
export { mergeStringData } from './core-misc.js'
