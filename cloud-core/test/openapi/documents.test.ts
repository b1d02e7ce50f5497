import { describe, expect, it } from 'vitest'
import type { ResourceDefinition } from '@edgemesh/kube/machinery'
import { OpenApiPublisher, SchemaIndex, applyCrd, buildOpenApi, removeCrd, type JSONSchema } from '../../src/openapi/index.js'
import { crd } from './fixtures.js'

const index = new SchemaIndex()
const def = (group: string, version: string, resource: string, kind: string, namespaced = true, extra: Partial<ResourceDefinition> = {}): ResourceDefinition =>
  ({ group, version, resource, kind, singular: kind.toLowerCase(), namespaced, ...extra })
const served: ResourceDefinition[] = [
  def('', 'v1', 'pods', 'Pod', true, { subresources: ['status', 'log'] }),
  def('', 'v1', 'nodes', 'Node', false),
  def('', 'v1', 'services', 'Service'),
  def('', 'v1', 'configmaps', 'ConfigMap'),
  def('apps', 'v1', 'deployments', 'Deployment', true, { subresources: ['status', 'scale'] }),
  def('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice'),
  def('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  def('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false)
]
const DEVICE = def('devices.kubeedge.io', 'v1beta1', 'devices', 'Device')

const parse = (json: string): any => JSON.parse(json)

describe('buildOpenApi', () => {
  const build = buildOpenApi(served, new Map(), index)

  it('lists every served group/version in the root with a hashed URL', () => {
    expect(Object.keys(build.root.paths).sort()).toEqual(['api/v1', 'apis/apiextensions.k8s.io/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1'])
    for (const [path, entry] of Object.entries(build.root.paths)) {
      expect(entry.serverRelativeURL).toBe(`/openapi/v3/${path}?hash=${build.documents.get(path)?.hash}`)
    }
  })

  it('gives the deployment patch operation its GVK object and a fieldValidation parameter', () => {
    const doc = parse(build.documents.get('apis/apps/v1')?.json ?? '{}')
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' })
    expect(patch.parameters.map((p: any) => p.name)).toContain('fieldValidation')
    expect(doc.openapi).toBe('3.0.0')
  })

  it('does not advertise strategic merge patch, so kubectl uses its compiled-in merge keys', () => {
    for (const d of build.documents.values()) {
      expect(d.json).not.toContain('strategic-merge-patch')
    }
  })

  it('puts the core group under api/v1 with cluster-scoped paths for nodes', () => {
    const doc = parse(build.documents.get('api/v1')?.json ?? '{}')
    expect(doc.paths['/api/v1/nodes/{name}'].patch['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Node' })
    expect(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/status'].patch).toBeDefined()
    expect(doc.paths['/api/v1/pods'].get).toBeDefined()
  })

  it('carries the Deployment schema with its GVK array and descriptions', () => {
    const schemas = parse(build.documents.get('apis/apps/v1')?.json ?? '{}').components.schemas
    const d = schemas['io.k8s.api.apps.v1.Deployment']
    expect(d['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }])
    expect(d.description).toContain('declarative updates')
    expect(Object.keys(d.properties)).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'spec', 'status']))
    expect(schemas['io.k8s.api.autoscaling.v1.Scale']).toBeDefined()
  })

  it('includes every type a document refers to, so $ref never dangles', () => {
    for (const [path, d] of build.documents) {
      const doc = parse(d.json)
      const refs = d.json.match(/#\/components\/schemas\/[^"]+/g) ?? []
      for (const r of refs) expect(doc.components.schemas[r.slice('#/components/schemas/'.length)], `${path}: ${r}`).toBeDefined()
    }
  })

  it('publishes CRD kinds with their schema under a reversed-domain name', () => {
    const local = new SchemaIndex()
    applyCrd(local, crd)
    const b = buildOpenApi([...served, DEVICE], local.crdSchemas(), local)
    const doc = parse(b.documents.get('apis/devices.kubeedge.io/v1beta1')?.json ?? '{}')
    const s: JSONSchema = doc.components.schemas['io.kubeedge.devices.v1beta1.Device']
    expect(s['x-kubernetes-group-version-kind']).toEqual([{ group: 'devices.kubeedge.io', version: 'v1beta1', kind: 'Device' }])
    expect(s.properties?.spec?.properties?.nodeName).toEqual({ type: 'string', maxLength: 63 })
    expect(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined()
    expect(doc.paths['/apis/devices.kubeedge.io/v1beta1/namespaces/{namespace}/devices/{name}'].patch.parameters.map((p: any) => p.name)).toContain('fieldValidation')
  })

})

describe('OpenApiPublisher', () => {
  it('serves the same build until the resource set changes', () => {
    const resources = [...served]
    const p = new OpenApiPublisher({ index, resources: () => resources })
    const first = p.current()
    expect(p.current()).toBe(first)
    resources.push(def('apps', 'v1', 'daemonsets', 'DaemonSet'))
    const second = p.current()
    expect(second).not.toBe(first)
    expect(second.documents.get('apis/apps/v1')?.hash).not.toBe(first.documents.get('apis/apps/v1')?.hash)
    expect(second.documents.get('api/v1')?.hash).toBe(first.documents.get('api/v1')?.hash)
  })

  it('adds and drops a CRD group/version as the CRD comes and goes', () => {
    const local = new SchemaIndex()
    const resources = [...served]
    const p = new OpenApiPublisher({ index: local, resources: () => resources })
    expect(p.document('apis/devices.kubeedge.io/v1beta1')).toBeUndefined()
    applyCrd(local, crd)
    resources.push(DEVICE)
    expect(parse(p.rootJson()).paths['apis/devices.kubeedge.io/v1beta1']).toBeDefined()
    expect(p.document('/apis/devices.kubeedge.io/v1beta1')?.json).toContain('io.kubeedge.devices.v1beta1.Device')
    removeCrd(local, crd)
    resources.pop()
    expect(parse(p.rootJson()).paths['apis/devices.kubeedge.io/v1beta1']).toBeUndefined()
  })

  it('rebuilds when a CRD schema changes even if the resource set does not', () => {
    const local = new SchemaIndex()
    applyCrd(local, crd)
    const p = new OpenApiPublisher({ index: local, resources: () => [DEVICE] })
    const before = p.document('apis/devices.kubeedge.io/v1beta1')?.hash
    const changed = structuredClone(crd) as any
    changed.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.extra = { type: 'string' }
    applyCrd(local, changed)
    expect(p.document('apis/devices.kubeedge.io/v1beta1')?.hash).not.toBe(before)
  })

  it('does not serve OpenAPI v2', () => {
    expect(new OpenApiPublisher({ index, resources: () => served }).v2()).toBeUndefined()
  })
})
