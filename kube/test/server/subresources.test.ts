import { describe, expect, it } from 'vitest'
import { testDeployment as deploy, testPod as pod } from '../fixtures.js'
import { ApiError } from '../../src/machinery/errors.js'
import { applyBinding, fromScale, toScale } from '../../src/server/subresources.js'



describe('applyBinding', () => {
  it('sets spec.nodeName and a PodScheduled condition without touching the input', () => {
    const p = pod()
    const bound = applyBinding(p, { metadata: { name: 'p' }, target: { kind: 'Node', name: 'edge-1' } }, new Date('2026-01-01T00:00:00Z'))
    expect((bound.spec as Record<string, unknown>).nodeName).toBe('edge-1')
    expect((bound.status as { conditions: unknown[] }).conditions).toEqual([{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }])
    expect((p.spec as Record<string, unknown>).nodeName).toBeUndefined()
  })

  it('refuses to bind a pod that is already bound with 409', () => {
    const err = (() => { try { applyBinding(pod({ nodeName: 'a' }), { target: { name: 'b' } }) } catch (e) { return e } })()
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).httpStatus).toBe(409)
  })

  it('rejects a binding without a target node with 400', () => {
    expect(() => applyBinding(pod(), { target: {} })).toThrow(expect.objectContaining({ httpStatus: 400 }) as Error)
  })
})

describe('scale helpers', () => {
  it('turns a deployment into an autoscaling/v1 Scale', () => {
    expect(toScale(deploy({ replicas: 3 }, { replicas: 2 }))).toEqual({
      apiVersion: 'autoscaling/v1', kind: 'Scale',
      metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '7', creationTimestamp: undefined },
      spec: { replicas: 3 }, status: { replicas: 2, selector: 'app=web' }
    })
  })

  it('applies a Scale to a copy, carrying its resourceVersion', () => {
    const d = deploy({ replicas: 1 })
    const out = fromScale(d, { spec: { replicas: 5 }, metadata: { resourceVersion: '6' } })
    expect((out.spec as Record<string, unknown>).replicas).toBe(5)
    expect(out.metadata.resourceVersion).toBe('6')
    expect((d.spec as Record<string, unknown>).replicas).toBe(1)
  })

  it('rejects a negative replica count with 400', () => {
    expect(() => fromScale(deploy(), { spec: { replicas: -1 } })).toThrow(expect.objectContaining({ httpStatus: 400 }) as Error)
  })
})
