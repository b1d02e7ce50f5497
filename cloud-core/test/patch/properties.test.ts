import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { applyJsonPatch, applyMergePatch, ApplyConflictError, PatchError } from '@edgemesh/kube/server'
import { strategicMerge } from '../../src/patch/strategic-merge.js'
import { apply, readManagedFields, updateManagedFields } from '../../src/patch/server-side-apply.js'
import { fieldsOf, valueAt } from '../../src/patch/field-set.js'
import type { FieldPath } from '../../src/patch/field-set.js'
import type { JsonObject, JsonValue } from '@edgemesh/kube/server'
import { deploymentGvk, testSchema } from './fixtures.js'

const RUNS = { numRuns: 100 }
const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>
const jsonObject = fc.dictionary(fc.constantFrom('a', 'b', 'l', 'x'), json, { maxKeys: 4 }) as fc.Arbitrary<JsonObject>

const pointer = fc.constantFrom('', '/a', '/a/b', '/b', '/l', '/l/0', '/l/1', '/l/-', '/x/y/z', '/a/0')
const jsonPatchOp = fc.oneof(
  fc.record({ op: fc.constantFrom('add', 'replace', 'test'), path: pointer, value: json }),
  fc.record({ op: fc.constant('remove'), path: pointer }),
  fc.record({ op: fc.constantFrom('move', 'copy'), path: pointer, from: pointer })
)

describe('patch properties', () => {
  it('json patch is atomic: whatever happens, the input is unchanged and failures carry a patch code', () => {
    fc.assert(fc.property(jsonObject, fc.array(jsonPatchOp, { maxLength: 5 }), (doc, ops) => {
      const before = structuredClone(doc)
      try {
        applyJsonPatch(doc, ops)
      } catch (err) {
        expect(err).toBeInstanceOf(PatchError)
        expect(['PATCH_INVALID', 'PATCH_TEST_FAILED']).toContain((err as PatchError).code)
      }
      expect(doc).toEqual(before)
    }), RUNS)
  })

  it('merge patch with {} is the identity on objects', () => {
    fc.assert(fc.property(jsonObject, doc => {
      expect(applyMergePatch(doc, {})).toEqual(doc)
    }), RUNS)
  })

  it('merge patch applied twice equals applied once', () => {
    fc.assert(fc.property(jsonObject, jsonObject, (doc, patch) => {
      const once = applyMergePatch(doc, patch)
      expect(applyMergePatch(once, patch)).toEqual(once)
    }), RUNS)
  })

  it('strategic merge with an empty patch is the identity', () => {
    fc.assert(fc.property(configArb, jsonObject, (cfg, extra) => {
      const obj = { ...cfg, status: extra }
      expect(strategicMerge(obj, {}, testSchema, deploymentGvk)).toEqual(obj)
    }), RUNS)
  })

  it('server-side apply of the same configuration twice is idempotent and conflict-free', () => {
    fc.assert(fc.property(configArb, cfg => {
      const opts = { manager: 'm', force: false, schema: testSchema, gvk: deploymentGvk, now }
      const first = apply(undefined, cfg, opts)
      const second = apply(first.object, cfg, opts)
      expect(second.object).toEqual(first.object)
      expect(second.managedFields).toEqual(first.managedFields)
    }), RUNS)
  })

  it('random applies by two managers never lose a field owned by a manager who still applies it', () => {
    const step = fc.record({ manager: fc.constantFrom('m1', 'm2'), config: configArb, force: fc.boolean() })
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), steps => {
      let live: JsonObject | undefined
      const lastApplied: Record<string, JsonObject> = {}
      for (const s of steps) {
        let result
        try {
          result = apply(live, s.config, { manager: s.manager, force: s.force, schema: testSchema, gvk: deploymentGvk, now })
        } catch (err) {
          expect(err).toBeInstanceOf(ApplyConflictError)
          expect(s.force).toBe(false)
          continue
        }
        live = result.object
        lastApplied[s.manager] = s.config
        // The applier's configuration is fully reflected.
        for (const p of fieldsOf(s.config, ctx, true).values()) expectPresent(live, s.config, p)
        // Whatever each manager still owns carries the value that manager last applied.
        for (const o of readManagedFields(live)) {
          const cfg = lastApplied[o.entry.manager] as JsonObject
          const applied = fieldsOf(cfg, ctx, true)
          for (const [k, p] of o.set) {
            expect(applied.has(k)).toBe(true)
            expectPresent(live, cfg, p)
          }
        }
      }
    }), RUNS)
  })

  it('mixed applies and updates never leave a manager owning a field the object lacks', () => {
    const step = fc.record({ kind: fc.constantFrom('apply', 'update'), manager: fc.constantFrom('m1', 'm2', 'c'), config: configArb })
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), steps => {
      let live: JsonObject | undefined
      for (const s of steps) {
        if (s.kind === 'apply') {
          live = apply(live, s.config, { manager: s.manager, force: true, schema: testSchema, gvk: deploymentGvk, now }).object
        } else {
          // An update replaces the object with the config, keeping the recorded ownership.
          const next = structuredClone(s.config)
          const meta = next.metadata as JsonObject
          const mf = (live?.metadata as JsonObject | undefined)?.managedFields
          if (mf !== undefined) meta.managedFields = mf
          meta.managedFields = updateManagedFields(live, next, s.manager, 'Update', { ...ctx, now }) as unknown as JsonValue
          live = next
        }
        for (const o of readManagedFields(live)) {
          for (const p of o.set.values()) expect(valueAt(live, p), `${o.entry.manager} owns ${p.join(' ')}`).toBeDefined()
        }
      }
    }), RUNS)
  })
})

const now = new Date('2026-01-01T00:00:00Z')
const ctx = { schema: testSchema, gvk: deploymentGvk }

function expectPresent (live: JsonObject, cfg: JsonObject, p: FieldPath): void {
  const actual = valueAt(live, p)
  expect(actual).toBeDefined()
  const wanted = valueAt(cfg, p)
  // Owning an empty map means owning its existence; other managers may fill it.
  const emptyMap = typeof wanted === 'object' && wanted !== null && !Array.isArray(wanted) && Object.keys(wanted).length === 0
  if ((p[p.length - 1] ?? '').startsWith('f:') && !emptyMap) expect(actual).toEqual(wanted)
}

const container = fc.record({
  name: fc.constantFrom('a', 'b', 'c'),
  image: fc.constantFrom('i1', 'i2'),
  args: fc.array(fc.constantFrom('x', 'y'), { minLength: 1, maxLength: 2 }),
  env: fc.uniqueArray(fc.record({ name: fc.constantFrom('E1', 'E2'), value: fc.constantFrom('1', '2') }), { selector: e => e.name, minLength: 1, maxLength: 2 })
}, { requiredKeys: ['name'] })

const configArb: fc.Arbitrary<JsonObject> = fc.record({
  replicas: fc.integer({ min: 0, max: 3 }),
  labels: fc.dictionary(fc.constantFrom('l1', 'l2', 'l3'), fc.constantFrom('v1', 'v2'), { minKeys: 1, maxKeys: 3 }),
  finalizers: fc.uniqueArray(fc.constantFrom('f1', 'f2', 'f3'), { minLength: 1 }),
  containers: fc.uniqueArray(container, { selector: c => c.name, minLength: 1, maxLength: 3 })
}, { requiredKeys: [] }).map(r => {
  const metadata: JsonObject = { name: 'web' }
  if (r.labels !== undefined) metadata.labels = r.labels
  if (r.finalizers !== undefined) metadata.finalizers = r.finalizers
  const spec: JsonObject = {}
  if (r.replicas !== undefined) spec.replicas = r.replicas
  if (r.containers !== undefined) spec.template = { spec: { containers: r.containers as JsonValue } }
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec }
})
