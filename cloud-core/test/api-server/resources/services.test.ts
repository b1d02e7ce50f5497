import type { KubeObject } from '@edgemesh/common'
import { describe, expect, it } from 'vitest'
import { ApiError } from '@edgemesh/kube/machinery'
import { ServiceAllocator, parseCidr4, parsePortRange } from '../../../src/api-server/resources/service-allocator.js'
import { servicesResource } from '../../../src/api-server/resources/services.js'
import { serviceCells, formatServicePorts } from '@edgemesh/kube/server'
import { ctxWith, fakeServiceClient, svc } from './fake-client.js'

async function create (def: ReturnType<typeof servicesResource>, store: KubeObject[], obj: KubeObject, client = fakeServiceClient(store)): Promise<KubeObject> {
  await def.prepareForCreate?.(obj, ctxWith(client))
  const causes = def.validate?.(obj, undefined) ?? []
  if (causes.length > 0) throw new Error(JSON.stringify(causes))
  store.push(obj)
  return obj
}

function invalidCauses (err: unknown): string[] {
  expect(err).toBeInstanceOf(ApiError)
  const e = err as ApiError
  expect(e.httpStatus).toBe(422)
  return (e.details?.causes ?? []).map(c => `${c.field}: ${c.message}`)
}

describe('service allocator', () => {
  it('rejects a service CIDR that is not IPv4 with a prefix between /8 and /28', () => {
    expect(() => parseCidr4('10.96.0.0/30')).toThrow(/serviceCIDR/)
    expect(() => parseCidr4('fd00::/108')).toThrow(/serviceCIDR/)
    expect(parseCidr4('10.96.1.7/12').text).toBe('10.96.0.0/12')
  })

  it('rejects a node port range that is not min-max within 1-65535', () => {
    expect(() => parsePortRange('32767-30000')).toThrow(/nodePortRange/)
    expect(parsePortRange('30000-32767')).toEqual({ min: 30000, max: 32767 })
  })

  it('reserves the first address of the CIDR for the kubernetes service', async () => {
    const alloc = new ServiceAllocator({ serviceCIDR: '10.0.0.0/24' })
    const def = servicesResource(alloc)
    const store: KubeObject[] = []
    const first = await create(def, store, svc('a'))
    expect(alloc.kubernetesIP).toBe('10.0.0.1')
    expect(rec(first).clusterIP).toBe('10.0.0.2')
    const k = await create(def, store, svc('kubernetes', { clusterIP: '10.0.0.1' }))
    expect(rec(k).clusterIP).toBe('10.0.0.1')
  })

  it('never hands the same ClusterIP to concurrent creates', async () => {
    const def = servicesResource(new ServiceAllocator({ serviceCIDR: '10.0.0.0/26' }))
    const store: KubeObject[] = []
    const client = fakeServiceClient(store, 5)
    const created = await Promise.all(Array.from({ length: 40 }, async (_, i) => await create(def, store, svc(`s${i}`), client)))
    const ips = created.map(s => rec(s).clusterIP)
    expect(new Set(ips).size).toBe(40)
  })

  it('never hands the same NodePort to concurrent creates', async () => {
    const def = servicesResource(new ServiceAllocator({ nodePortRange: '30000-30049' }))
    const store: KubeObject[] = []
    const client = fakeServiceClient(store, 5)
    const created = await Promise.all(Array.from({ length: 25 }, async (_, i) => await create(def, store, svc(`np${i}`, { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] }), client)))
    const ports = created.flatMap(s => (rec(s).ports as Array<{ nodePort: number }>).map(p => p.nodePort))
    expect(new Set(ports).size).toBe(50)
    expect(Math.min(...ports)).toBeGreaterThanOrEqual(30000)
    expect(Math.max(...ports)).toBeLessThanOrEqual(30049)
  })

  it('fails with 500 when the ClusterIP range is exhausted', async () => {
    const def = servicesResource(new ServiceAllocator({ serviceCIDR: '10.0.0.0/28' }))
    const store: KubeObject[] = []
    for (let i = 0; i < 13; i++) await create(def, store, svc(`s${i}`))
    await expect(create(def, store, svc('overflow'))).rejects.toMatchObject({ httpStatus: 500 })
  })

  it('returns the IP of a deleted service to the pool', async () => {
    const def = servicesResource(new ServiceAllocator({ serviceCIDR: '10.0.0.0/28', pendingTtlMs: 0 }))
    const store: KubeObject[] = []
    for (let i = 0; i < 13; i++) await create(def, store, svc(`s${i}`))
    const gone = store.splice(4, 1)[0]!
    await def.afterDelete?.(gone, ctxWith(fakeServiceClient(store)))
    const again = await create(def, store, svc('reuse'))
    expect(rec(again).clusterIP).toBe(rec(gone).clusterIP)
  })

  it('rejects a requested ClusterIP outside the service CIDR with 422', async () => {
    const def = servicesResource(new ServiceAllocator({ serviceCIDR: '10.96.0.0/12' }))
    const err = await create(def, [], svc('x', { clusterIP: '192.168.1.1' })).catch((e: unknown) => e)
    expect(invalidCauses(err)[0]).toMatch(/spec.clusterIPs\[0\].*not in the valid range/)
  })

  it('rejects a requested ClusterIP that another service holds with 422', async () => {
    const def = servicesResource(new ServiceAllocator())
    const store: KubeObject[] = []
    await create(def, store, svc('a', { clusterIP: '10.96.0.50' }))
    const err = await create(def, store, svc('b', { clusterIP: '10.96.0.50' })).catch((e: unknown) => e)
    expect(invalidCauses(err)[0]).toMatch(/already allocated/)
  })

  it('rejects a requested NodePort outside the range with 422', async () => {
    const def = servicesResource(new ServiceAllocator())
    const err = await create(def, [], svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] })).catch((e: unknown) => e)
    expect(invalidCauses(err)[0]).toMatch(/nodePort.*not in the valid range/)
  })
})

describe('services resource', () => {
  const def = servicesResource(new ServiceAllocator())

  it('defaults type, session affinity, protocol and targetPort', async () => {
    const s = await create(def, [], svc('d', { ports: [{ port: 8080 }] }))
    expect(rec(s)).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 8080, protocol: 'TCP', targetPort: 8080 }] })
  })

  it('allows a headless service and allocates nothing for it', async () => {
    const s = await create(def, [], svc('h', { clusterIP: 'None' }))
    expect(rec(s).clusterIP).toBe('None')
  })

  it('gives an ExternalName service no clusterIP', async () => {
    const s = await create(def, [], svc('e', { type: 'ExternalName', externalName: 'example.com', ports: [] }))
    expect(rec(s).clusterIP).toBeUndefined()
    expect(serviceCells(s).slice(0, 4)).toEqual(['ExternalName', '<none>', 'example.com', '<none>'])
  })

  it('refuses to change the clusterIP of an existing service', async () => {
    const store: KubeObject[] = []
    const old = await create(def, store, svc('imm'))
    const next = structuredClone(old)
    rec(next).clusterIP = '10.96.0.200'
    rec(next).clusterIPs = ['10.96.0.200']
    const err = await Promise.resolve(def.prepareForUpdate?.(next, old, ctxWith(fakeServiceClient(store)))).catch((e: unknown) => e)
    expect(invalidCauses(err).join()).toMatch(/field is immutable/)
  })

  it('keeps the allocated clusterIP and nodePorts when an update omits them', async () => {
    const store: KubeObject[] = []
    const old = await create(def, store, svc('keep', { type: 'NodePort' }))
    const next = svc('keep', { type: 'NodePort' })
    await def.prepareForUpdate?.(next, old, ctxWith(fakeServiceClient(store)))
    expect(rec(next).clusterIP).toBe(rec(old).clusterIP)
    expect((rec(next).ports as Array<{ nodePort: number }>)[0]?.nodePort).toBe((rec(old).ports as Array<{ nodePort: number }>)[0]?.nodePort)
  })

  it('does not list services when an update only changes labels', async () => {
    const store: KubeObject[] = []
    const old = await create(def, store, svc('labels', { type: 'NodePort' }))
    let lists = 0
    const base = fakeServiceClient(store)
    const counting = { ...base, list: (async (...args: Parameters<typeof base.list>) => { lists++; return await base.list(...args) }) as typeof base.list }
    const next = structuredClone(old)
    next.metadata.labels = { team: 'a' }
    await def.prepareForUpdate?.(next, old, ctxWith(counting))
    expect(lists).toBe(0)
    const added = structuredClone(old)
    const [first] = rec(old).ports as Array<Record<string, unknown>>
    rec(added).ports = [{ ...first, name: 'a' }, { name: 'b', port: 81 }]
    await def.prepareForUpdate?.(added, old, ctxWith(counting))
    expect(lists).toBe(1)
    expect((rec(added).ports as Array<{ nodePort?: number }>)[1]?.nodePort).toBeGreaterThan(0)
  })

  it('requires names when a service has several ports', () => {
    const causes = def.validate?.(svc('p', { ports: [{ port: 80 }, { port: 81 }] }), undefined) ?? []
    expect(causes.map(c => c.field)).toContain('spec.ports[0].name')
  })

  it('prints ports like kubectl', () => {
    expect(formatServicePorts(svc('p', { ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP', nodePort: 30053 }] }))).toBe('80/TCP,53:30053/UDP')
  })

  it('prints CLUSTER-IP, EXTERNAL-IP, PORT(S) and the wide SELECTOR', () => {
    const s = svc('c', { type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }], selector: { app: 'web' } })
    expect(serviceCells(s)).toEqual(['LoadBalancer', '10.96.0.9', '<pending>', '80:30080/TCP', 'app=web'])
  })
})

function rec (o: KubeObject): Record<string, unknown> {
  return o.spec as Record<string, unknown>
}
