import type { KubeList, KubeObject } from '@edgemesh/common'
import type { ObjectClient, StrategyContext } from '@edgemesh/kube/machinery'

/** An ObjectClient that only lists a mutable array of services, with a delay so allocations interleave. */
export function fakeServiceClient (services: KubeObject[], listDelayMs = 0): ObjectClient {
  const list = async (): Promise<KubeList> => {
    const snapshot = structuredClone(services)
    if (listDelayMs > 0) await new Promise(resolve => setTimeout(resolve, listDelayMs))
    return { apiVersion: 'v1', kind: 'ServiceList', metadata: { resourceVersion: '1' }, items: snapshot }
  }
  const unsupported = async (): Promise<never> => { throw new Error('not supported by the fake client') }
  return {
    get: unsupported,
    list: list as ObjectClient['list'],
    watch: () => { throw new Error('not supported by the fake client') },
    create: unsupported,
    update: unsupported,
    patch: unsupported,
    delete: unsupported,
    resolveKind: () => undefined
  }
}

export function ctxWith (client: ObjectClient, now = new Date('2026-01-01T00:00:00Z')): StrategyContext {
  return { now, client }
}

export function svc (name: string, spec: Record<string, unknown> = {}, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ port: 80 }], ...spec } }
}
