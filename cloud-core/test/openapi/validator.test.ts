import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OpenApiValidator, SchemaIndex } from '../../src/openapi/index.js'
import { configMap, deployment, endpointSlice, lease, pod, service } from './fixtures.js'

const index = new SchemaIndex()
const validator = new OpenApiValidator({ index })
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' }
const POD = { group: '', version: 'v1', kind: 'Pod' }
const clone = <T>(o: T): T => structuredClone(o)

describe('OpenApiValidator', () => {
  it.each([
    ['Deployment', { group: 'apps', version: 'v1', kind: 'Deployment' }, deployment],
    ['Service', { group: '', version: 'v1', kind: 'Service' }, service],
    ['Pod', POD, pod],
    ['ConfigMap', { group: '', version: 'v1', kind: 'ConfigMap' }, configMap],
    ['EndpointSlice', { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' }, endpointSlice],
    ['Lease', { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' }, lease]
  ])('accepts a real %s manifest without any problem', (_name, gvk, obj) => {
    expect(validator.validate(gvk, clone(obj))).toEqual({ unknownFields: [], causes: [] })
  })

  it('names an unknown field inside a container by its full path', () => {
    const d = clone(deployment) as any
    d.spec.template.spec.containers[0].bogus = true
    expect(validator.validate(DEPLOYMENT, d).unknownFields).toEqual(['spec.template.spec.containers[0].bogus'])
  })

  it('names unknown fields at the top, in spec and in metadata', () => {
    const d = clone(deployment) as any
    d.spec.bogus = 1
    d.extra = 'x'
    d.metadata.nam = 'typo'
    expect(validator.validate(DEPLOYMENT, d).unknownFields.sort()).toEqual(['extra', 'metadata.nam', 'spec.bogus'])
  })

  it('rejects a malformed resource quantity and accepts well-formed ones', () => {
    const d = clone(deployment) as any
    d.spec.template.spec.containers[0].resources = { requests: { cpu: 'lots', memory: '64Mi' }, limits: { cpu: '500m', memory: 1e9 } }
    const r = validator.validate(DEPLOYMENT, d)
    expect(r.causes.map(c => c.field)).toEqual(['spec.template.spec.containers[0].resources.requests[cpu]'])
  })

  it('reports a string replica count as a type error on spec.replicas', () => {
    const d = clone(deployment) as any
    d.spec.replicas = 'three'
    const r = validator.validate(DEPLOYMENT, d)
    expect(r.unknownFields).toEqual([])
    expect(r.causes).toHaveLength(1)
    expect(r.causes[0]).toMatchObject({ field: 'spec.replicas', reason: 'FieldValueTypeInvalid' })
    expect(r.causes[0]?.message).toContain('must be of type integer')
  })

  it('rejects a fractional replica count because built-in numbers are integers', () => {
    const d = clone(deployment) as any
    d.spec.replicas = 1.5
    expect(validator.validate(DEPLOYMENT, d).causes.map(c => c.field)).toEqual(['spec.replicas'])
  })

  it('reports a container without a name as a missing required field', () => {
    const p = clone(pod) as any
    delete p.spec.containers[0].name
    expect(validator.validate(POD, p).causes).toEqual([{ field: 'spec.containers[0].name', reason: 'FieldValueRequired', message: 'Required value' }])
  })

  it('treats null as unset, as the Go decoder does', () => {
    const d = clone(deployment) as any
    d.spec.replicas = null
    d.spec.template.spec.containers[0].name = null
    d.metadata.labels = null
    expect(validator.validate(DEPLOYMENT, d)).toEqual({ unknownFields: [], causes: [] })
  })

  it('accepts integers and strings for int-or-string fields but not objects', () => {
    const s = clone(service) as any
    s.spec.ports[0].targetPort = 'http'
    s.spec.ports[1].targetPort = 9090
    expect(validator.validate({ group: '', version: 'v1', kind: 'Service' }, s).causes).toEqual([])
    s.spec.ports[1].targetPort = { port: 1 }
    expect(validator.validate({ group: '', version: 'v1', kind: 'Service' }, s).causes.map(c => c.field)).toEqual(['spec.ports[1].targetPort'])
  })

  it('accepts quantities written as numbers or strings but not booleans', () => {
    const p = clone(pod) as any
    p.spec.containers[0].resources = { limits: { cpu: 2, memory: '1Gi' }, requests: { cpu: '0.5' } }
    expect(validator.validate(POD, p).causes).toEqual([])
    p.spec.containers[0].resources.limits.cpu = true
    expect(validator.validate(POD, p).causes.map(c => c.field)).toEqual(['spec.containers[0].resources.limits[cpu]'])
  })

  it('accepts any label key but rejects a non-string label value', () => {
    const c = clone(configMap) as any
    c.metadata.labels = { 'example.com/any-key': 'v', another: 'w' }
    expect(validator.validate({ group: '', version: 'v1', kind: 'ConfigMap' }, c).causes).toEqual([])
    c.metadata.labels.another = 5
    expect(validator.validate({ group: '', version: 'v1', kind: 'ConfigMap' }, c).causes.map(x => x.field)).toEqual(['metadata.labels[another]'])
  })

  it('does not look inside free-form RawExtension content', () => {
    const rev = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { anything: { goes: [1, 'x'] } } }
    expect(validator.validate({ group: 'apps', version: 'v1', kind: 'ControllerRevision' }, rev)).toEqual({ unknownFields: [], causes: [] })
  })

  it('returns nothing for a kind it has no schema for', () => {
    expect(validator.validate({ group: 'example.com', version: 'v1', kind: 'Nope' }, { spec: { x: 1 } })).toEqual({ unknownFields: [], causes: [] })
  })

  it('reports a body that is not an object as one cause', () => {
    expect(validator.validate(DEPLOYMENT, [1, 2]).causes).toHaveLength(1)
    expect(validator.validate(DEPLOYMENT, 'x').causes[0]?.reason).toBe('FieldValueTypeInvalid')
  })

  it('does not resolve field names through Object.prototype', () => {
    const d = clone(deployment) as any
    d.spec.constructor = 1
    d.spec.toString = 'x'
    expect(validator.validate(DEPLOYMENT, d).unknownFields.sort()).toEqual(['spec.constructor', 'spec.toString'])
  })

  it('stops collecting after maxProblems', () => {
    const small = new OpenApiValidator({ index }, { maxProblems: 5 })
    const d = clone(deployment) as any
    for (let i = 0; i < 50; i++) d.spec[`bogus${i}`] = i
    for (let i = 0; i < 50; i++) d.metadata.labels[`k${i}`] = i
    const r = small.validate(DEPLOYMENT, d)
    expect(r.unknownFields.length).toBeLessThanOrEqual(5)
    expect(r.causes.length).toBeLessThanOrEqual(5)
  })

  it('reports hostile nesting instead of overflowing the stack', () => {
    let deep: any = { name: 'x' }
    for (let i = 0; i < 10_000; i++) deep = { properties: { p: deep } }
    const crdLike = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'a.b' }, spec: { group: 'b', names: { kind: 'A', plural: 'as' }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: deep } }] } }
    const r = validator.validate({ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' }, crdLike)
    expect(r.causes.some(c => c.message.includes('nesting deeper'))).toBe(true)
  })

  it('prunes unknown fields in place and keeps everything it knows', () => {
    const d = clone(deployment) as any
    d.spec.bogus = 1
    d.spec.template.spec.containers[0].extra = { a: 1 }
    const pruned = validator.prune(DEPLOYMENT, d)
    expect(pruned.sort()).toEqual(['spec.bogus', 'spec.template.spec.containers[0].extra'])
    expect(d).toEqual(deployment)
  })

  it('never throws on arbitrary input, whole bodies or nested in a spec', () => {
    fc.assert(fc.property(fc.anything({ withNullPrototype: true, withObjectString: true, withBoxedValues: true, maxDepth: 6 }), (garbage) => {
      const a = validator.validate(DEPLOYMENT, garbage)
      const b = validator.validate(POD, { apiVersion: 'v1', kind: 'Pod', metadata: garbage, spec: { containers: [garbage, { name: 'c', env: garbage, resources: garbage }] } })
      expect(Array.isArray(a.causes) && Array.isArray(b.unknownFields)).toBe(true)
    }), { numRuns: 300 })
  })

})
