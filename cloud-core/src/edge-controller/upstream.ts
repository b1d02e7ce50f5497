import { hasCode, NODE_METRICS_KIND, nodeMetricsReportSchema, silentLogger, type Counter, type KubeObject, type Logger, type MetricsRegistry } from '@edgemesh/common'
import type { HubMessage, ResourceRef as HubResourceRef } from '@edgemesh/common/hub-protocol'
import { updateWithRetry } from '@edgemesh/kube/client'
import { inNamespace, isPlainObject as isRecord, LEASES, NODE_LEASE_NAMESPACE, NODES, PODS, type Lease, type Node, type ObjectClient, type Pod } from '@edgemesh/kube/machinery'
import type { UpstreamHandler } from '../cloud-hub/index.js'
import { EDGE_ROLE_LABEL } from '../controllers/node-lifecycle-controller.js'
import type { NodeMetricsCache, NodeUsage } from '../metrics-api/index.js'
import { EdgeControllerError } from './errors.js'

/** How node reports look objects up (the informer caches in cloudcore; the client by default). */
export interface NodeReportsLookup {
  node: (name: string) => Promise<Node | undefined>
  pod: (namespace: string, name: string) => Promise<Pod | undefined>
}

export interface NodeReportsComponents {
  /** Writes as the cloud (the in-process admin client); what a node may do is decided here. */
  client: ObjectClient
  /** Where usage reports (`null/nodemetrics/<node>`) go; without it they are acked and dropped. */
  metricsCache?: Pick<NodeMetricsCache, 'put'>
  /** @default reads through `client` */
  lookup?: NodeReportsLookup
  /** Counts pods refused in usage reports (edgemesh_nodereports_metrics_pods_refused_total). @default none */
  metrics?: MetricsRegistry
  /** @default silent */
  logger?: Logger
}

/**
 * What nodes report up the edge link, applied to the API: a node registers and updates its own Node
 * (status), renews its own Lease in kube-node-lease, and reports the status of pods bound to it. The
 * node name is the session's (from its certificate), never the message's. Anything else is refused
 * with EDGE_UPSTREAM_FORBIDDEN: logged and acked, so a misbehaving node cannot make the cloud retry,
 * and nothing is written. API failures other than a vanished object are thrown (no ack: the node resends).
 */
export class NodeReports implements UpstreamHandler {
  private readonly log: Logger
  private readonly lookup: NodeReportsLookup
  private readonly refusedPods?: Counter<'reason'>

  constructor (private readonly components: NodeReportsComponents) {
    this.log = (components.logger ?? silentLogger()).child({ component: 'node-reports' })
    const client = components.client
    const orNothing = async <T>(p: Promise<T>): Promise<T | undefined> => await p.catch((err: unknown) => { if (hasCode(err, 'API_NOT_FOUND')) return undefined; throw err })
    this.lookup = components.lookup ?? {
      node: async name => await orNothing(client.get<Node>(NODES, name)),
      pod: async (ns, name) => await orNothing(client.get<Pod>(inNamespace(PODS, ns), name))
    }
    this.refusedPods = components.metrics?.counter('edgemesh_nodereports_metrics_pods_refused_total', { help: 'Pods left out of node usage reports: bound to another node, or gone.', labelNames: ['reason'] })
  }

  async handle (node: string, msg: HubMessage, resource: HubResourceRef | null): Promise<void> {
    try {
      await this.apply(node, msg, resource)
    } catch (err) {
      if (err instanceof EdgeControllerError) {
        this.log.warn({ code: err.code, node, msgId: msg.header.msg_id, resource: msg.route.resource, err: err.message }, 'node report refused')
        return
      }
      // The object went away meanwhile (a pod deleted in the cloud): nothing to report on.
      if (hasCode(err, 'API_NOT_FOUND')) return
      // The API refused the content: the node's fault, and resending it would fail the same way.
      if (hasCode(err, 'API_INVALID') || hasCode(err, 'API_BAD_REQUEST')) {
        this.log.warn({ code: 'EDGE_UPSTREAM_INVALID', node, msgId: msg.header.msg_id, resource: msg.route.resource, err: (err as Error).message }, 'node report refused by the API')
        return
      }
      throw err
    }
  }

  /** Applies one report; throws EdgeControllerError when it is refused. */
  async apply (node: string, msg: HubMessage, resource: HubResourceRef | null): Promise<void> {
    if (resource === null || (msg.route.operation !== 'insert' && msg.route.operation !== 'update')) {
      throw new EdgeControllerError('EDGE_UPSTREAM_FORBIDDEN', `operation ${msg.route.operation} on "${msg.route.resource}" is not a node report`)
    }
    const content = msg.content
    if (!isRecord(content)) throw new EdgeControllerError('EDGE_UPSTREAM_INVALID', 'report content is not an object')
    switch (resource.kind.toLowerCase()) {
      case 'node':
        if (resource.namespace !== null || resource.name !== node) throw forbidden(node, msg)
        await this.node(node, content as KubeObject)
        return
      case 'lease':
        if (resource.namespace !== NODE_LEASE_NAMESPACE || resource.name !== node) throw forbidden(node, msg)
        await this.lease(node, content as KubeObject)
        return
      case 'pod':
        if (resource.namespace === null) throw new EdgeControllerError('EDGE_UPSTREAM_INVALID', 'a pod report needs a namespace')
        await this.podStatus(node, resource.namespace, resource.name, content as KubeObject)
        return
      case NODE_METRICS_KIND:
        if (resource.namespace !== null || resource.name !== node) throw forbidden(node, msg)
        await this.nodeMetrics(node, content)
        return
      default:
        throw forbidden(node, msg)
    }
  }

  /**
   * Keeps a node's usage for the metrics API, labelled like the live objects (for `kubectl top -l`).
   * Pods bound elsewhere are refused one by one (EDGE_UPSTREAM_FORBIDDEN, logged) and the rest kept;
   * pods gone or recreated (another uid) are left out quietly. Nothing is written to the store.
   */
  private async nodeMetrics (node: string, content: unknown): Promise<void> {
    const cache = this.components.metricsCache
    if (cache === undefined) return
    const parsed = nodeMetricsReportSchema.safeParse(content)
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map(i => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
      throw new EdgeControllerError('EDGE_UPSTREAM_INVALID', `node usage report is invalid: ${issues}`)
    }
    const report = parsed.data
    if (report.node.metadata.name !== node) throw new EdgeControllerError('EDGE_UPSTREAM_FORBIDDEN', `node ${node} reported the usage of node ${report.node.metadata.name}`)
    const live = await this.lookup.node(node)
    // Not registered yet (or deleted): nothing to attach usage to.
    if (live === undefined) return
    const pods: NodeUsage['pods'] = []
    const refused: string[] = []
    for (const p of report.pods) {
      const { namespace, name, uid } = p.metadata
      const pod = await this.lookup.pod(namespace, name)
      if (pod === undefined || (uid !== undefined && pod.metadata.uid !== uid)) { this.refusedPods?.inc({ reason: 'gone' }); continue }
      if (pod.spec?.nodeName !== node) {
        refused.push(`${namespace}/${name} (bound to ${pod.spec?.nodeName ?? '<unscheduled>'})`)
        this.refusedPods?.inc({ reason: 'forbidden' })
        continue
      }
      pods.push({ ...p, metadata: { name, namespace, ...(pod.metadata.labels !== undefined ? { labels: pod.metadata.labels } : {}) } })
    }
    if (refused.length > 0) {
      this.log.warn({ code: 'EDGE_UPSTREAM_FORBIDDEN', node, pods: refused.slice(0, 10), count: refused.length }, 'usage of pods bound to other nodes refused')
    }
    cache.put(node, {
      node: { ...report.node, metadata: { name: node, ...(live.metadata.labels !== undefined ? { labels: live.metadata.labels } : {}) } },
      pods
    })
  }

  /** Registers the node (as an edge node) or updates its status; the spec stays the cloud's. */
  private async node (node: string, reported: KubeObject): Promise<void> {
    const status = isRecord(reported.status) ? reported.status : {}
    try {
      const labels = { ...(isRecord(reported.metadata?.labels) ? reported.metadata.labels as Record<string, string> : {}), [EDGE_ROLE_LABEL]: '' }
      const created = await this.components.client.create<Node>(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels } })
      this.log.info({ node }, 'edge node registered')
      await this.components.client.update<Node>(NODES, { ...created, status }, 'status')
      return
    } catch (err) {
      if (!hasCode(err, 'API_ALREADY_EXISTS')) throw err
    }
    await updateWithRetry<Node>(this.components.client, NODES, node, live => { live.status = status; return true }, { subresource: 'status' })
  }

  private async lease (node: string, reported: KubeObject): Promise<void> {
    const spec = { ...(isRecord(reported.spec) ? reported.spec : {}), holderIdentity: node }
    const ref = inNamespace(LEASES, NODE_LEASE_NAMESPACE)
    try {
      await this.components.client.create<Lease>(ref, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: node, namespace: NODE_LEASE_NAMESPACE }, spec })
      return
    } catch (err) {
      if (!hasCode(err, 'API_ALREADY_EXISTS')) throw err
    }
    await updateWithRetry<Lease>(this.components.client, ref, node, live => { live.spec = spec; return true })
  }

  private async podStatus (node: string, namespace: string, name: string, reported: KubeObject): Promise<void> {
    const ref = inNamespace(PODS, namespace)
    const status = isRecord(reported.status) ? reported.status : undefined
    if (status === undefined) throw new EdgeControllerError('EDGE_UPSTREAM_INVALID', 'a pod report carries no status')
    const uid = isRecord(reported.metadata) && typeof reported.metadata.uid === 'string' ? reported.metadata.uid : undefined
    let other: string | undefined
    await updateWithRetry<Pod>(this.components.client, ref, name, live => {
      if (live.spec?.nodeName !== node) { other = live.spec?.nodeName ?? '<unscheduled>'; return false }
      // A late report about an earlier pod of the same name (deleted and recreated meanwhile): not this pod's status.
      if (uid !== undefined && uid !== live.metadata.uid) { this.log.debug({ node, pod: `${namespace}/${name}`, uid }, 'status of a previous pod of that name dropped'); return false }
      live.status = status
      return true
    }, { subresource: 'status' })
    if (other !== undefined) throw new EdgeControllerError('EDGE_UPSTREAM_FORBIDDEN', `node ${node} reported status of pod ${namespace}/${name}, which is bound to ${other}`)
  }
}

function forbidden (node: string, msg: HubMessage): EdgeControllerError {
  return new EdgeControllerError('EDGE_UPSTREAM_FORBIDDEN', `node ${node} may not report "${msg.route.resource}"`)
}
