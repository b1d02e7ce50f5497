import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import { OpenApiValidator, SchemaIndex, applyCrd, crdSchemaFor, removeCrd, sanitizeSchema } from '../../src/openapi/index.js'
import { crd } from './fixtures.js'

const DEVICE = { group: 'devices.kubeedge.io', version: 'v1beta1', kind: 'Device' }
const device = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ apiVersion: 'devices.kubeedge.io/v1beta1', kind: 'Device', metadata: { name: 'd1', namespace: 'default', labels: { a: 'b' } }, spec, ...extra })

function setup (): { index: SchemaIndex, validator: OpenApiValidator } {
  const index = new SchemaIndex()
  applyCrd(index, crd)
  return { index, validator: new OpenApiValidator({ index }) }
}

describe('crdSchemaFor', () => {
  it('returns one schema per version with apiVersion, kind, metadata and the GVK added', () => {
    const versions = crdSchemaFor(crd)
    expect(versions.map(v => [v.gvk.version, v.served])).toEqual([['v1beta1', true], ['v1alpha1', false]])
    const s = versions[0]?.schema
    expect(s?.['x-kubernetes-group-version-kind']).toEqual([DEVICE])
    expect(Object.keys(s?.properties ?? {})).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'spec', 'status']))
  })

  it('accepts anything in a version that has no schema', () => {
    const s = crdSchemaFor(crd)[1]?.schema
    expect(s?.['x-kubernetes-preserve-unknown-fields']).toBe(true)
  })

  it('rejects a CRD without group, kind or versions with OPENAPI_CRD_INVALID', () => {
    for (const bad of [{}, { spec: { group: 'g', names: {}, versions: [] } }, { spec: { group: '', names: { kind: 'K' }, versions: [{ name: 'v1' }] } }, null, 'x']) {
      let caught: unknown
      try { crdSchemaFor(bad) } catch (err) { caught = err }
      expect(hasCode(caught, 'OPENAPI_CRD_INVALID')).toBe(true)
    }
  })

  it('refuses to let a CRD redefine a built-in kind', () => {
    const fake = { spec: { group: 'apps', names: { kind: 'Deployment' }, versions: [{ name: 'v1', served: true }] } }
    let caught: unknown
    try { applyCrd(new SchemaIndex(), fake) } catch (err) { caught = err }
    expect(hasCode(caught, 'OPENAPI_BUILTIN_KIND')).toBe(true)
  })

  it('keeps only well-typed schema keywords from arbitrary input and never throws', () => {
    fc.assert(fc.property(fc.anything({ maxDepth: 5 }), (raw) => {
      const s = sanitizeSchema(raw)
      expect(s.$ref).toBeUndefined()
      expect(s.type === undefined || ['object', 'array', 'string', 'integer', 'number', 'boolean'].includes(s.type)).toBe(true)
    }), { numRuns: 300 })
  })

  it('survives a CRD whose schema is garbage', () => {
    const index = new SchemaIndex()
    const v = new OpenApiValidator({ index })
    fc.assert(fc.property(fc.anything({ maxDepth: 4 }), (raw) => {
      applyCrd(index, { spec: { group: 'x.io', names: { kind: 'X' }, versions: [{ name: 'v1', served: true, schema: { openAPIV3Schema: raw } }] } })
      v.validate({ group: 'x.io', version: 'v1', kind: 'X' }, { apiVersion: 'x.io/v1', kind: 'X', metadata: { name: 'a' }, spec: raw })
    }), { numRuns: 100 })
  })
})

describe('validating custom resources', () => {
  const { validator, index } = setup()

  it('accepts a valid Device', () => {
    expect(validator.validate(DEVICE, device({ deviceModelRef: { name: 'm' }, nodeName: 'edge-1', mode: 'push', interval: 5, port: 'http' }))).toEqual({ unknownFields: [], causes: [] })
  })

  it('reports unknown fields per the structural schema', () => {
    expect(validator.validate(DEVICE, device({ deviceModelRef: { name: 'm', bogus: 1 }, typo: true })).unknownFields.sort())
      .toEqual(['spec.deviceModelRef.bogus', 'spec.typo'])
  })

  it('honours x-kubernetes-preserve-unknown-fields', () => {
    const r = validator.validate(DEVICE, device({ deviceModelRef: { name: 'm' }, protocol: { modbus: { slaveID: 1 }, anything: ['x'] } }, { status: { twins: [] } }))
    expect(r).toEqual({ unknownFields: [], causes: [] })
  })

  it('checks metadata against ObjectMeta', () => {
    const d = device({ deviceModelRef: { name: 'm' } })
    ;(d.metadata as any).labelz = {}
    ;(d.metadata as any).labels = { a: 1 }
    const r = validator.validate(DEVICE, d)
    expect(r.unknownFields).toEqual(['metadata.labelz'])
    expect(r.causes.map(c => c.field)).toEqual(['metadata.labels[a]'])
  })

  it('enforces required, enum, maxLength, minimum and int-or-string', () => {
    const r = validator.validate(DEVICE, device({ nodeName: 'x'.repeat(64), mode: 'poll', interval: 0, port: 1.5 }))
    expect(r.causes.map(c => [c.field, c.reason]).sort()).toEqual([
      ['spec.deviceModelRef', 'FieldValueRequired'],
      ['spec.interval', 'FieldValueInvalid'],
      ['spec.mode', 'FieldValueNotSupported'],
      ['spec.nodeName', 'FieldValueTooLong'],
      ['spec.port', 'FieldValueTypeInvalid']
    ])
  })

  it('lets an embedded resource carry apiVersion, kind and metadata', () => {
    const r = validator.validate(DEVICE, device({ deviceModelRef: { name: 'm' }, template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', nope: 1 }, spec: {} } }))
    expect(r.unknownFields).toEqual(['spec.template.metadata.nope'])
  })

  it('forgets the kind when the CRD is removed', () => {
    const local = setup()
    removeCrd(local.index, crd)
    expect(local.validator.validate(DEVICE, device({ typo: 1 })).unknownFields).toEqual([])
    expect(index.schemaFor(DEVICE)).toBeDefined()
  })
})
