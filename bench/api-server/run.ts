// Entry point for bench/run.js, which starts every suite as `node --import tsx <suite>/run.ts`. The
// workspace packages resolve to their TypeScript sources only under the `source` condition, so the
// benchmark itself (api-bench.ts) runs in a child with it. Arguments pass through.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const bench = fileURLToPath(new URL('./api-bench.ts', import.meta.url))
const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', bench, ...process.argv.slice(2)], { stdio: 'inherit' })
if (r.error !== undefined) console.error(`api-server bench: ${r.error.message}`)
process.exitCode = r.status ?? 1
