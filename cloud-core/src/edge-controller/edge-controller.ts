import type { KubeObject, Logger, Startable } from '@edgemesh/common'
import { byNodeName, type Informer, type InformerFactory } from '@edgemesh/kube/client'
import { NODES, PODS, SERVICES, ENDPOINTS, ENDPOINT_SLICES, type Node, type Pod, type ResourceRef } from '@edgemesh/kube/machinery'
import type { DownstreamChange, DownstreamObject, DownstreamSource } from '../cloud-hub/index.js'
import { isEdgeNode } from '../controllers/node-lifecycle-controller.js'
import { podReferences } from './pod-references.js'

const CONFIG_MAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps' }
const SECRETS: ResourceRef = { group: '', version: 'v1', resource: 'secrets' }

/** Where the edge-controller sends changes (the cloud-hub). */
export interface DownstreamSink {
  publish: (node: string, change: DownstreamChange) => void
}

export interface EdgeControllerComponents {
  informers: InformerFactory
  hub: DownstreamSink
  logger: Logger
}

export interface EdgeControllerInit {
  /** Which nodes get objects. @default nodes labelled node-role.kubernetes.io/edge */
  isEdgeNode?: (node: Node) => boolean
}

interface Sent { resourceVersion: string, namespace: string | null, kind: string, name: string }

/**
 * Decides what each edge node receives, KubeEdge's edge-controller: its Node, the pods bound to it,
 * the ConfigMaps and Secrets those pods reference (no other Secret ever goes to a node), and the
 * mesh's view (Services, Endpoints, EndpointSlices) for its agent. It is the cloud-hub's
 * DownstreamSource (what a node should have, for the resync on connect) and publishes live changes,
 * only what changed, never periodic full lists.
 */
export class EdgeController implements Startable, DownstreamSource {
  private readonly log: Logger
  private readonly isEdge: (node: Node) => boolean
  private readonly pods: Informer<Pod>
  private readonly nodes: Informer<Node>
  private readonly configMaps: Informer
  private readonly secrets: Informer
  private readonly broadcast: Array<{ kind: string, informer: Informer }>
  /** What was published per node, by uid (to send only differences and address deletes). */
  private readonly sent = new Map<string, Map<string, Sent>>()
  private started = false
  private synced = false

  constructor (private readonly components: EdgeControllerComponents, init: EdgeControllerInit = {}) {
    this.log = components.logger.child({ component: 'edge-controller' })
    this.isEdge = init.isEdgeNode ?? isEdgeNode
    const f = components.informers
    this.pods = f.informerFor<Pod>(PODS, { nodeName: byNodeName })
    this.nodes = f.informerFor<Node>(NODES)
    this.configMaps = f.informerFor(CONFIG_MAPS)
    this.secrets = f.informerFor(SECRETS)
    this.broadcast = [
      { kind: 'service', informer: f.informerFor(SERVICES) },
      { kind: 'endpoints', informer: f.informerFor(ENDPOINTS) },
      { kind: 'endpointslice', informer: f.informerFor(ENDPOINT_SLICES) }
    ]
  }

  isStarted (): boolean { return this.started }

  async start (signal?: AbortSignal): Promise<void> {
    if (this.started) return
    this.started = true
    const podNodes = (p: Pod): string[] => { const n = p.spec?.nodeName; return n === undefined || n === '' ? [] : [n] }
    this.pods.addHandler({
      add: p => { this.syncNodes(podNodes(p)) },
      update: (o, p) => { this.syncNodes([...podNodes(o), ...podNodes(p)]) },
      delete: p => { this.syncNodes(podNodes(p)) }
    })
    this.nodes.addHandler({
      add: n => { this.syncNodes([n.metadata.name ?? '']) },
      update: (_o, n) => { this.syncNodes([n.metadata.name ?? '']) },
      delete: n => { this.forget(n.metadata.name ?? '') }
    })
    for (const [informer, field] of [[this.configMaps, 'configMaps'], [this.secrets, 'secrets']] as const) {
      const touch = (o: KubeObject): void => { this.syncNodes(this.nodesReferencing(o.metadata.namespace ?? '', o.metadata.name ?? '', field)) }
      informer.addHandler({ add: touch, update: (_o, n) => { touch(n) }, delete: touch })
    }
    for (const { kind, informer } of this.broadcast) {
      informer.addHandler({
        add: o => { this.toEveryNode(kind, o, 'upsert') },
        update: (_o, n) => { this.toEveryNode(kind, n, 'upsert') },
        delete: o => { this.toEveryNode(kind, o, 'delete') }
      })
    }
    await this.components.informers.start()
    await this.components.informers.waitForSync(signal)
    // Baseline, not a broadcast: a node gets what it lacks when it connects (the hub diffs list()
    // against its ObjectSync watermarks), so a cloudcore restart does not resend everything to every node.
    for (const node of this.edgeNodes()) this.sent.set(node, sentOf(this.desired(node)))
    this.synced = true
    this.log.info({ nodes: this.edgeNodes().length }, 'edge-controller started')
  }

  async stop (): Promise<void> {
    this.started = false
    this.synced = false
    this.sent.clear()
  }

  /** Everything `node` should have now (the cloud-hub diffs it against the node's watermarks on connect). */
  async list (node: string): Promise<DownstreamObject[]> {
    return [...this.desired(node).values()]
  }

  private edgeNodes (): string[] {
    return this.nodes.list().filter(n => this.isEdge(n)).map(n => n.metadata.name ?? '')
  }

  private desired (node: string): Map<string, DownstreamObject> {
    const out = new Map<string, DownstreamObject>()
    const n = this.nodes.getByName(undefined, node)
    if (n === undefined || !this.isEdge(n)) return out
    const add = (kind: string, o: KubeObject | undefined): void => { if (o !== undefined) out.set(o.metadata.uid ?? keyFor(kind, o), toDownstream(kind, o)) }
    add('node', n)
    for (const p of this.pods.byIndex('nodeName', node)) {
      add('pod', p)
      const ns = p.metadata.namespace ?? ''
      const refs = podReferences(p)
      for (const name of refs.configMaps) add('configmap', this.configMaps.getByName(ns, name))
      for (const name of refs.secrets) add('secret', this.secrets.getByName(ns, name))
    }
    for (const { kind, informer } of this.broadcast) for (const o of informer.list()) add(kind, o)
    return out
  }

  private nodesReferencing (namespace: string, name: string, field: 'configMaps' | 'secrets'): string[] {
    const nodes = new Set<string>()
    for (const p of this.pods.byIndex('namespace', namespace)) {
      const n = p.spec?.nodeName
      if (n !== undefined && n !== '' && podReferences(p)[field].has(name)) nodes.add(n)
    }
    return [...nodes]
  }

  /** Publishes the difference between what `nodes` should have and what they were sent. */
  private syncNodes (nodes: string[]): void {
    if (!this.synced) return
    for (const node of new Set(nodes)) {
      if (node === '') continue
      const want = this.desired(node)
      const sent = this.sent.get(node) ?? new Map<string, Sent>()
      for (const [uid, o] of want) {
        if (sent.get(uid)?.resourceVersion === o.resourceVersion) continue
        this.components.hub.publish(node, { type: 'upsert', object: o })
        sent.set(uid, { resourceVersion: o.resourceVersion, namespace: o.namespace, kind: o.kind, name: o.name })
      }
      for (const [uid, s] of sent) {
        if (want.has(uid)) continue
        this.components.hub.publish(node, { type: 'delete', object: { uid, ...s } })
        sent.delete(uid)
      }
      if (sent.size > 0) this.sent.set(node, sent)
      else this.sent.delete(node)
    }
  }

  private toEveryNode (kind: string, o: KubeObject, type: 'upsert' | 'delete'): void {
    if (!this.synced) return
    const d = toDownstream(kind, o)
    for (const node of this.edgeNodes()) {
      const sent = this.sent.get(node) ?? new Map<string, Sent>()
      if (type === 'upsert' && sent.get(d.uid)?.resourceVersion === d.resourceVersion) continue
      if (type === 'delete' && !sent.has(d.uid)) continue
      this.components.hub.publish(node, type === 'upsert' ? { type, object: d } : { type, object: { ...d, object: undefined } })
      if (type === 'upsert') sent.set(d.uid, { resourceVersion: d.resourceVersion, namespace: d.namespace, kind, name: d.name })
      else sent.delete(d.uid)
      this.sent.set(node, sent)
    }
  }

  private forget (node: string): void { this.sent.delete(node) }
}

const API_VERSIONS: Record<string, [string, string]> = {
  node: ['v1', 'Node'],
  pod: ['v1', 'Pod'],
  configmap: ['v1', 'ConfigMap'],
  secret: ['v1', 'Secret'],
  service: ['v1', 'Service'],
  endpoints: ['v1', 'Endpoints'],
  endpointslice: ['discovery.k8s.io/v1', 'EndpointSlice']
}

function sentOf (objects: Map<string, DownstreamObject>): Map<string, Sent> {
  const out = new Map<string, Sent>()
  for (const [uid, o] of objects) out.set(uid, { resourceVersion: o.resourceVersion, namespace: o.namespace, kind: o.kind, name: o.name })
  return out
}

function keyFor (kind: string, o: KubeObject): string {
  return `${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`
}

function toDownstream (kind: string, o: KubeObject): DownstreamObject {
  const [apiVersion, k] = API_VERSIONS[kind] ?? [o.apiVersion, o.kind]
  const ns = o.metadata.namespace
  return {
    uid: o.metadata.uid ?? keyFor(kind, o),
    resourceVersion: o.metadata.resourceVersion ?? '',
    namespace: ns === undefined || ns === '' ? null : ns,
    kind,
    name: o.metadata.name ?? '',
    object: { ...o, apiVersion, kind: k }
  }
}
