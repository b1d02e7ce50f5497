import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ERROR_CATALOGUE, PatchError, applyPatch, patchTypeOf } from '../../src/patch/index.js'
import { crdGvk, deployment, deploymentGvk, testSchema } from './fixtures.js'

const opts = { schema: testSchema, gvk: deploymentGvk }

function codeOf (fn: () => unknown): string {
  try { fn() } catch (err) { if (err instanceof PatchError) return err.code; throw err }
  return 'none'
}

describe('applyPatch', () => {
  it('dispatches json, merge and strategic patches', () => {
    expect(applyPatch<any>('json', deployment(), [{ op: 'replace', path: '/spec/replicas', value: 4 }], opts).spec.replicas).toBe(4)
    expect(applyPatch<any>('merge', deployment(), { spec: { template: { spec: { containers: [{ name: 'only' }] } } } }, opts).spec.template.spec.containers).toEqual([{ name: 'only' }])
    expect(applyPatch<any>('strategic', deployment(), { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'x' }] } } } }, opts).spec.template.spec.containers).toHaveLength(2)
  })

  it('refuses strategic merge for kinds without strategic metadata with PATCH_UNSUPPORTED_MEDIA_TYPE (415)', () => {
    let err: unknown
    try { applyPatch('strategic', { spec: {} }, { spec: { a: 1 } }, { schema: testSchema, gvk: crdGvk }) } catch (e) { err = e }
    expect(err).toBeInstanceOf(PatchError)
    expect((err as PatchError).code).toBe('PATCH_UNSUPPORTED_MEDIA_TYPE')
    expect((err as PatchError).toApiError().httpStatus).toBe(415)
  })

  it('applies an apply patch when given a field manager and requires one', () => {
    const cfg = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 9 } }
    const out = applyPatch<any>('apply', deployment(), cfg, { ...opts, manager: 'kubectl', force: true, now: new Date(0) })
    expect(out.spec.replicas).toBe(9)
    expect(out.metadata.managedFields.map((e: any) => e.manager)).toEqual(['kubectl'])
    expect(codeOf(() => applyPatch('apply', deployment(), cfg, opts))).toBe('PATCH_INVALID')
  })

  it('maps PATCH content types to patch types and rejects others', () => {
    expect(patchTypeOf('application/strategic-merge-patch+json; charset=utf-8')).toBe('strategic')
    expect(patchTypeOf('application/json-patch+json')).toBe('json')
    expect(patchTypeOf('application/merge-patch+json')).toBe('merge')
    expect(patchTypeOf('application/apply-patch+yaml')).toBe('apply')
    expect(codeOf(() => patchTypeOf('text/plain'))).toBe('PATCH_UNSUPPORTED_MEDIA_TYPE')
  })
})

describe('patch error catalogue', () => {
  const thrown: Record<string, () => unknown> = {
    PATCH_INVALID: () => applyPatch('json', {}, [{ op: 'remove', path: '/nope' }], opts),
    PATCH_TEST_FAILED: () => applyPatch('json', { a: 1 }, [{ op: 'test', path: '/a', value: 2 }], opts),
    PATCH_UNSUPPORTED_MEDIA_TYPE: () => patchTypeOf('application/xml'),
    PATCH_APPLY_CONFLICT: () => {
      const first = applyPatch('apply', undefined, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w' }, spec: { replicas: 1 } }, { ...opts, manager: 'a' })
      return applyPatch('apply', first, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w' }, spec: { replicas: 2 } }, { ...opts, manager: 'b' })
    }
  }

  it('throws every catalogued code somewhere', () => {
    for (const code of Object.keys(ERROR_CATALOGUE)) {
      expect(thrown[code], code).toBeDefined()
      expect(codeOf(thrown[code] as () => unknown)).toBe(code)
    }
  })

  it('documents every code in docs/errors.md', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8')
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(doc).toContain(`| ${code} |`)
  })
})
