import { describe, expect, it } from 'vitest'
import { apply, updateManagedFields } from '../../src/patch/server-side-apply.js'
import { ApplyConflictError, PatchError } from '@edgemesh/kube/server'
import { decodeFields, encodeFields, fieldsOf } from '../../src/patch/field-set.js'
import { deploymentGvk, testSchema } from './fixtures.js'

const now = new Date('2026-01-02T03:04:05.678Z')
const base = { schema: testSchema, gvk: deploymentGvk, now }

function manifest (image = 'nginx:1.25', replicas = 2, extra: Record<string, unknown>[] = []): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image }, ...extra] } }
    }
  }
}

/** What the API server would store: the object plus server-set metadata. */
function stored (obj: any): any {
  return { ...obj, metadata: { ...obj.metadata, uid: 'u1', resourceVersion: '5', creationTimestamp: '2026-01-01T00:00:00Z' } }
}

function conflictOf (fn: () => unknown): ApplyConflictError {
  try { fn() } catch (err) { if (err instanceof ApplyConflictError) return err; throw err }
  throw new Error('expected an ApplyConflictError')
}

describe('server-side apply', () => {
  it('creates the object and records the applier as owner of exactly the applied fields', () => {
    const { object, managedFields } = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    expect(object.spec).toEqual(manifest().spec)
    expect(managedFields).toEqual([{
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2026-01-02T03:04:05Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': { 'f:matchLabels': { 'f:app': {} } },
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } }
          }
        }
      }
    }])
    expect((object.metadata as any).managedFields).toEqual(managedFields)
  })

  it('is idempotent: applying the same configuration twice changes nothing', () => {
    const first = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    const second = apply(stored(first.object), manifest(), { ...base, manager: 'kubectl', force: false })
    expect(second.object).toEqual(stored(first.object))
    expect(second.managedFields).toEqual(first.managedFields)
  })

  it('reports a conflict when another manager owns a field with a different value', () => {
    const first = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    const err = conflictOf(() => apply(stored(first.object), { ...manifest(), spec: { replicas: 5 } }, { ...base, manager: 'hpa', force: false }))
    expect(err.code).toBe('PATCH_APPLY_CONFLICT')
    expect(err.conflicts).toEqual([{ manager: 'kubectl', field: '.spec.replicas' }])
    expect(err.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl": .spec.replicas', field: '.spec.replicas' }])
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas')
    const status = err.toApiError().toStatus() as any
    expect(status.code).toBe(409)
    expect(status.details.causes[0].reason).toBe('FieldManagerConflict')
  })

  it('names keyed list items in conflict paths', () => {
    const first = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    const err = conflictOf(() => apply(stored(first.object), manifest('nginx:2'), { ...base, manager: 'other', force: false }))
    expect(err.conflicts).toEqual([{ manager: 'kubectl', field: '.spec.template.spec.containers[name="nginx"].image' }])
  })

  it('takes over conflicting fields with force', () => {
    const first = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    const { object, managedFields } = apply(stored(first.object), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } }, { ...base, manager: 'hpa', force: true })
    expect((object.spec as any).replicas).toBe(5)
    const kubectl = managedFields.find(e => e.manager === 'kubectl')
    const hpa = managedFields.find(e => e.manager === 'hpa')
    expect((kubectl?.fieldsV1['f:spec'] as any)['f:replicas']).toBeUndefined()
    expect(hpa?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } })
  })

  it('shares ownership without conflict when a second manager applies the same value', () => {
    const first = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    const { managedFields } = apply(stored(first.object), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } }, { ...base, manager: 'other', force: false })
    expect(managedFields.map(e => e.manager)).toEqual(['kubectl', 'other'])
    expect((managedFields[0]?.fieldsV1['f:spec'] as any)['f:replicas']).toEqual({})
  })

  it('removes fields the manager stopped applying', () => {
    const first = apply(undefined, manifest('nginx:1.25', 2, [{ name: 'sidecar', image: 'busybox' }]), { ...base, manager: 'kubectl', force: false })
    const cfg = manifest()
    delete cfg.metadata.labels
    const { object } = apply(stored(first.object), cfg, { ...base, manager: 'kubectl', force: false })
    expect((object.spec as any).template.spec.containers).toEqual([{ name: 'nginx', image: 'nginx:1.25' }])
    expect((object.metadata as any).labels).toEqual({})
  })

  it('keeps an omitted field that another manager also owns', () => {
    const first = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    const second = apply(stored(first.object), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } } }, { ...base, manager: 'labeler', force: false })
    const cfg = manifest()
    delete cfg.metadata.labels
    const { object } = apply(stored(second.object), cfg, { ...base, manager: 'kubectl', force: false })
    expect((object.metadata as any).labels).toEqual({ app: 'web' })
  })

  it('tracks merge primitive lists as set items and removes the ones no longer applied', () => {
    const withFinalizers = (f: string[]): any => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', finalizers: f } })
    const first = apply(undefined, withFinalizers(['a', 'b']), { ...base, manager: 'm', force: false })
    expect(first.managedFields[0]?.fieldsV1).toEqual({ 'f:metadata': { 'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} } } })
    const other = apply(stored(first.object), withFinalizers(['c']), { ...base, manager: 'n', force: false })
    expect((other.object.metadata as any).finalizers).toEqual(['a', 'b', 'c'])
    const { object } = apply(stored(other.object), withFinalizers(['a']), { ...base, manager: 'm', force: false })
    expect((object.metadata as any).finalizers).toEqual(['a', 'c'])
  })

  it('never owns identity or server-managed metadata', () => {
    const cfg = { ...manifest(), metadata: { ...manifest().metadata, resourceVersion: '9', uid: 'x' } }
    const set = fieldsOf(cfg, base, true)
    const paths = [...set.values()].map(p => p.join(' '))
    expect(paths.some(p => /f:apiVersion|f:kind|f:name$|f:namespace|f:resourceVersion|f:uid/.test(p.split(' ').slice(0, 2).join(' ')))).toBe(false)
  })

  it('treats fields of an object without managedFields as owned by before-first-apply when asked to', () => {
    const legacy = stored(manifest())
    const err = conflictOf(() => apply(legacy, manifest('nginx:2'), { ...base, manager: 'kubectl', force: false, ownUntracked: true }))
    expect(err.conflicts).toEqual([{ manager: 'before-first-apply', field: '.spec.template.spec.containers[name="nginx"].image' }])
    const same = apply(legacy, manifest(), { ...base, manager: 'kubectl', force: false, ownUntracked: true })
    expect(same.managedFields.map(e => e.manager)).toEqual(['before-first-apply', 'kubectl'])
  })

  it('lets the first apply take over an untracked object by default', () => {
    const { object, managedFields } = apply(stored(manifest()), manifest('nginx:2'), { ...base, manager: 'kubectl', force: false })
    expect((object.spec as any).template.spec.containers[0].image).toBe('nginx:2')
    expect(managedFields.map(e => e.manager)).toEqual(['kubectl'])
  })

  it('owns and merges a keyed list with duplicate keys as one value (DNS ports 53/TCP and 53/UDP)', () => {
    const dns = (ports: unknown[]): any => manifest('coredns', 1, []).spec.template.spec.containers.map((c: any) => ({ ...c, ports }))
    const cfg = manifest()
    cfg.spec.template.spec.containers = dns([{ containerPort: 53, protocol: 'UDP' }, { containerPort: 53, protocol: 'TCP' }])
    const first = apply(undefined, cfg, { ...base, manager: 'kubectl', force: false })
    const item = (first.managedFields[0]?.fieldsV1 as any)['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}']
    expect(item['f:ports']).toEqual({})
    cfg.spec.template.spec.containers = dns([{ containerPort: 53, protocol: 'UDP' }])
    const { object } = apply(stored(first.object), cfg, { ...base, manager: 'kubectl', force: false })
    expect((object.spec as any).template.spec.containers[0].ports).toEqual([{ containerPort: 53, protocol: 'UDP' }])
  })

  it('rejects an apply configuration with a keyed item missing its key', () => {
    const cfg = manifest('x', 1, [{ image: 'y' }])
    expect(() => apply(undefined, cfg, { ...base, manager: 'kubectl', force: false })).toThrow(PatchError)
    try { apply(undefined, cfg, { ...base, manager: 'kubectl', force: false }) } catch (err) { expect((err as PatchError).code).toBe('PATCH_INVALID') }
  })

  it('round-trips field sets through the FieldsV1 encoding', () => {
    const set = fieldsOf(manifest('a', 1, [{ name: 'b', image: 'c', args: ['x'] }]), base, true)
    expect(decodeFields(encodeFields(set))).toEqual(set)
  })
})

describe('updateManagedFields', () => {
  it('gives a creator ownership of every field and an entry with operation Update', () => {
    const entries = updateManagedFields(undefined, manifest(), 'kubectl-client-side-apply', 'Update', base)
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', time: '2026-01-02T03:04:05Z' })
    expect(decodeFields(entries[0]?.fieldsV1)).toEqual(fieldsOf(manifest(), base, false))
  })

  it('makes server-side apply after a client-side edit conflict on the edited field', () => {
    const created = stored(manifest())
    created.metadata.managedFields = updateManagedFields(undefined, created, 'kubectl-client-side-apply', 'Update', base)
    const err = conflictOf(() => apply(created, manifest('nginx:1.26'), { ...base, manager: 'kubectl', force: false }))
    expect(err.conflicts).toEqual([{ manager: 'kubectl-client-side-apply', field: '.spec.template.spec.containers[name="nginx"].image' }])
  })

  it('moves ownership of changed fields to the updater', () => {
    const first = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    const live = stored(first.object)
    const updated = structuredClone(live)
    updated.spec.replicas = 3
    const entries = updateManagedFields(live, updated, 'hpa-controller', 'Update', base)
    expect(entries.find(e => e.manager === 'hpa-controller')?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } })
    expect((entries.find(e => e.manager === 'kubectl')?.fieldsV1['f:spec'] as any)['f:replicas']).toBeUndefined()
    updated.metadata.managedFields = entries
    const err = conflictOf(() => apply(updated, manifest(), { ...base, manager: 'kubectl', force: false }))
    expect(err.conflicts).toEqual([{ manager: 'hpa-controller', field: '.spec.replicas' }])
  })

  it('moves only the edited fields of a list item, not the item itself', () => {
    const first = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    const live = stored(first.object)
    const updated = structuredClone(live)
    updated.spec.template.spec.containers[0].image = 'nginx:9'
    const entries = updateManagedFields(live, updated, 'set-image', 'Update', base)
    const item = (e: any): any => e.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}']
    expect(item(entries.find(e => e.manager === 'set-image'))).toEqual({ 'f:image': {} })
    expect(item(entries.find(e => e.manager === 'kubectl'))).toEqual({ '.': {}, 'f:name': {} })
  })

  it('drops removed fields from every manager', () => {
    const first = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    const live = stored(first.object)
    const updated = structuredClone(live)
    delete updated.metadata.labels
    const entries = updateManagedFields(live, updated, 'editor', 'Update', base)
    expect(entries.map(e => e.manager)).toEqual(['kubectl'])
    expect(entries[0]?.fieldsV1['f:metadata']).toBeUndefined()
  })

  it('adds no entry for a write that changes no tracked field', () => {
    const first = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    const live = stored(first.object)
    const updated = { ...structuredClone(live), metadata: { ...structuredClone(live.metadata), resourceVersion: '6' } }
    expect(updateManagedFields(live, updated, 'noop', 'Update', base)).toEqual(first.managedFields)
  })

  it('clears ownership when the request sets managedFields to [{}]', () => {
    const first = apply(undefined, manifest(), { ...base, manager: 'kubectl', force: false })
    const live = stored(first.object)
    const updated = structuredClone(live)
    updated.metadata.managedFields = [{}]
    expect(updateManagedFields(live, updated, 'x', 'Update', base)).toEqual([])
  })

  it('uses managedFields sent in the request as the new baseline (kubectl migration to server-side apply)', () => {
    const created = stored(manifest())
    created.metadata.managedFields = updateManagedFields(undefined, created, 'kubectl-client-side-apply', 'Update', base)
    const migrated = structuredClone(created)
    migrated.metadata.managedFields = [{ ...created.metadata.managedFields[0], manager: 'kubectl', operation: 'Apply' }]
    migrated.metadata.managedFields = updateManagedFields(created, migrated, 'kubectl', 'Update', base)
    expect(migrated.metadata.managedFields.map((e: any) => `${e.manager}/${e.operation}`)).toEqual(['kubectl/Apply'])
    const { object } = apply(migrated, manifest('nginx:1.26'), { ...base, manager: 'kubectl', force: false })
    expect((object.spec as any).template.spec.containers[0].image).toBe('nginx:1.26')
  })

  it('records the subresource of status writes', () => {
    const live = stored(manifest())
    const updated = { ...structuredClone(live), status: { replicas: 2 } }
    const [entry] = updateManagedFields(live, updated, 'deployment-controller', 'Update', { ...base, subresource: 'status' })
    expect(entry).toMatchObject({ manager: 'deployment-controller', subresource: 'status', fieldsV1: { 'f:status': { 'f:replicas': {} } } })
  })
})
