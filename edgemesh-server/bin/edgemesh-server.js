#!/usr/bin/env node
// The `edgemesh-server` command (package.json "bin"): runs the built entry point. Build first: npm run build.
import { launch } from '@edgemesh/common/launch'

await launch('edgemesh-server', new URL('../dist/src/bin/edgemesh-server.js', import.meta.url))
