#!/usr/bin/env node
// The `cloudcore` command (package.json "bin"): runs the built entry point. Build first: npm run build.
import { launch } from '@edgemesh/common/launch'

await launch('cloudcore', new URL('../dist/src/bin/cloudcore.js', import.meta.url))
