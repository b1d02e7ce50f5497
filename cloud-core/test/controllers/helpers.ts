import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger, sleep, type KubeObject, type Logger } from '@edgemesh/common'
import { createApiCore, type ApiCore } from '../../src/api-server/api-core.js'
import { fallbackPatcher } from '@edgemesh/kube/server'
import { builtinResources } from '../../src/api-server/resources/index.js'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { createControllerManager, type ControllerManager, type ControllerManagerOptions } from '../../src/controllers/index.js'
import { NODES, PODS, inNamespace, type Node, type Pod, type ObjectClient } from '@edgemesh/kube/machinery'

export interface Cluster {
  core: ApiCore
  client: ObjectClient
  manager: ControllerManager
  store: SqliteStore
  close: () => Promise<void>
  /** Informer components over the real client (or a wrapper of it). */
  components: (client?: ObjectClient) => { client: ObjectClient, logger: Logger }
}

/** Real SQLite store in mkdtemp + the real API core + the controller manager. */
export async function startCluster (options: ControllerManagerOptions = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'h6-ctrl-'))
  const store = sqliteStore({ dataDir: dir, compactIntervalMs: 0 })
  await store.start()
  const core = await createApiCore({ store, logger: silentLogger(), resources: builtinResources(), patcher: fallbackPatcher, systemNamespaces: ['default', 'kube-system', 'kube-node-lease'] })
  const manager = createControllerManager({
    client: core.client,
    logger: silentLogger(),
    resources: () => core.registry.all(),
    options: { nodeLifecycle: { nodeMonitorGracePeriodMs: 600_000 }, ...options }
  })
  await manager.start()
  await manager.waitForSync(AbortSignal.timeout(10_000))
  return {
    core,
    client: core.client,
    manager,
    store,
    components: (client?: ObjectClient) => ({ client: client ?? core.client, logger: silentLogger() }),
    close: async () => {
      await manager.stop()
      await store.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Polls `fn` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T> (fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs)
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v
    } catch (err) { last = err }
    if (signal.aborted) throw new Error(`timed out waiting for ${what}${last !== undefined ? `: ${String(last)}` : ''}`)
    try { await sleep(25, signal) } catch { /* loop once more, then report */ }
  }
}

export interface NodeOpts {
  labels?: Record<string, string>
  taints?: Array<{ key: string, value?: string, effect: string }>
  cpu?: string
  memory?: string
  ready?: boolean
  unschedulable?: boolean
}

export async function createNode (client: ObjectClient, name: string, o: NodeOpts = {}): Promise<Node> {
  return await client.create<Node>(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints !== undefined ? { taints: o.taints } : {}), ...(o.unschedulable === true ? { unschedulable: true } : {}) },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: '110' },
      capacity: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', reason: 'KubeletReady', message: 'ready' }]
    }
  })
}

export async function listPods (client: ObjectClient, namespace = 'default', labelSelector?: string): Promise<Pod[]> {
  return (await client.list<Pod>(inNamespace(PODS, namespace), { labelSelector })).items
}

/** Plays kubelet: marks a pod Running and Ready with an IP. */
export async function markReady (client: ObjectClient, pod: Pod, ip: string, ready = true): Promise<Pod> {
  const ref = inNamespace(PODS, pod.metadata.namespace)
  for (let i = 0; ; i++) {
    const live = await client.get<Pod>(ref, pod.metadata.name ?? '')
    const now = new Date().toISOString()
    live.status = {
      ...(live.status ?? {}),
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [
        ...(live.status?.conditions ?? []).filter(c => c.type !== 'Ready'),
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }
      ]
    }
    try { return await client.update<Pod>(ref, live, 'status') } catch (err) { if (i > 5) throw err }
  }
}

export function deployment (name: string, replicas: number, image: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image, ports: [{ name: 'http', containerPort: 8080 }] }] }
      },
      ...extra
    }
  }
}
