#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { createLogger, hasCode } from '@edgemesh/common'
import { loadOrCreatePeerKey } from '@edgemesh/mesh'
import { defaultDataDir, loadServerConfig } from '../config.js'
import { createEdgeMeshServer } from '../server.js'

const USAGE = `usage: edgemesh-server --config <file.yaml> [--log-format json|pretty] [--print-peer-id]
  --print-peer-id  create (if needed) the libp2p key in dataDir, print its peer id and exit
                   (issue the server certificate for that id: CN system:node:<nodeName>, URI SAN edgemesh:peer:<id>)`

async function main (): Promise<number> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, 'log-format': { type: 'string' }, 'print-peer-id': { type: 'boolean' }, help: { type: 'boolean' } }, strict: true })
  if (values.help === true || values.config === undefined) { console.error(USAGE); return values.help === true ? 0 : 2 }
  const config = await loadServerConfig(values.config)
  if (values['print-peer-id'] === true) {
    const key = await loadOrCreatePeerKey(config.dataDir ?? defaultDataDir())
    console.log(key.peerId.toString())
    return 0
  }
  const format = values['log-format'] === 'pretty' ? 'pretty' : config.log.format
  const logger = createLogger({ name: 'edgemesh-server', level: config.log.level, format })
  const server = createEdgeMeshServer(config, { logger })
  await server.start()
  // One line on stdout that scripts and tests can wait for.
  console.log(JSON.stringify({ ready: true, peerId: server.peerId.toString(), addrs: server.getMultiaddrs().map(String), httpPort: server.httpPort, node: process.version }))
  await new Promise<void>(resolve => {
    const onSignal = (): void => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); resolve() }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
  await server.stop()
  return 0
}

main().then(code => { process.exitCode = code }, (err: unknown) => {
  console.error(hasCode(err, 'CONFIG_INVALID') || hasCode(err, 'SERVER_IDENTITY_INVALID') ? `edgemesh-server: ${(err as Error).message}` : err)
  process.exitCode = 1
})
