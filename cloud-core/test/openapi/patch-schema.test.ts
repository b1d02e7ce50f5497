import { describe, expect, it } from 'vitest'
import { OpenApiPatchSchema, PATCH_STRATEGIES, SchemaIndex, applyCrd } from '../../src/openapi/index.js'
import { crd } from './fixtures.js'

const index = new SchemaIndex()
const schema = new OpenApiPatchSchema({ index })
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' }
const POD = { group: '', version: 'v1', kind: 'Pod' }
const podSpec = ['spec', 'template', 'spec']

describe('OpenApiPatchSchema', () => {
  it.each([
    [DEPLOYMENT, [...podSpec, 'containers'], { mergeKey: 'name', strategy: 'merge', type: 'list' }],
    [DEPLOYMENT, [...podSpec, 'initContainers'], { mergeKey: 'name', strategy: 'merge', type: 'list' }],
    [DEPLOYMENT, [...podSpec, 'containers', 'ports'], { mergeKey: 'containerPort', strategy: 'merge', type: 'list' }],
    [DEPLOYMENT, [...podSpec, 'containers', 'env'], { mergeKey: 'name', strategy: 'merge', type: 'list' }],
    [DEPLOYMENT, [...podSpec, 'containers', 'volumeMounts'], { mergeKey: 'mountPath', strategy: 'merge', type: 'list' }],
    [DEPLOYMENT, [...podSpec, 'volumes'], { mergeKey: 'name', strategy: 'merge,retainKeys', type: 'list' }],
    [DEPLOYMENT, [...podSpec, 'imagePullSecrets'], { mergeKey: 'name', strategy: 'merge', type: 'list' }],
    [DEPLOYMENT, [...podSpec, 'hostAliases'], { mergeKey: 'ip', strategy: 'merge', type: 'list' }],
    [DEPLOYMENT, ['spec', 'strategy'], { strategy: 'retainKeys', type: 'object' }],
    [DEPLOYMENT, ['status', 'conditions'], { mergeKey: 'type', strategy: 'merge', type: 'list' }],
    [DEPLOYMENT, ['metadata', 'finalizers'], { strategy: 'merge', type: 'list' }],
    [DEPLOYMENT, ['metadata', 'ownerReferences'], { mergeKey: 'uid', strategy: 'merge', type: 'list' }],
    [POD, ['spec', 'ephemeralContainers', 'env'], { mergeKey: 'name', strategy: 'merge', type: 'list' }],
    [POD, ['status', 'conditions'], { mergeKey: 'type', strategy: 'merge', type: 'list' }],
    [{ group: '', version: 'v1', kind: 'Service' }, ['spec', 'ports'], { mergeKey: 'port', strategy: 'merge', type: 'list' }],
    [{ group: '', version: 'v1', kind: 'Node' }, ['status', 'addresses'], { mergeKey: 'type', strategy: 'merge', type: 'list' }]
  ])('knows %j at %j', (gvk, path, meta) => {
    expect(schema.lookup(gvk, path)).toEqual(meta)
  })

  it('replaces lists that have no merge key upstream (tolerations, taints, slice endpoints)', () => {
    expect(schema.lookup(DEPLOYMENT, [...podSpec, 'tolerations'])).toEqual({ type: 'list' })
    expect(schema.lookup({ group: '', version: 'v1', kind: 'Node' }, ['spec', 'taints'])).toEqual({ type: 'list' })
    expect(schema.lookup({ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' }, ['endpoints'])).toEqual({ type: 'list' })
  })

  it('tells maps, objects and primitives apart', () => {
    expect(schema.lookup(DEPLOYMENT, ['metadata', 'labels'])).toEqual({ type: 'map' })
    expect(schema.lookup(DEPLOYMENT, ['spec', 'template'])).toEqual({ type: 'object' })
    expect(schema.lookup(DEPLOYMENT, ['spec', 'replicas'])).toEqual({ type: 'primitive' })
    expect(schema.lookup(DEPLOYMENT, ['metadata', 'labels', 'app'])).toEqual({ type: 'primitive' })
  })

  it('returns undefined for paths and kinds it does not know', () => {
    expect(schema.lookup(DEPLOYMENT, ['spec', 'bogus'])).toBeUndefined()
    expect(schema.lookup({ group: 'x', version: 'v1', kind: 'Y' }, ['spec'])).toBeUndefined()
  })

  it('offers strategic merge for built-in kinds only', () => {
    const local = new SchemaIndex()
    applyCrd(local, crd)
    const s = new OpenApiPatchSchema({ index: local })
    expect(s.supportsStrategic(DEPLOYMENT)).toBe(true)
    expect(s.supportsStrategic({ group: 'devices.kubeedge.io', version: 'v1beta1', kind: 'Device' })).toBe(false)
    // CRD metadata still carries ObjectMeta's merge keys.
    expect(s.lookup({ group: 'devices.kubeedge.io', version: 'v1beta1', kind: 'Device' }, ['metadata', 'ownerReferences'])?.mergeKey).toBe('uid')
  })

  it('has a merge-key table whose every row names a real type and field', () => {
    const components = index.components()
    for (const [component, fields] of Object.entries(PATCH_STRATEGIES)) {
      const c = components.get(component)
      expect(c, component).toBeDefined()
      for (const field of Object.keys(fields)) expect(c?.properties?.[field], `${component}.${field}`).toBeDefined()
    }
  })
})
