import type { PodNetwork, PodNetworkRef, PodSandbox } from './pod-network.js'

/** Every pod shares the node's network (no root, or `edged.network.mode: host`): pod IP = the node's IP. */
export class HostNetwork implements PodNetwork {
  readonly mode = 'host' as const
  constructor (private readonly nodeIp: string, readonly degradedReason?: string) {}
  async start (): Promise<void> {}
  async stop (): Promise<void> {}
  async setup (_pod: PodNetworkRef): Promise<PodSandbox> { return { ip: this.nodeIp } }
  async teardown (): Promise<void> {}
  async owners (): Promise<string[]> { return [] }
}
