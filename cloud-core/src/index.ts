// Public surface of @edgemesh/cloud-core: the assembled binary plus the cloud-only pieces tests and
// tools build on. The shared machinery (types, ApiError, storage, server parts) is imported from
// @edgemesh/kube. Each module keeps its own ERROR_CATALOGUE; import them from their modules.
export { CloudCoreError, ERROR_CATALOGUE as CLOUDCORE_ERROR_CATALOGUE, type CloudCoreErrorCode } from './errors.js'
export { createCloudCore, ensurePki, loadClusterCA, adminKubeconfig, cloudCorePaths, type CloudCore, type CloudCoreComponents, type ClusterPki } from './cloudcore.js'
export { cloudCoreConfigSchema, resolveCloudCoreConfig, loadCloudCoreConfig, defaultDataDir, parseDuration, type CloudCoreConfig, type CloudCoreConfigInput } from './config.js'
export * from './api-server/resources/index.js'
export { shippedCrds } from './api-server/resources/shipped-crds.js'
export { createApiCore, type ApiCore, type ApiCoreInit, type ApiCoreComponents } from './api-server/api-core.js'
export { ApiServer, type ApiServerInit, type ApiServerComponents } from './api-server/server.js'
export { createStore, etcdStore } from './store/index.js'
export { JoinTokens } from './bootstrap/index.js'
export { createControllerManager, type ControllerManager } from './controllers/index.js'
