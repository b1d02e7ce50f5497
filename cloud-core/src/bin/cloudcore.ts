#!/usr/bin/env node
import { configFromArgs, runCloudCore, USAGE } from './cli.js'

try {
  const config = await configFromArgs(process.argv.slice(2))
  if (config === 'help') {
    console.log(USAGE)
  } else {
    await runCloudCore(config, { log: s => { console.log(s) }, error: s => { console.error(s) } })
  }
} catch (err) {
  console.error(`cloudcore: ${(err as Error).message}`)
  process.exit(1)
}
