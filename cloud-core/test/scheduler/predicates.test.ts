import { describe, expect, it } from 'vitest'
import { REASON_AFFINITY, REASON_CPU, REASON_MEMORY, REASON_NOT_READY, REASON_UNSCHEDULABLE, failedSchedulingMessage, filterNode, leastAllocatedScore, matchesNodeAffinity, podRequests } from '../../src/scheduler/predicates.js'
import { toleratesTaint, untoleratedTaint, type Node, type Pod } from '@edgemesh/kube/machinery'

const node = (name: string, labels: Record<string, string> = {}, extra: Partial<Node> = {}): Node => ({
  metadata: { name, labels },
  spec: {},
  status: { allocatable: { cpu: '2', memory: '4Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  ...extra
})
const pod = (spec: Record<string, unknown> = {}, requests?: Record<string, string>): Pod => ({
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'x', ...(requests !== undefined ? { resources: { requests } } : {}) }], ...spec }
})
const required = (terms: unknown[]): Record<string, unknown> => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } })

describe('node affinity and selector', () => {
  it('requires every nodeSelector label', () => {
    expect(matchesNodeAffinity(pod({ nodeSelector: { a: '1', b: '2' } }), node('n', { a: '1', b: '2', c: '3' }))).toBe(true)
    expect(matchesNodeAffinity(pod({ nodeSelector: { a: '1', b: '2' } }), node('n', { a: '1' }))).toBe(false)
  })
  it('matches In and NotIn expressions', () => {
    const p = pod(required([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'tier', operator: 'NotIn', values: ['db'] }] }]))
    expect(matchesNodeAffinity(p, node('n', { zone: 'a' }))).toBe(true)
    expect(matchesNodeAffinity(p, node('n', { zone: 'a', tier: 'db' }))).toBe(false)
    expect(matchesNodeAffinity(p, node('n', { zone: 'c' }))).toBe(false)
  })
  it('matches Exists and DoesNotExist', () => {
    const p = pod(required([{ matchExpressions: [{ key: 'gpu', operator: 'Exists' }, { key: 'spot', operator: 'DoesNotExist' }] }]))
    expect(matchesNodeAffinity(p, node('n', { gpu: '' }))).toBe(true)
    expect(matchesNodeAffinity(p, node('n', { gpu: '', spot: 'true' }))).toBe(false)
  })
  it('compares integers with Gt and Lt and rejects non-integers', () => {
    const gt = pod(required([{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] }]))
    const lt = pod(required([{ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['8'] }] }]))
    expect(matchesNodeAffinity(gt, node('n', { cores: '16' }))).toBe(true)
    expect(matchesNodeAffinity(gt, node('n', { cores: '8' }))).toBe(false)
    expect(matchesNodeAffinity(lt, node('n', { cores: '4' }))).toBe(true)
    expect(matchesNodeAffinity(gt, node('n', { cores: 'many' }))).toBe(false)
  })
  it('ORs terms and matches metadata.name through matchFields', () => {
    const p = pod(required([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }, { matchExpressions: [{ key: 'x', operator: 'Exists' }] }]))
    expect(matchesNodeAffinity(p, node('n2'))).toBe(true)
    expect(matchesNodeAffinity(p, node('n1', { x: '' }))).toBe(true)
    expect(matchesNodeAffinity(p, node('n1'))).toBe(false)
  })
  it('treats an empty term as matching nothing', () => {
    expect(matchesNodeAffinity(pod(required([{}])), node('n'))).toBe(false)
  })
})

describe('taints and tolerations', () => {
  const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }
  it('tolerates with Equal on key, value and effect', () => {
    expect(toleratesTaint({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, taint)).toBe(true)
    expect(toleratesTaint({ key: 'dedicated', operator: 'Equal', value: 'cpu', effect: 'NoSchedule' }, taint)).toBe(false)
    expect(toleratesTaint({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoExecute' }, taint)).toBe(false)
  })
  it('tolerates with Exists regardless of value, and an empty key with Exists tolerates everything', () => {
    expect(toleratesTaint({ key: 'dedicated', operator: 'Exists' }, taint)).toBe(true)
    expect(toleratesTaint({ operator: 'Exists' }, taint)).toBe(true)
    expect(toleratesTaint({ operator: 'Exists' }, { key: 'other', effect: 'NoExecute' })).toBe(true)
  })
  it('defaults the operator to Equal', () => {
    expect(toleratesTaint({ key: 'dedicated', value: 'gpu' }, taint)).toBe(true)
    expect(toleratesTaint({ key: 'dedicated' }, taint)).toBe(false)
  })
  it('ignores PreferNoSchedule taints when filtering', () => {
    expect(untoleratedTaint([{ key: 'soft', effect: 'PreferNoSchedule' }], [])).toBeUndefined()
    expect(untoleratedTaint([{ key: 'hard', effect: 'NoExecute' }], [])?.key).toBe('hard')
  })
})

describe('filterNode', () => {
  it('reports readiness, cordon, affinity, taint and resources', () => {
    const n = node('n', {}, { spec: { unschedulable: true, taints: [{ key: 'k', effect: 'NoSchedule' }] }, status: { allocatable: { cpu: '1', memory: '1Gi' }, conditions: [{ type: 'Ready', status: 'False' }] } })
    const reasons = filterNode(pod({ nodeSelector: { a: 'b' } }, { cpu: '2', memory: '2Gi' }), n, { used: { cpuMillis: 0, memoryBytes: 0, pods: 0 } })
    expect(reasons).toEqual([REASON_NOT_READY, REASON_UNSCHEDULABLE, REASON_AFFINITY, 'node(s) had untolerated taint {k: }', REASON_CPU, REASON_MEMORY])
  })
  it('subtracts the requests of pods already on the node', () => {
    expect(filterNode(pod({}, { cpu: '1' }), node('n'), { used: { cpuMillis: 1000, memoryBytes: 0, pods: 1 } })).toEqual([])
    expect(filterNode(pod({}, { cpu: '1' }), node('n'), { used: { cpuMillis: 1001, memoryBytes: 0, pods: 1 } })).toEqual([REASON_CPU])
  })
  it('takes the larger of the container sum and the biggest init container', () => {
    const p = pod({ initContainers: [{ name: 'i', image: 'x', resources: { requests: { cpu: '3' } } }] }, { cpu: '1' })
    expect(podRequests(p).cpuMillis).toBe(3000)
  })
})

describe('scoring and messages', () => {
  it('scores an emptier node higher', () => {
    const p = pod()
    expect(leastAllocatedScore(node('a'), { cpuMillis: 0, memoryBytes: 0 }, p)).toBeGreaterThan(leastAllocatedScore(node('b'), { cpuMillis: 1000, memoryBytes: 2 ** 30 }, p))
  })
  it('formats FailedScheduling like upstream with sorted counts', () => {
    const m = new Map([[REASON_AFFINITY, 2], [REASON_CPU, 1]])
    expect(failedSchedulingMessage(3, m)).toBe("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.")
    expect(failedSchedulingMessage(0, new Map())).toBe('0/0 nodes are available.')
  })
})
