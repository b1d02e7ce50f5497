// Simulated edge nodes for the cloud-hub: real EdgeHub clients (TLS + WebSocket, one node
// certificate each) in one process, each counting what it receives. Used by the 1,000-node test
// and by `npm run bench` (bench/cloud-hub/run.ts).
import { issueCert } from '@edgemesh/common';
import { EdgeHub } from '../../edge-core/src/index.js';
/** Issues the certificates and builds the clients (not started). */
export async function simulatedNodes(init) {
    const out = [];
    for (let i = 0; i < init.count; i++) {
        const name = `${init.prefix ?? 'sim'}-${i}`;
        const cert = await issueCert(init.ca, { commonName: `system:node:${name}`, organizations: ['system:nodes'] }, { usage: 'client' });
        const node = { name, hub: undefined, objects: new Map(), received: 0, firstSeen: new Map() };
        node.hub = new EdgeHub({
            handler: {
                handle: async (msg, r) => {
                    node.received++;
                    const key = `${r.namespace ?? ''}/${r.kind}/${r.name}`;
                    if (msg.route.operation === 'delete')
                        node.objects.delete(key);
                    else {
                        node.objects.set(key, msg.header.resourceversion);
                        if (!node.firstSeen.has(key))
                            node.firstSeen.set(key, performance.now());
                    }
                }
            }
        }, { urls: init.urls, nodeName: name, certPem: cert.certPem, keyPem: cert.keyPem, caPem: init.ca.certPem, backoffInitialMs: 50, backoffMaxMs: init.backoffMaxMs ?? 2_000 });
        out.push(node);
    }
    return out;
}
//# sourceMappingURL=simulated-nodes.js.map