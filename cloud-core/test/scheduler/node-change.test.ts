import { describe, expect, it } from 'vitest'
import type { Node } from '@edgemesh/kube/machinery'
import { nodeChangeAffectsScheduling } from '../../src/scheduler/scheduler.js'

const node = (over: { labels?: Record<string, string>, heartbeat?: string, ready?: string, cpu?: string, unschedulable?: boolean, taints?: Array<{ key: string, effect: string }> } = {}): Node => ({
  metadata: { name: 'n', labels: over.labels ?? { a: '1' } },
  spec: { ...(over.unschedulable === true ? { unschedulable: true } : {}), ...(over.taints !== undefined ? { taints: over.taints } : {}) },
  status: {
    allocatable: { cpu: over.cpu ?? '2', memory: '4Gi' },
    conditions: [{ type: 'Ready', status: over.ready ?? 'True', lastHeartbeatTime: over.heartbeat ?? '2026-01-01T00:00:00Z' }]
  }
})

describe('scheduler node update filter', () => {
  it('does not requeue unschedulable pods on a status heartbeat', () => {
    expect(nodeChangeAffectsScheduling(node(), node({ heartbeat: '2026-01-01T00:00:10Z' }))).toBe(false)
  })
  it('requeues when labels, taints, cordon, allocatable or readiness change', () => {
    const base = node()
    expect(nodeChangeAffectsScheduling(base, node({ labels: { a: '2' } }))).toBe(true)
    expect(nodeChangeAffectsScheduling(base, node({ taints: [{ key: 'k', effect: 'NoSchedule' }] }))).toBe(true)
    expect(nodeChangeAffectsScheduling(base, node({ unschedulable: true }))).toBe(true)
    expect(nodeChangeAffectsScheduling(base, node({ cpu: '4' }))).toBe(true)
    expect(nodeChangeAffectsScheduling(base, node({ ready: 'False' }))).toBe(true)
  })
})
