/** What a pod's processes run in: its address and, unless it shares the node's network, its namespace. */
export interface PodSandbox {
  ip: string
  /** Network namespace name (under /run/netns; `ip netns exec <netns>`); undefined for host network. */
  netns?: string
}

export interface PodNetworkRef {
  uid: string
  namespace: string
  name: string
  hostNetwork: boolean
}

/** Gives pods their network; implementations are idempotent per pod uid (same namespace, same address). */
export interface PodNetwork {
  readonly mode: 'bridge' | 'host'
  /** Why the node runs host networking, for the node's conditions (undefined in bridge mode). */
  readonly degradedReason?: string
  start: () => Promise<void>
  stop: () => Promise<void>
  setup: (pod: PodNetworkRef, signal?: AbortSignal) => Promise<PodSandbox>
  /** Removes the pod's namespace, link, files and address; missing parts are fine. */
  teardown: (uid: string) => Promise<void>
  /** Pod uids that hold network resources (after a crash: compare with the pods that should run). */
  owners: () => Promise<string[]>
}
