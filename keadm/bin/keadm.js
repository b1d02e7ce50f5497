#!/usr/bin/env node
// The `keadm` command (package.json "bin"): runs the built entry point. Build first: npm run build.
import { launch } from '@edgemesh/common/launch'

await launch('keadm', new URL('../dist/src/bin/keadm.js', import.meta.url))
