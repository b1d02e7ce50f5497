// Entry point for bench/run.js: the measurement runs in a child under the `source` condition (the
// workspace packages resolve to their TypeScript sources only then). Arguments pass through.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const bench = fileURLToPath(new URL('./edged-bench.ts', import.meta.url))
const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', bench, ...process.argv.slice(2)], { stdio: 'inherit' })
if (r.error !== undefined) console.error(`edged bench: ${r.error.message}`)
process.exitCode = r.status ?? 1
