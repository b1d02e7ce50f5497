// cloudcore as the edge-link tests run it: in-process, every port on 127.0.0.1 and picked free.
import { silentLogger } from '@edgemesh/common'
import { createCloudCore, resolveCloudCoreConfig, type CloudCore, type CloudCoreConfigInput } from '../../cloud-core/src/index.js'

const LOOPBACK_ANY_PORT = { bindAddress: '127.0.0.1', port: 0 }

/** A cloudcore (not started) on loopback with free ports for API, cloud-hub and bootstrap; `extra` adds or overrides sections. */
export function loopbackCloudCore (dataDir: string, extra: Partial<CloudCoreConfigInput> = {}): CloudCore {
  return createCloudCore(resolveCloudCoreConfig({
    dataDir,
    apiServer: LOOPBACK_ANY_PORT,
    cloudHub: LOOPBACK_ANY_PORT,
    bootstrap: LOOPBACK_ANY_PORT,
    ...extra
  }), { logger: silentLogger() })
}
