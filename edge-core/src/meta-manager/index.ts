export { MetaManager, type ApplyResult, type MetaManagerComponents } from './meta-manager.js'
export { MetaError, ERROR_CATALOGUE as META_ERROR_CATALOGUE, type MetaCode } from './errors.js'
