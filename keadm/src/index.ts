export { keadm } from './bin-main.js'
export { gettoken, init, join, reset, type InitOptions, type JoinOptions } from './commands.js'
export { KeadmError, ERROR_CATALOGUE, type KeadmCode } from './errors.js'
