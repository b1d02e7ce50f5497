import { describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import { SchemaIndex, decodeModule, typeExpressionSchema } from '../../src/openapi/index.js'

const sample = [
  'import { ObjectMeta, Time } from "../meta/v1";',
  '/** Widget does things. */',
  'export interface Widget {',
  '    /** APIVersion doc */',
  '    apiVersion?: "example.io/v1";',
  '    /**',
  '     * Multi-line',
  '     *',
  '     * description.',
  '     */',
  '    kind?: "Widget";',
  '    metadata?: ObjectMeta;',
  '    /** Labels doc */',
  '    labels?: {',
  '        [name: string]: string;',
  '    };',
  '    readonly port: number | string;',
  '    parts: Array<Part>;',
  '}',
  'export interface Part {',
  '}',
  '/** Size alias. */',
  'export type Size = string;',
  ''
].join('\n')

describe('decodeModule', () => {
  const mod = decodeModule('example/v1', sample)

  it('resolves imports relative to the module path', () => {
    expect(mod.imports.get('ObjectMeta')).toBe('meta/v1')
    expect(mod.imports.get('Time')).toBe('meta/v1')
  })

  it('reads interfaces with fields, optionality, descriptions and multi-line map types', () => {
    const w = mod.types.get('Widget')
    expect(w?.kind).toBe('interface')
    if (w?.kind !== 'interface') return
    expect(w.description).toBe('Widget does things.')
    expect(w.fields.map(f => [f.name, f.optional, f.type])).toEqual([
      ['apiVersion', true, '"example.io/v1"'],
      ['kind', true, '"Widget"'],
      ['metadata', true, 'ObjectMeta'],
      ['labels', true, '{ [name: string]: string; }'],
      ['port', false, 'number | string'],
      ['parts', false, 'Array<Part>']
    ])
    expect(w.fields[1]?.description).toBe('Multi-line\n\ndescription.')
  })

  it('reads empty interfaces and aliases', () => {
    expect(mod.types.get('Part')).toEqual({ kind: 'interface', name: 'Part', description: undefined, fields: [] })
    expect(mod.types.get('Size')).toEqual({ kind: 'alias', name: 'Size', description: 'Size alias.', type: 'string' })
  })
})

describe('typeExpressionSchema', () => {
  const ref = (n: string): { $ref: string } | undefined => n === 'Known' ? { $ref: '#/components/schemas/x.Known' } : undefined

  it('maps TypeScript type expressions to schemas', () => {
    expect(typeExpressionSchema('number | string', ref)).toMatchObject({ 'x-kubernetes-int-or-string': true })
    expect(typeExpressionSchema('Array<Array<string>>', ref)).toEqual({ type: 'array', items: { type: 'array', items: { type: 'string' } } })
    expect(typeExpressionSchema('{ [name: string]: Known; }', ref)).toEqual({ type: 'object', additionalProperties: { $ref: '#/components/schemas/x.Known' } })
    expect(typeExpressionSchema('number', ref)).toEqual({ type: 'integer' })
    expect(typeExpressionSchema('Known[]', ref)).toEqual({ type: 'array', items: { $ref: '#/components/schemas/x.Known' } })
  })

  it('treats what it cannot name as free-form rather than failing', () => {
    expect(typeExpressionSchema('Unknown', ref)).toEqual({ 'x-kubernetes-preserve-unknown-fields': true })
    expect(typeExpressionSchema('Known | boolean', ref)).toEqual({ 'x-kubernetes-preserve-unknown-fields': true })
  })
})

describe('SchemaIndex', () => {
  it('decodes every built-in kind we serve from kubernetes-types', () => {
    const index = new SchemaIndex()
    for (const gvk of [
      { group: '', version: 'v1', kind: 'Pod' }, { group: '', version: 'v1', kind: 'Namespace' }, { group: '', version: 'v1', kind: 'Secret' },
      { group: '', version: 'v1', kind: 'Event' }, { group: '', version: 'v1', kind: 'ServiceAccount' }, { group: '', version: 'v1', kind: 'Endpoints' },
      { group: 'apps', version: 'v1', kind: 'ReplicaSet' }, { group: 'apps', version: 'v1', kind: 'DaemonSet' }, { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' }, { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' },
      { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' }
    ]) expect(index.schemaFor(gvk)?.['x-kubernetes-group-version-kind'], JSON.stringify(gvk)).toEqual([gvk])
  })

  it('describes fields with the upstream text', () => {
    const loc = new SchemaIndex().walk({ group: 'apps', version: 'v1', kind: 'Deployment' }, ['spec', 'replicas'])
    expect(loc?.schema.description).toContain('Number of desired pods')
    expect(loc?.resolved.type).toBe('integer')
  })

  it('fails with OPENAPI_SCHEMAS_UNAVAILABLE when the package is missing', () => {
    let caught: unknown
    try { new SchemaIndex({ typesDir: '/nonexistent/kubernetes-types' }).components() } catch (err) { caught = err }
    expect(hasCode(caught, 'OPENAPI_SCHEMAS_UNAVAILABLE')).toBe(true)
  })
})
