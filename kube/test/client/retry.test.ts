import { describe, expect, it } from 'vitest'
import type { KubeObject } from '@edgemesh/common'
import { ApiError } from '../../src/machinery/errors.js'
import type { ObjectClient } from '../../src/machinery/types.js'
import { NODES } from '../../src/machinery/kinds.js'
import { ignoreNotFound, updateWithRetry } from '../../src/client/retry.js'

/** A client holding one object whose update fails with 409 `conflicts` times before succeeding. */
function flakyClient (conflicts: number): { client: ObjectClient, gets: () => number, stored: () => KubeObject } {
  let obj: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', resourceVersion: '1', labels: {} } }
  let gets = 0
  let left = conflicts
  const unsupported = async (): Promise<never> => { throw new Error('not supported') }
  const client = {
    get: async () => { gets++; return structuredClone(obj) },
    update: async (_ref: unknown, next: KubeObject) => {
      if (left > 0) { left--; throw new ApiError('Conflict', 'the object has been modified') }
      obj = structuredClone(next)
      return structuredClone(obj)
    },
    list: unsupported,
    watch: () => { throw new Error('not supported') },
    create: unsupported,
    patch: unsupported,
    delete: unsupported,
    resolveKind: () => undefined
  } as unknown as ObjectClient
  return { client, gets: () => gets, stored: () => obj }
}

describe('controller client helpers', () => {
  it('ignoreNotFound turns a 404 into undefined and rethrows anything else', async () => {
    await expect(ignoreNotFound(Promise.reject(new ApiError('NotFound', 'gone')))).resolves.toBeUndefined()
    await expect(ignoreNotFound(Promise.resolve(7))).resolves.toBe(7)
    await expect(ignoreNotFound(Promise.reject(new ApiError('Conflict', 'busy')))).rejects.toMatchObject({ code: 'API_CONFLICT' })
  })

  it('updateWithRetry re-reads and re-applies the mutation after a conflict', async () => {
    const f = flakyClient(2)
    const out = await updateWithRetry(f.client, NODES, 'n', live => { live.metadata.labels = { ...live.metadata.labels, a: '1' }; return true })
    expect(out?.metadata.labels).toEqual({ a: '1' })
    expect(f.gets()).toBe(3)
    expect(f.stored().metadata.labels).toEqual({ a: '1' })
  })

  it('updateWithRetry writes nothing when the mutation reports no change', async () => {
    const f = flakyClient(0)
    expect(await updateWithRetry(f.client, NODES, 'n', () => false)).toBeUndefined()
    expect(f.stored().metadata.resourceVersion).toBe('1')
  })
})
