import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger, type KubeObject, type WatchEvent } from '@edgemesh/common'
import type { ObjectClient, ResourceRef, WatchOpts } from '@edgemesh/kube/machinery'
import { fallbackPatcher } from '@edgemesh/kube/server'
import { sqliteStore, type SqliteStore } from '@edgemesh/kube/storage'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApiCore, type ApiCore } from '../src/api-server/api-core.js'
import { builtinResources, ServiceAllocator } from '../src/api-server/resources/index.js'
import { CrdRegistrar, CRDS } from '../src/crd-registrar.js'
import { SchemaIndex } from '../src/openapi/index.js'

const crd = (plural: string, kind: string): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.example.io` },
  spec: { group: 'example.io', scope: 'Namespaced', names: { plural, kind }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] }
})

/**
 * The real client, except that the first CRD watch stalls (it delivers nothing, as a watch that
 * fell behind would) until `expire()` ends it with 410 Expired.
 */
function stallingClient (client: ObjectClient): ObjectClient & { expire: () => void, watches: number } {
  let release!: () => void
  const stalled = new Promise<void>(resolve => { release = resolve })
  const wrapped = {
    get: client.get.bind(client),
    list: client.list.bind(client),
    create: client.create.bind(client),
    update: client.update.bind(client),
    patch: client.patch.bind(client),
    delete: client.delete.bind(client),
    resolveKind: client.resolveKind.bind(client),
    watches: 0,
    expire: () => { release() },
    watch: <T extends KubeObject = KubeObject>(ref: ResourceRef, opts: WatchOpts): AsyncIterable<WatchEvent<T>> => {
      if (ref.resource !== CRDS.resource || ++wrapped.watches > 1) return client.watch<T>(ref, opts)
      return (async function * () {
        await stalled
        yield { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' } } satisfies WatchEvent<T>
      })()
    }
  }
  return wrapped
}

describe('CrdRegistrar', () => {
  let dir: string
  let store: SqliteStore
  let core: ApiCore
  let registrar: CrdRegistrar | undefined

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crd-registrar-'))
    store = sqliteStore({ dataDir: dir, compactIntervalMs: 0 })
    await store.start()
    core = await createApiCore({ store, logger: silentLogger(), resources: builtinResources({ allocator: new ServiceAllocator({}) }), validation: false, patcher: fallbackPatcher })
  })

  afterEach(async () => {
    await registrar?.stop()
    registrar = undefined
    await store.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('registers the stored CRDs before start resolves', async () => {
    await core.client.create(CRDS, crd('gadgets', 'Gadget'))
    registrar = new CrdRegistrar({ client: core.client, registry: core.registry, index: new SchemaIndex(), logger: silentLogger() })
    await registrar.start()
    expect(core.registry.lookup('example.io', 'v1', 'gadgets')?.kind).toBe('Gadget')
  })

  // Before: on a 410 the registrar re-watched from "0" without relisting, so a CRD deleted while its
  // watch was behind stayed registered and kept serving a resource with no definition behind it.
  it('forgets a CRD deleted while its watch was expired (relists after 410)', async () => {
    await core.client.create(CRDS, crd('gadgets', 'Gadget'))
    await core.client.create(CRDS, crd('widgets', 'Widget'))
    const client = stallingClient(core.client)
    registrar = new CrdRegistrar({ client, registry: core.registry, index: new SchemaIndex(), logger: silentLogger() })
    await registrar.start()
    expect(core.registry.lookup('example.io', 'v1', 'gadgets')).toBeDefined()
    await core.client.delete(CRDS, 'gadgets.example.io')
    client.expire()
    await expect.poll(() => core.registry.lookup('example.io', 'v1', 'gadgets'), { timeout: 5_000 }).toBeUndefined()
    expect(core.registry.lookup('example.io', 'v1', 'widgets')?.kind).toBe('Widget')
    expect(client.watches).toBeGreaterThanOrEqual(2)
  })

  it('stop is idempotent and ends the watch', async () => {
    registrar = new CrdRegistrar({ client: core.client, registry: core.registry, index: new SchemaIndex(), logger: silentLogger() })
    await registrar.start()
    await registrar.stop()
    await registrar.stop()
    expect(registrar.isStarted()).toBe(false)
  })
})
