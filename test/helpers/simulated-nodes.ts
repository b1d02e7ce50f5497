// Simulated edge nodes for the cloud-hub: real EdgeHub clients (TLS + WebSocket, one node
// certificate each) in one process, each counting what it receives. Used by the 1,000-node test
// and by the cloud-hub benchmark.
import { issueCert, type CertificateAuthority } from '@edgemesh/common'
import type { HubMessage, ResourceRef } from '@edgemesh/common/hub-protocol'
import { EdgeHub, NodeReporter } from '../../edge-core/src/index.js'

export interface SimulatedNode {
  name: string
  hub: EdgeHub
  /** Objects the node holds now, `<ns>/<kind>/<name>` → resourceVersion. */
  objects: Map<string, string>
  /** Every downstream message handed to the node (resends included). */
  received: number
  /** When each object first arrived (ms, performance.now()). */
  firstSeen: Map<string, number>
  /** The node's heartbeat (registration, Lease every 10 s, status every 60 s) when `heartbeat` was asked for. */
  reporter?: NodeReporter
}

export interface SimulatedNodesInit {
  ca: CertificateAuthority
  count: number
  /** cloud-hub URLs. */
  urls: string[]
  prefix?: string
  backoffMaxMs?: number
  /** Give each node edgecore's heartbeat, as a real idle node has. @default false */
  heartbeat?: boolean
}

/** Issues the certificates and builds the clients (not started). */
export async function simulatedNodes (init: SimulatedNodesInit): Promise<SimulatedNode[]> {
  const out: SimulatedNode[] = []
  for (let i = 0; i < init.count; i++) {
    const name = `${init.prefix ?? 'sim'}-${i}`
    const cert = await issueCert(init.ca, { commonName: `system:node:${name}`, organizations: ['system:nodes'] }, { usage: 'client' })
    const node: SimulatedNode = { name, hub: undefined as unknown as EdgeHub, objects: new Map(), received: 0, firstSeen: new Map() }
    node.hub = new EdgeHub({
      handler: {
        handle: async (msg: HubMessage, r: ResourceRef) => {
          node.received++
          const key = `${r.namespace ?? ''}/${r.kind}/${r.name}`
          if (msg.route.operation === 'delete') node.objects.delete(key)
          else {
            node.objects.set(key, msg.header.resourceversion)
            if (!node.firstSeen.has(key)) node.firstSeen.set(key, performance.now())
          }
        }
      }
    }, { urls: init.urls, nodeName: name, certPem: cert.certPem, keyPem: cert.keyPem, caPem: init.ca.certPem, backoffInitialMs: 50, backoffMaxMs: init.backoffMaxMs ?? 2_000 })
    if (init.heartbeat === true) node.reporter = new NodeReporter({ hub: node.hub }, { nodeName: name })
    out.push(node)
  }
  return out
}
