#!/usr/bin/env node
import '@edgemesh/common/polyfill'
import { runCloudCore } from './cli.js'
import { resolveCloudCoreConfig } from '../config.js'

// `npm start`: the EdgeSite-style single machine. For now that is cloudcore on its defaults
// (./.edgemesh-data/cloudcore when not root, port 6443); edge-core and the mesh agent join later.
try {
  await runCloudCore(resolveCloudCoreConfig({ log: { format: process.stdout.isTTY ? 'pretty' : 'json' } }), { log: s => { console.log(s) }, error: s => { console.error(s) } })
} catch (err) {
  console.error(`all-in-one: ${(err as Error).message}`)
  process.exit(1)
}
