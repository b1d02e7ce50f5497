import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@edgemesh/common'
import { createApiCore, type ApiCore } from '../../../src/api-server/api-core.js'
import { fallbackPatcher, type Patcher, type RestStorageInit } from '@edgemesh/kube/server'
import type { ResourceDefinition, SchemaValidator } from '@edgemesh/kube/machinery'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { testResources } from './defs.js'

export interface TestCore extends ApiCore { store: SqliteStore, dir: string, close: () => Promise<void> }

/** Real SQLite store in a temp dir + the API core with the test definitions. */
export async function testCore (opts: RestStorageInit & { validator?: SchemaValidator, patcher?: Patcher, resources?: Iterable<ResourceDefinition>, validation?: boolean } = {}): Promise<TestCore> {
  const dir = mkdtempSync(join(tmpdir(), 'h4-api-'))
  const store = sqliteStore({ dataDir: dir, compactIntervalMs: 0 })
  await store.start()
  const core = await createApiCore({ store, logger: silentLogger(), resources: testResources(), validation: false, patcher: fallbackPatcher, ...opts })
  return {
    ...core,
    store,
    dir,
    close: async () => {
      await store.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/**
 * Test double of the openapi module's validator: knows the top-level fields of each test kind and
 * the fields of `spec` for deployments, enough to exercise Strict/Warn/Ignore.
 */
export const fakeValidator: SchemaValidator = {
  validate: (gvk, obj) => {
    const known: Record<string, string[]> = {
      ConfigMap: ['apiVersion', 'kind', 'metadata', 'data', 'binaryData', 'immutable'],
      Deployment: ['apiVersion', 'kind', 'metadata', 'spec', 'status']
    }
    const unknownFields: string[] = []
    const o = obj as Record<string, unknown>
    const top = known[gvk.kind]
    if (top !== undefined) for (const k of Object.keys(o)) if (!top.includes(k)) unknownFields.push(k)
    if (gvk.kind === 'Deployment' && typeof o.spec === 'object' && o.spec !== null) {
      for (const k of Object.keys(o.spec)) if (!['replicas', 'selector', 'template', 'strategy', 'paused'].includes(k)) unknownFields.push(`spec.${k}`)
    }
    const causes = gvk.kind === 'ConfigMap' && o.data !== undefined && (typeof o.data !== 'object' || o.data === null || Array.isArray(o.data))
      ? [{ field: 'data', message: 'Invalid value: must be an object' }]
      : []
    return { unknownFields, causes }
  }
}
