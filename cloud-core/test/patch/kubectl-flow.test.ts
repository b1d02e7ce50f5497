import { describe, expect, it } from 'vitest'
import { ApplyConflictError, apply, applyPatch, updateManagedFields } from '../../src/patch/index.js'
import { deploymentGvk, testSchema } from './fixtures.js'

/**
 * The write sequences kubectl 1.32 produces (notes/kubectl-needs.md §4-6), run through the patch
 * functions the way the API server chains them: patch → updateManagedFields → store.
 */
const ctx = { schema: testSchema, gvk: deploymentGvk, now: new Date('2026-03-01T00:00:00Z') }

function manifest (containers: Array<Record<string, unknown>>): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } }
  }
}

/** What the server does for create/update/patch: record ownership and bump the resourceVersion. */
function write (old: any, next: any, manager: string): any {
  const out = structuredClone(next)
  out.metadata.managedFields = updateManagedFields(old, next, manager, 'Update', ctx)
  out.metadata.resourceVersion = String(Number(old?.metadata?.resourceVersion ?? 0) + 1)
  return out
}

describe('kubectl write sequences', () => {
  it('client-side apply, then the strategic patch of a re-apply, then server-side apply after migration', () => {
    // kubectl apply (create): POST with fieldManager=kubectl-client-side-apply.
    let live = write(undefined, manifest([{ name: 'nginx', image: 'nginx:1.25' }, { name: 'sidecar', image: 'busybox' }]), 'kubectl-client-side-apply')
    // kubectl apply (update): the strategic merge patch from the notes.
    const smp = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'nginx' }], containers: [{ image: 'nginx:1.26', name: 'nginx' }, { $patch: 'delete', name: 'sidecar' }] } } } }
    live = write(live, applyPatch('strategic', live, smp, ctx), 'kubectl-client-side-apply')
    expect(live.spec.template.spec.containers).toEqual([{ name: 'nginx', image: 'nginx:1.26' }])
    expect(live.metadata.managedFields.map((e: any) => e.manager)).toEqual(['kubectl-client-side-apply'])

    // A controller scales it: it now owns replicas.
    const scaled = applyPatch('merge', live, { spec: { replicas: 3 } }, ctx)
    live = write(live, scaled, 'hpa')

    // kubectl apply --server-side without migration conflicts with both earlier writers.
    let err: unknown
    try { apply(live, manifest([{ name: 'nginx', image: 'nginx:1.27' }]), { ...ctx, manager: 'kubectl', force: false }) } catch (e) { err = e }
    expect(err).toBeInstanceOf(ApplyConflictError)
    expect((err as ApplyConflictError).conflicts.map(c => c.manager).sort()).toEqual(['hpa', 'kubectl-client-side-apply'])

    // kubectl's migration: a JSON patch renaming the client-side entry to an Apply entry of kubectl.
    const migrated = live.metadata.managedFields.map((e: any) => e.manager === 'kubectl-client-side-apply' ? { ...e, manager: 'kubectl', operation: 'Apply' } : e)
    const jp = [{ op: 'replace', path: '/metadata/managedFields', value: migrated }, { op: 'replace', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion }]
    live = write(live, applyPatch('json', live, jp, ctx), 'kubectl')
    expect(live.metadata.managedFields.map((e: any) => `${e.manager}/${e.operation}`)).toEqual(['kubectl/Apply', 'hpa/Update'])

    // Now only the controller-owned field conflicts; without replicas in the manifest the apply succeeds.
    const cfg = manifest([{ name: 'nginx', image: 'nginx:1.27' }])
    delete cfg.spec.replicas
    const { object } = apply(live, cfg, { ...ctx, manager: 'kubectl', force: false })
    expect((object as any).spec.replicas).toBe(3)
    expect((object as any).spec.template.spec.containers).toEqual([{ name: 'nginx', image: 'nginx:1.27' }])
  })
})
