import { describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import { strategicMerge } from '../../src/patch/strategic-merge.js'
import type { PatchSchema } from '@edgemesh/kube/machinery'
import { deployment, deploymentGvk, podGvk, testSchema } from './fixtures.js'

const smp = (original: unknown, patch: unknown, gvk = deploymentGvk): any => strategicMerge(original, patch, testSchema, gvk)

function codeOf (fn: () => unknown): string | undefined {
  try { fn() } catch (err) { return hasCode(err, 'PATCH_INVALID') ? 'PATCH_INVALID' : (err as { code?: string }).code }
  return undefined
}

describe('strategicMerge', () => {
  it('applies the kubectl client-side apply patch: deletes the sidecar, updates nginx, keeps everything else', () => {
    const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'nginx' }], containers: [{ image: 'nginx:1.26', name: 'nginx' }, { $patch: 'delete', name: 'sidecar' }] } } } }
    const out = smp(deployment(), patch)
    const expected = deployment()
    expected.spec.template.spec.containers = [{ name: 'nginx', image: 'nginx:1.26', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }] }]
    expect(out).toEqual(expected)
  })

  it('deletes a key whose patch value is null and ignores nulls for absent keys', () => {
    const out = smp(deployment(), { metadata: { labels: null, annotations: { x: null } }, spec: { paused: null } })
    expect(out.metadata.labels).toBeUndefined()
    expect(out.metadata.annotations).toEqual({})
    expect('paused' in out.spec).toBe(false)
  })

  it('merges keyed list items by merge key and appends new ones in patch order', () => {
    const out = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'z', image: 'z' }, { name: 'nginx', image: 'nginx:2' }, { name: 'y', image: 'y' }] } } } })
    const names = out.spec.template.spec.containers.map((c: any) => c.name)
    expect(names).toEqual(['z', 'nginx', 'y', 'sidecar'])
    expect(out.spec.template.spec.containers[1]).toMatchObject({ name: 'nginx', image: 'nginx:2', env: [{ name: 'A', value: '1' }] })
  })

  it('merges nested keyed lists (ports by containerPort inside containers)', () => {
    const out = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'nginx', ports: [{ containerPort: 443 }, { containerPort: 80, name: 'http' }] }] } } } })
    expect(out.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 443 }, { containerPort: 80, protocol: 'TCP', name: 'http' }])
  })

  it('replaces lists that have no merge strategy', () => {
    const out = smp(deployment(), { spec: { template: { spec: { tolerations: [{ key: 'other', operator: 'Exists' }], containers: [{ name: 'sidecar', args: ['true'] }] } } } })
    expect(out.spec.template.spec.tolerations).toEqual([{ key: 'other', operator: 'Exists' }])
    expect(out.spec.template.spec.containers[1].args).toEqual(['true'])
  })

  it('unions primitive lists with merge strategy (finalizers)', () => {
    const out = smp(deployment(), { metadata: { finalizers: ['b.example/f', 'a.example/f'] } })
    expect(out.metadata.finalizers).toEqual(['b.example/f', 'a.example/f'])
    // Upstream puts patch items that the live list lacks before it when no $setElementOrder says otherwise.
    expect(smp(deployment(), { metadata: { finalizers: ['c'] } }).metadata.finalizers).toEqual(['c', 'a.example/f'])
  })

  it('removes primitives listed in $deleteFromPrimitiveList', () => {
    const d = deployment()
    d.metadata.finalizers = ['a', 'b', 'c']
    const out = smp(d, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'zz'], finalizers: ['d'] } })
    expect(out.metadata.finalizers).toEqual(['d', 'a', 'c'])
  })

  it('replaces a map wholesale with $patch: replace', () => {
    const out = smp(deployment(), { spec: { selector: { $patch: 'replace', matchExpressions: [] } } })
    expect(out.spec.selector).toEqual({ matchExpressions: [] })
  })

  it('empties a map with $patch: delete', () => {
    expect(smp(deployment(), { metadata: { labels: { $patch: 'delete' } } }).metadata.labels).toEqual({})
  })

  it('accepts $patch: merge as the default behaviour', () => {
    expect(smp(deployment(), { metadata: { labels: { $patch: 'merge', tier: 'fe' } } }).metadata.labels).toEqual({ app: 'web', tier: 'fe' })
  })

  it('replaces a keyed list with a $patch: replace item', () => {
    const out = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } } })
    expect(out.spec.template.spec.containers).toEqual([{ name: 'only', image: 'x' }])
  })

  it('reorders a keyed list by $setElementOrder without a patch list', () => {
    const out = smp(deployment(), { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'nginx' }] } } } })
    expect(out.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['sidecar', 'nginx'])
  })

  it('orders primitive lists by $setElementOrder', () => {
    const d = deployment()
    d.metadata.finalizers = ['a', 'b']
    const out = smp(d, { metadata: { '$setElementOrder/finalizers': ['c', 'b', 'a'], finalizers: ['c'] } })
    expect(out.metadata.finalizers).toEqual(['c', 'b', 'a'])
  })

  it('rejects a patch list whose order contradicts $setElementOrder', () => {
    const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }], containers: [{ name: 'sidecar' }, { name: 'nginx' }] } } } }
    expect(codeOf(() => smp(deployment(), patch))).toBe('PATCH_INVALID')
  })

  it('clears keys missing from $retainKeys (Deployment strategy switch to Recreate)', () => {
    const out = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } })
    expect(out.spec.strategy).toEqual({ type: 'Recreate' })
  })

  it('rejects a patch with a field that $retainKeys does not list', () => {
    expect(codeOf(() => smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: {} } } }))).toBe('PATCH_INVALID')
  })

  it('rejects keyed list items without their merge key', () => {
    expect(codeOf(() => smp(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }))).toBe('PATCH_INVALID')
  })

  it('rejects unknown $patch directives', () => {
    expect(codeOf(() => smp(deployment(), { metadata: { labels: { $patch: 'explode' } } }))).toBe('PATCH_INVALID')
  })

  it('strips directives and nulls from newly added subtrees', () => {
    const out = smp({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }, { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'a', env: null }, { $patch: 'delete', name: 'b' }], x: { $retainKeys: [], y: 1 } } }, podGvk)
    expect(out.spec).toEqual({ containers: [{ name: 'a' }], x: { y: 1 } })
  })

  it('does not modify its inputs', () => {
    const d = deployment()
    const patch = { metadata: { labels: null }, spec: { template: { spec: { containers: [{ name: 'nginx', image: 'x' }, { $patch: 'delete', name: 'sidecar' }] } } } }
    const dCopy = structuredClone(d)
    const pCopy = structuredClone(patch)
    smp(d, patch)
    expect(d).toEqual(dCopy)
    expect(patch).toEqual(pCopy)
  })

  it('replaces values whose type differs between object and patch', () => {
    expect(smp({ a: { b: 1 } }, { a: [1] }, podGvk)).toEqual({ a: [1] })
    expect(smp({ a: [1] }, { a: { b: 1 } }, podGvk)).toEqual({ a: { b: 1 } })
  })

  it('rejects a patch that is not an object', () => {
    expect(codeOf(() => smp(deployment(), [1]))).toBe('PATCH_INVALID')
  })
})

// Cases transcribed from the behaviour apimachinery's strategicpatch tests pin down (three-way patch applied to the current object).
describe('strategicMerge ordering matches upstream', () => {
  const schema: PatchSchema = {
    lookup: (_gvk, path) => {
      if (path.join('.') === 'mergingList') return { mergeKey: 'name', strategy: 'merge' }
      if (path.join('.') === 'mergingIntList') return { strategy: 'merge' }
      return undefined
    },
    supportsStrategic: () => true
  }
  const run = (cur: unknown, patch: unknown): any => strategicMerge(cur, patch, schema, podGvk)

  it('adds a primitive at the position $setElementOrder gives it and keeps server-only items in place', () => {
    expect(run({ mergingIntList: [1, 4, 2] }, { '$setElementOrder/mergingIntList': [3, 1, 2], mergingIntList: [3] })).toEqual({ mergingIntList: [3, 1, 4, 2] })
  })

  it('deletes a primitive and reorders by $setElementOrder', () => {
    expect(run({ mergingIntList: [1, 2, 3] }, { '$setElementOrder/mergingIntList': [2, 1], '$deleteFromPrimitiveList/mergingIntList': [3] })).toEqual({ mergingIntList: [2, 1] })
  })

  it('adds keyed items at the positions $setElementOrder gives them', () => {
    const cur = { mergingList: [{ name: 1, other: 'a' }, { name: 2, value: 2, other: 'b' }] }
    const patch = { '$setElementOrder/mergingList': [{ name: 1 }, { name: 4 }, { name: 2 }, { name: 3 }], mergingList: [{ name: 4, value: 4 }, { name: 3, value: 3 }] }
    expect(run(cur, patch)).toEqual({ mergingList: [{ name: 1, other: 'a' }, { name: 4, value: 4 }, { name: 2, value: 2, other: 'b' }, { name: 3, value: 3 }] })
  })

  it('puts a keyed item first when $setElementOrder lists it first', () => {
    const cur = { mergingList: [{ name: 1, other: 'a' }, { name: 2, value: 2, other: 'b' }] }
    const patch = { '$setElementOrder/mergingList': [{ name: 3 }, { name: 1 }, { name: 2 }], mergingList: [{ name: 3, value: 3 }] }
    expect(run(cur, patch)).toEqual({ mergingList: [{ name: 3, value: 3 }, { name: 1, other: 'a' }, { name: 2, value: 2, other: 'b' }] })
  })

  it('deletes from a list without merge strategy with $deleteFromPrimitiveList', () => {
    expect(run({ nonMergingIntList: [1, 2, 3] }, { '$deleteFromPrimitiveList/nonMergingIntList': [2] })).toEqual({ nonMergingIntList: [1, 3] })
  })
})

describe('strategicMerge at size (a node credential must not stall the API server)', () => {
  // Regression: merging n keyed patch items into n stored ones scanned the list per item; a node's
  // nodes/status patch with 40k + 40k conditions took 39.9 s and blocked the event loop. The bound
  // below is ~20x what the linear merge needs on a loaded 2-core box, and ~1/8 of the quadratic one.
  it('merges a 40k-item keyed status patch into 40k stored items within a bounded time', () => {
    const n = 40_000
    const original = { metadata: { name: 'n1' }, status: { conditions: Array.from({ length: n }, (_, i) => ({ type: `old-${i}`, status: 'True' })) } }
    const patch = { status: { conditions: Array.from({ length: n }, (_, i) => ({ type: i % 2 === 0 ? `old-${i}` : `new-${i}`, status: 'False' })) } }
    const t0 = performance.now()
    const out = smp(original, patch, { group: '', version: 'v1', kind: 'Node' })
    const ms = performance.now() - t0
    expect(out.status.conditions).toHaveLength(n + n / 2)
    expect(out.status.conditions.find((c: any) => c.type === 'old-0').status).toBe('False')
    expect(out.status.conditions.find((c: any) => c.type === 'old-1').status).toBe('True')
    expect(ms).toBeLessThan(5000)
  })

  it('deletes 20k items by merge key and dedupes a 40k-scalar list within a bounded time', () => {
    const n = 20_000
    const original = { metadata: { name: 'n1', finalizers: Array.from({ length: 2 * n }, (_, i) => `f${i}`) }, status: { conditions: Array.from({ length: n }, (_, i) => ({ type: `t${i}` })) } }
    const patch = { metadata: { finalizers: Array.from({ length: 2 * n }, (_, i) => `f${i + n}`) }, status: { conditions: Array.from({ length: n }, (_, i) => ({ $patch: 'delete', type: `t${i}` })) } }
    const t0 = performance.now()
    const out = smp(original, patch, { group: '', version: 'v1', kind: 'Node' })
    const ms = performance.now() - t0
    expect(out.status.conditions).toEqual([])
    expect(out.metadata.finalizers).toHaveLength(3 * n)
    expect(ms).toBeLessThan(5000)
  })
})
