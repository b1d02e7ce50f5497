import { type CertificateAuthority } from '@edgemesh/common';
import type { EdgeHub } from '../../edge-core/src/index.js';
export interface SimulatedNode {
    name: string;
    hub: EdgeHub;
    /** Objects the node holds now, `<ns>/<kind>/<name>` → resourceVersion. */
    objects: Map<string, string>;
    /** Every downstream message handed to the node (resends included). */
    received: number;
    /** When each object first arrived (ms, performance.now()). */
    firstSeen: Map<string, number>;
}
export interface SimulatedNodesInit {
    ca: CertificateAuthority;
    count: number;
    /** cloud-hub URLs. */
    urls: string[];
    prefix?: string;
    backoffMaxMs?: number;
}
/** Issues the certificates and builds the clients (not started). */
export declare function simulatedNodes(init: SimulatedNodesInit): Promise<SimulatedNode[]>;
