#!/usr/bin/env node
// The `edgecore` command (package.json "bin"): runs the built entry point. Build first: npm run build.
import { launch } from '@edgemesh/common/launch'

await launch('edgecore', new URL('../dist/src/bin/edgecore.js', import.meta.url))
