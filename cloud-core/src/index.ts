// Public surface of @edgemesh/cloud-core: the assembled binary plus the pieces tests and tools
// build on. Each module keeps its own ERROR_CATALOGUE; import them from their modules.
export { createCloudCore, ensurePki, adminKubeconfig, cloudCorePaths, SYSTEM_NAMESPACES, type CloudCore, type CloudCoreComponents, type ClusterPki } from './cloudcore.js'
export { cloudCoreConfigSchema, resolveCloudCoreConfig, loadCloudCoreConfig, defaultDataDir, parseDuration, type CloudCoreConfig, type CloudCoreConfigInput } from './config.js'
export * from './api-server/resources/index.js'
export * from '@edgemesh/kube/server'
export * from '@edgemesh/kube/server'
export { shippedCrds } from './api-server/resources/shipped-crds.js'
export type * from '@edgemesh/kube/machinery'
export { ApiError, API_REASONS, notFound, alreadyExists, conflict, invalid, badRequest, type ApiReason, type StatusDetails } from '@edgemesh/kube/machinery'
export { createApiCore, type ApiCore, type ApiCoreInit, type ApiCoreComponents } from './api-server/api-core.js'
export { ApiServer, type ApiServerInit, type ApiServerComponents } from './api-server/server.js'
export { createStore, sqliteStore, etcdStore, type Store } from './store/index.js'
export { createControllerManager, type ControllerManager } from './controllers/index.js'
