import type { Logger } from '@edgemesh/common'
import { etcdStore } from './etcd-store.js'
import { sqliteStore, type Store } from '@edgemesh/kube/storage'
import type { StoreConfig } from './store-config.js'

// The cloud's store backends: etcd here, SQLite from @edgemesh/kube/storage (which also holds the
// Store contract, its errors and the watch queue).
export * from './etcd-store.js'
export * from './store-config.js'

export interface StoreComponents {
  /** @default silent */
  logger?: Logger
}

/** Builds the configured backend (not started). Validate `config` with `storeConfigSchema` first. */
export function createStore (config: StoreConfig, components: StoreComponents = {}): Store {
  if (config.type === 'etcd') {
    const { type: _type, ...init } = config
    return etcdStore({ ...init, logger: components.logger })
  }
  const { type: _type, ...init } = config
  return sqliteStore({ ...init, logger: components.logger })
}
