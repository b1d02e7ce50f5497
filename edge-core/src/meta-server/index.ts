export { MetaServer, META_SERVER_DEFAULTS, type MetaServerComponents, type MetaServerInit } from './meta-server.js'
