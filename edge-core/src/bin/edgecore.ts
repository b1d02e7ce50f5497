#!/usr/bin/env node
import { edgeConfigFromArgs, runEdgeCore, USAGE } from './cli.js'

try {
  const config = await edgeConfigFromArgs(process.argv.slice(2))
  if (config === 'help') {
    console.log(USAGE)
  } else {
    await runEdgeCore(config, { log: s => { console.log(s) }, error: s => { console.error(s) } })
  }
} catch (err) {
  console.error(`edgecore: ${(err as Error).message}`)
  process.exit(1)
}
