import { hasCode, silentLogger, type KubeObject, type Logger } from '@edgemesh/common'
import type { HubMessage, ResourceRef as HubResourceRef } from '@edgemesh/common/hub-protocol'
import { updateWithRetry } from '@edgemesh/kube/client'
import { inNamespace, isPlainObject as isRecord, LEASES, NODE_LEASE_NAMESPACE, NODES, PODS, type Lease, type Node, type ObjectClient, type Pod } from '@edgemesh/kube/machinery'
import type { UpstreamHandler } from '../cloud-hub/index.js'
import { EDGE_ROLE_LABEL } from '../controllers/node-lifecycle-controller.js'
import { EdgeControllerError } from './errors.js'

export interface NodeReportsComponents {
  /** Writes as the cloud (the in-process admin client); what a node may do is decided here. */
  client: ObjectClient
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

  constructor (private readonly components: NodeReportsComponents) {
    this.log = (components.logger ?? silentLogger()).child({ component: 'node-reports' })
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
      default:
        throw forbidden(node, msg)
    }
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
