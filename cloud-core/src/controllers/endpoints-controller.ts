import { createHash } from 'node:crypto'
import { hasCode, type KubeObject } from '@edgemesh/common'
import type { EndpointAddress, EndpointPort as CoreEndpointPort, EndpointSubset, ServicePort } from 'kubernetes-types/core/v1.js'
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.js'
import { ReconcileLoop, ignoreNotFound, type Informer, type ControllerComponents, type ControllerInit } from '@edgemesh/kube/client'
import { ENDPOINTS, ENDPOINT_SLICES, PODS, SERVICES, inNamespace, keyOf, splitKey, type EndpointSlice, type Endpoints, type Pod, type Service, matchesMap, isPodReady, isTerminating } from '@edgemesh/kube/machinery'

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by'
export const MANAGED_BY = 'endpointslice-controller.k8s.io'

export type EndpointsControllerInit = ControllerInit

export type EndpointsControllerComponents = ControllerComponents

/** A pod's ports for a service: named targetPorts resolved against its container ports; unresolvable ports are left out. */
export function resolvePorts (svcPorts: readonly ServicePort[], pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = []
  for (const sp of svcPorts) {
    const target = sp.targetPort ?? sp.port
    let port: number | undefined
    if (typeof target === 'number') port = target
    else if (/^\d+$/.test(target)) port = Number(target)
    else {
      for (const c of pod.spec?.containers ?? []) {
        const cp = c.ports?.find(p => p.name === target && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP'))
        if (cp !== undefined) { port = cp.containerPort; break }
      }
    }
    if (port === undefined) continue
    out.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol !== undefined ? { appProtocol: sp.appProtocol } : {}) })
  }
  return out
}

interface PodEndpoint { pod: Pod, ip: string, ready: boolean, terminating: boolean, ports: EndpointPort[] }

/** Pods backing a service, with their resolved ports. Pods without an IP are not endpoints yet. */
export function podEndpoints (svc: Service, pods: readonly Pod[]): PodEndpoint[] {
  const selector = svc.spec?.selector ?? {}
  const out: PodEndpoint[] = []
  for (const pod of pods) {
    if (!matchesMap(selector, pod.metadata.labels)) continue
    const ip = pod.status?.podIP
    if (ip === undefined || ip === '') continue
    const phase = pod.status?.phase
    if (phase === 'Succeeded' || phase === 'Failed') continue
    const ports = resolvePorts(svc.spec?.ports ?? [], pod)
    if ((svc.spec?.ports?.length ?? 0) > 0 && ports.length === 0) continue
    out.push({ pod, ip, ready: isPodReady(pod), terminating: isTerminating(pod), ports })
  }
  return out.sort((a, b) => a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0)
}

const portsKey = (ports: readonly EndpointPort[]): string =>
  JSON.stringify([...ports].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')).map(p => [p.name, p.port, p.protocol, p.appProtocol]))

function targetRef (pod: Pod): { kind: string, namespace?: string, name?: string, uid?: string } {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid }
}

/** core/v1 Endpoints subsets: addresses grouped by identical port sets, terminating pods left out. */
export function desiredSubsets (svc: Service, eps: readonly PodEndpoint[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true
  const groups = new Map<string, { ports: EndpointPort[], ready: EndpointAddress[], notReady: EndpointAddress[] }>()
  for (const e of eps) {
    if (e.terminating && !publishNotReady) continue
    const k = portsKey(e.ports)
    let g = groups.get(k)
    if (g === undefined) { g = { ports: e.ports, ready: [], notReady: [] }; groups.set(k, g) }
    const addr: EndpointAddress = { ip: e.ip, ...(e.pod.spec?.nodeName !== undefined ? { nodeName: e.pod.spec.nodeName } : {}), targetRef: targetRef(e.pod) }
    if (e.ready || publishNotReady) g.ready.push(addr)
    else g.notReady.push(addr)
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => ({
    ...(g.ready.length > 0 ? { addresses: g.ready } : {}),
    ...(g.notReady.length > 0 ? { notReadyAddresses: g.notReady } : {}),
    ...(g.ports.length > 0 ? { ports: g.ports.map(p => ({ ...p }) as CoreEndpointPort) } : {})
  }))
}

/** discovery.k8s.io/v1 slices (without metadata): one per address family and port set. */
export function desiredSlices (svc: Service, eps: readonly PodEndpoint[]): Map<string, { addressType: string, endpoints: Endpoint[], ports: EndpointPort[] }> {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true
  const out = new Map<string, { addressType: string, endpoints: Endpoint[], ports: EndpointPort[] }>()
  for (const e of eps) {
    const addressType = e.ip.includes(':') ? 'IPv6' : 'IPv4'
    const k = `${addressType}|${portsKey(e.ports)}`
    let s = out.get(k)
    if (s === undefined) { s = { addressType, endpoints: [], ports: e.ports }; out.set(k, s) }
    s.endpoints.push({
      addresses: [e.ip],
      conditions: { ready: (e.ready && !e.terminating) || publishNotReady, serving: e.ready, terminating: e.terminating },
      ...(e.pod.spec?.nodeName !== undefined ? { nodeName: e.pod.spec.nodeName } : {}),
      targetRef: targetRef(e.pod)
    })
  }
  return out
}

const sliceName = (svcName: string, key: string): string =>
  `${svcName.slice(0, 52)}-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

/**
 * Keeps Endpoints and EndpointSlices in step with the ready pods behind each Service that has a selector.
 * Writes only when content changed.
 */
export class EndpointsController extends ReconcileLoop {
  private readonly services: Informer<Service>
  private readonly pods: Informer<Pod>

  constructor (private readonly components: EndpointsControllerComponents, init: EndpointsControllerInit = {}) {
    super(components.informers, components.logger, { name: 'endpoints-controller', workers: init.workers })
    this.services = components.informers.informerFor<Service>(SERVICES)
    this.pods = components.informers.informerFor<Pod>(PODS)
    this.services.addHandler({
      add: s => { this.queue.add(keyOf(s)) },
      update: (_o, s) => { this.queue.add(keyOf(s)) },
      delete: s => { this.queue.add(keyOf(s)) }
    })
    const onPod = (...ps: Pod[]): void => {
      for (const p of ps) {
        for (const s of this.services.byIndex('namespace', p.metadata.namespace ?? '')) {
          const sel = s.spec?.selector
          if (sel !== undefined && Object.keys(sel).length > 0 && matchesMap(sel, p.metadata.labels)) this.queue.add(keyOf(s))
        }
      }
    }
    this.pods.addHandler({ add: p => { onPod(p) }, update: (o, p) => { onPod(o, p) }, delete: p => { onPod(p) } })
  }

  protected async reconcile (key: string): Promise<undefined> {
    const { namespace, name } = splitKey(key)
    const svc = this.services.get(key)
    const client = this.components.client
    if (svc === undefined) {
      await ignoreNotFound(client.delete(inNamespace(ENDPOINTS, namespace), name))
      for (const s of await this.ownedSlices(namespace, name)) await ignoreNotFound(client.delete(inNamespace(ENDPOINT_SLICES, namespace), s.metadata.name ?? ''))
      return undefined
    }
    const selector = svc.spec?.selector
    if (selector === undefined || Object.keys(selector).length === 0) return undefined
    const eps = podEndpoints(svc, this.pods.byIndex('namespace', namespace ?? ''))
    await this.syncEndpoints(svc, eps)
    await this.syncSlices(svc, eps)
    return undefined
  }

  private ownerRef (svc: Service): NonNullable<KubeObject['metadata']['ownerReferences']>[number] {
    return { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }
  }

  private async syncEndpoints (svc: Service, eps: readonly PodEndpoint[]): Promise<void> {
    const ref = inNamespace(ENDPOINTS, svc.metadata.namespace)
    const name = svc.metadata.name ?? ''
    const subsets = desiredSubsets(svc, eps)
    const labels = { ...(svc.metadata.labels ?? {}) }
    const live = await ignoreNotFound(this.components.client.get<Endpoints>(ref, name))
    if (live === undefined) {
      await this.components.client.create<Endpoints>(ref, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: svc.metadata.namespace, labels }, subsets })
      return
    }
    if (same(live.subsets ?? [], subsets) && same(live.metadata.labels ?? {}, labels)) return
    await this.components.client.update<Endpoints>(ref, { ...live, metadata: { ...live.metadata, labels }, subsets })
  }

  private async ownedSlices (namespace: string | undefined, svcName: string): Promise<EndpointSlice[]> {
    const list = await this.components.client.list<EndpointSlice>(inNamespace(ENDPOINT_SLICES, namespace), { labelSelector: `${SERVICE_NAME_LABEL}=${svcName},${MANAGED_BY_LABEL}=${MANAGED_BY}` })
    return list.items
  }

  private async syncSlices (svc: Service, eps: readonly PodEndpoint[]): Promise<void> {
    const ns = svc.metadata.namespace
    const svcName = svc.metadata.name ?? ''
    const ref = inNamespace(ENDPOINT_SLICES, ns)
    const desired = new Map<string, { addressType: string, endpoints: Endpoint[], ports: EndpointPort[] }>()
    for (const [k, s] of desiredSlices(svc, eps)) desired.set(sliceName(svcName, k), s)
    // A service with no endpoints still gets one empty slice, so consumers can tell "no endpoints" from "not synced".
    if (desired.size === 0) desired.set(sliceName(svcName, 'empty'), { addressType: 'IPv4', endpoints: [], ports: [] })
    const labels = { ...(svc.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: svcName, [MANAGED_BY_LABEL]: MANAGED_BY }
    const existing = await this.ownedSlices(ns, svcName)
    for (const live of existing) {
      const want = desired.get(live.metadata.name ?? '')
      if (want === undefined) {
        await ignoreNotFound(this.components.client.delete(ref, live.metadata.name ?? ''))
        continue
      }
      desired.delete(live.metadata.name ?? '')
      if (live.addressType === want.addressType && same(live.endpoints ?? [], want.endpoints) && same(live.ports ?? [], want.ports) && same(live.metadata.labels, labels)) continue
      await this.components.client.update<EndpointSlice>(ref, { ...live, metadata: { ...live.metadata, labels }, addressType: want.addressType, endpoints: want.endpoints, ports: want.ports })
    }
    for (const [name, s] of desired) {
      try {
        await this.components.client.create<EndpointSlice>(ref, {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name, namespace: ns, labels, ownerReferences: [this.ownerRef(svc)] },
          addressType: s.addressType,
          endpoints: s.endpoints,
          ports: s.ports
        })
      } catch (err) {
        // Our list raced another write; the next pass compares again.
        if (!hasCode(err, 'API_ALREADY_EXISTS')) throw err
        this.queue.addAfter(keyOf(svc), 50)
      }
    }
  }
}

export function endpointsController (init: EndpointsControllerInit = {}): (c: EndpointsControllerComponents) => EndpointsController {
  return c => new EndpointsController(c, init)
}
