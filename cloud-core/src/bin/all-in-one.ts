#!/usr/bin/env node
import { runCloudCore } from './cli.js'
import { resolveCloudCoreConfig } from '../config.js'
import { join } from 'node:path'

// `npm start`: the EdgeSite-style single machine. For now that is cloudcore on port 6443 (or
// EDGEMESH_PORT); edge-core and the mesh agent join later. A demo keeps its state next to the
// checkout (./.edgemesh-data, or EDGEMESH_DATA_DIR) even as root, never in /var/lib.
const dataDir = process.env.EDGEMESH_DATA_DIR ?? '.edgemesh-data'
const port = process.env.EDGEMESH_PORT !== undefined ? Number(process.env.EDGEMESH_PORT) : undefined
try {
  const config = resolveCloudCoreConfig({
    dataDir: join(dataDir, 'cloudcore'),
    ...(port !== undefined ? { apiServer: { port } } : {}),
    log: { format: process.stdout.isTTY ? 'pretty' : 'json' }
  })
  await runCloudCore(config, { log: s => { console.log(s) }, error: s => { console.error(s) } })
} catch (err) {
  console.error(`all-in-one: ${(err as Error).message}`)
  process.exit(1)
}
