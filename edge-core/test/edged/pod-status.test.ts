import { describe, expect, it } from 'vitest'
import type { Pod } from '@edgemesh/kube/machinery'
import { buildPodStatus, type ContainerRecord, type PodView } from '../../src/edged/pod-status.js'

const pod = (restartPolicy?: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd', uid: 'u' }, spec: { restartPolicy, containers: [{ name: 'a' }] } } as Pod)
const rec = (over: Partial<ContainerRecord>): ContainerRecord => ({ name: 'a', image: 'busybox', init: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } }, ready: false, started: false, ...over })
const view = (p: Pod, c: ContainerRecord, podIP?: string): PodView => ({ pod: p, init: [], containers: [c], hostIP: '192.0.2.1', podIP })

describe('buildPodStatus', () => {
  it('reports phase, Ready condition and addresses like kubelet', () => {
    const s = buildPodStatus(view(pod(), rec({ state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, ready: true, started: true }), '10.88.0.2'))
    expect(s.phase).toBe('Running')
    expect(s.podIP).toBe('10.88.0.2')
    expect(s.conditions?.find(c => c.type === 'Ready')?.status).toBe('True')
    expect(s.qosClass).toBe('BestEffort')
  })

  it('keeps a condition\'s lastTransitionTime while its status holds, so an unchanged pod gives an identical status', () => {
    const v = view(pod(), rec({ state: { running: {} }, ready: false }), '10.88.0.2')
    const a = buildPodStatus(v, undefined, '2026-01-01T00:00:00Z')
    const b = buildPodStatus(v, a, '2026-01-01T00:05:00Z')
    expect(JSON.stringify(b)).toBe(JSON.stringify(a))
    const c = buildPodStatus({ ...v, containers: [rec({ state: { running: {} }, ready: true })] }, b, '2026-01-01T00:06:00Z')
    expect(c.conditions?.find(x => x.type === 'Ready')?.lastTransitionTime).toBe('2026-01-01T00:06:00Z')
    expect(c.conditions?.find(x => x.type === 'PodScheduled')?.lastTransitionTime).toBe('2026-01-01T00:00:00Z')
  })

  it('ends Never/OnFailure pods as Succeeded or Failed, and keeps a crash-looping Always pod Running', () => {
    const done = (code: number): ContainerRecord => rec({ state: { terminated: { exitCode: code } } })
    expect(buildPodStatus(view(pod('Never'), done(0))).phase).toBe('Succeeded')
    expect(buildPodStatus(view(pod('Never'), done(2))).phase).toBe('Failed')
    expect(buildPodStatus(view(pod('OnFailure'), done(0))).phase).toBe('Succeeded')
    expect(buildPodStatus(view(pod(), rec({ restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }))).phase).toBe('Running')
    expect(buildPodStatus(view(pod(), rec({}))).phase).toBe('Pending')
  })
})
