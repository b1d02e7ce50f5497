// Single-file daemon bundles (npm run bundle): file size, and time from spawn to the ready line for
// the bundle vs the same daemon run from the workspace's compiled output (node_modules resolution),
// in interleaved rounds. Writes bench/results/bundle.{json,md}.
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { firstLine, writeEdgeMeshServerConfig } from '../../test/helpers/daemons.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const ROUNDS = Number(process.argv.find(a => a.startsWith('--rounds='))?.split('=')[1] ?? 7)
execFileSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), 'edgemesh-server'], { cwd: ROOT, stdio: 'inherit' })
const bundle = join(ROOT, 'dist-bundle/edgemesh-server.mjs')
const variants = {
  bundle,
  workspace: join(ROOT, 'edgemesh-server/dist/src/bin/edgemesh-server.js')
} as const

async function startMs (entry: string, config: string): Promise<number> {
  const t0 = performance.now()
  const child = spawn(process.execPath, [entry, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    await firstLine(child, l => l.includes('"ready":true'))
    return performance.now() - t0
  } finally {
    await new Promise<void>(resolve => { child.on('exit', () => { resolve() }); child.kill('SIGTERM') })
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-bundle-'))
const load = loadavg()[0]!
const times: Record<keyof typeof variants, number[]> = { bundle: [], workspace: [] }
try {
  const config = await writeEdgeMeshServerConfig(dir)
  await startMs(variants.bundle, config); await startMs(variants.workspace, config) // warm the page cache
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? (['bundle', 'workspace'] as const) : (['workspace', 'bundle'] as const)
    for (const v of order) times[v].push(await startMs(variants[v], config))
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }
const sizeMiB = statSync(bundle).size / 1024 / 1024
const ratios = times.bundle.map((b, i) => b / times.workspace[i]!)
const results = join(ROOT, 'bench/results')
mkdirSync(results, { recursive: true })
writeFileSync(join(results, 'bundle.json'), JSON.stringify({ node: process.version, rounds: ROUNDS, loadAverage1m: load, bundleBytes: statSync(bundle).size, startMs: times, ratioBundleOverWorkspace: ratios }, null, 2) + '\n')
const f = (xs: number[]): string => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`
const md = [
  '## Single-file daemon bundle (edgemesh-server)',
  '',
  `${ROUNDS} interleaved rounds on Node ${process.version} (1-min load average ${load.toFixed(2)} at start): spawn to ready line, ms, median (min-max).`,
  '',
  '| variant | size | start to ready, ms |',
  '|---|---|---|',
  `| bundle (\`dist-bundle/edgemesh-server.mjs\`) | ${sizeMiB.toFixed(2)} MiB, one file | ${f(times.bundle)} |`,
  `| workspace (\`edgemesh-server/dist\` + node_modules) | install tree | ${f(times.workspace)} |`,
  `| bundle ÷ workspace | | ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}) |`,
  ''
].join('\n')
writeFileSync(join(results, 'bundle.md'), md)
console.log(md)
