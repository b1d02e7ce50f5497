import type { KubeList, KubeObject } from '@edgemesh/common'
import { fieldMatcher, labelMatcher, notFound, type ListOpts, type ResourceDefinition } from '@edgemesh/kube/machinery'
import { ReadOnlyBackend } from '@edgemesh/kube/server'
import type { NodeMetricsCache } from './node-metrics-cache.js'
import { METRICS_GROUP, METRICS_VERSION } from './resources.js'

export interface MetricsBackendComponents {
  cache: NodeMetricsCache
  /** @default () => new Date() */
  now?: () => Date
}

/**
 * metrics.k8s.io from the NodeMetricsCache: get and list of NodeMetrics and PodMetrics, label and
 * field selectors (metadata.name, metadata.namespace). Like metrics-server, objects are computed per
 * request: creationTimestamp is now and there is no resourceVersion, so limit/continue are ignored.
 */
export class MetricsBackend extends ReadOnlyBackend {
  private readonly now: () => Date

  constructor (private readonly components: MetricsBackendComponents) {
    super()
    this.now = components.now ?? (() => new Date())
  }

  async get (def: ResourceDefinition, namespace: string | undefined, name: string): Promise<KubeObject> {
    const cache = this.components.cache
    const found = def.resource === 'nodes' ? cache.node(name) : namespace === undefined ? undefined : cache.pod(namespace, name)
    if (found === undefined) throw notFound(def.resource, name, METRICS_GROUP)
    return this.served(found)
  }

  async list (def: ResourceDefinition, namespace: string | undefined, opts: ListOpts = {}): Promise<KubeList> {
    const cache = this.components.cache
    const labels = labelMatcher(opts.labelSelector)
    const fields = fieldMatcher(opts.fieldSelector, def)
    const all = def.resource === 'nodes' ? cache.nodes() : cache.pods(namespace)
    const items: KubeObject[] = []
    for (const o of all) {
      const obj = this.served(o)
      if ((labels === undefined || labels(obj)) && (fields === undefined || fields(obj))) items.push(obj)
    }
    items.sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`))
    return { apiVersion: `${METRICS_GROUP}/${METRICS_VERSION}`, kind: `${def.kind}List`, metadata: {}, items }
  }

  private served (o: { metadata: Record<string, unknown> }): KubeObject {
    const creationTimestamp = this.now().toISOString().replace(/\.\d{3}Z$/, 'Z')
    return { ...o, metadata: { ...o.metadata, creationTimestamp } } as unknown as KubeObject
  }
}
