import type { Logger } from '@edgemesh/common'
import { OpenApiPatchSchema, OpenApiPublisher, OpenApiValidator, SchemaIndex } from '../openapi/index.js'
import { updateManagedFields } from '../patch/index.js'
import type { Store } from '@edgemesh/kube/storage'
import { kubePatcher } from './kube-patcher.js'
import { LocalClient, type LocalClientInit } from '@edgemesh/kube/client'
import { DefaultResourceRegistry, GroupRoutedBackend, RestStorage, type Patcher, type ResourceBackend, type RestStorageInit } from '@edgemesh/kube/server'
import { builtinResources } from './resources/index.js'
import type { PatchSchema, ResourceDefinition, SchemaValidator } from '@edgemesh/kube/machinery'

export interface ApiCoreInit extends RestStorageInit {
  /** Definitions to serve. @default builtinResources() */
  resources?: Iterable<ResourceDefinition>
  client?: LocalClientInit
  /** Schema validation of writes (unknown fields, types, required). @default true */
  validation?: boolean
  /** Record managedFields for writes that name a fieldManager. @default true */
  trackFields?: boolean
}

export interface ApiCoreComponents {
  /** Must already be started. */
  store: Store
  logger: Logger
  /** Shared schema index (building one costs ~0.5 s on first use). @default a new SchemaIndex */
  schemaIndex?: SchemaIndex
  /** @default OpenApiValidator over the schema index (unless validation is false) */
  validator?: SchemaValidator
  /** @default OpenApiPatchSchema over the schema index */
  patchSchema?: PatchSchema
  /** @default the patch module (JSON, merge, strategic merge, server-side apply) */
  patcher?: Patcher
  /** API groups served from elsewhere than the store (metrics.k8s.io from memory), by group. @default none */
  backends?: Record<string, ResourceBackend>
}

export interface ApiCore {
  registry: DefaultResourceRegistry
  storage: RestStorage
  /** What serves requests: `storage`, with the groups of `backends` routed to theirs. */
  backend: ResourceBackend
  /** In-process client acting as system:admin. */
  client: LocalClient
  schemaIndex: SchemaIndex
  /** /openapi/v3 documents for the registry's current resources. */
  openapi: OpenApiPublisher
}

/**
 * Wires registry + storage + in-process client over a started store and creates the system
 * namespaces. The HTTP server (server.ts) takes the result, so controllers and kubectl share one core:
 * `const api = await createApiCore({ store, logger })` then `api.client.create(...)`.
 */
export async function createApiCore (components: ApiCoreComponents & ApiCoreInit): Promise<ApiCore> {
  const registry = new DefaultResourceRegistry(components.resources ?? builtinResources())
  const schemaIndex = components.schemaIndex ?? new SchemaIndex()
  const patchSchema = components.patchSchema ?? new OpenApiPatchSchema({ index: schemaIndex })
  const validator = components.validator ?? (components.validation === false ? undefined : new OpenApiValidator({ index: schemaIndex }))
  const holder: { client?: LocalClient } = {}
  const storage = new RestStorage({
    store: components.store,
    logger: components.logger,
    validator,
    patchSchema,
    patcher: components.patcher ?? kubePatcher(patchSchema),
    client: () => holder.client!,
    trackFields: components.trackFields === false
      ? undefined
      : (old, updated, manager, ctx) => updateManagedFields(old, updated, manager, 'Update', { schema: patchSchema, gvk: ctx.gvk, now: ctx.now, subresource: ctx.subresource })
  }, components)
  const backends = components.backends ?? {}
  const backend = Object.keys(backends).length === 0 ? storage : new GroupRoutedBackend(storage, backends)
  const client = new LocalClient({ registry, storage: backend }, components.client)
  holder.client = client
  await storage.ensureSystemNamespaces()
  const openapi = new OpenApiPublisher({ index: schemaIndex, resources: () => registry.all() })
  return { registry, storage, backend, client, schemaIndex, openapi }
}
