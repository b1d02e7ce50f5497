#!/usr/bin/env node
// `npm run bench`: runs every bench/<name>/run.ts from its TypeScript sources (each measures itself AND its baseline in the same run,
// writes bench/results/<name>.json and bench/results/<name>.md), then joins the markdown tables into
// bench/results/README.md. Pass names to run a subset: `npm run bench -- tunnel store`.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const results = join(here, 'results')
mkdirSync(results, { recursive: true })
const wanted = process.argv.slice(2)
const suites = readdirSync(here, { withFileTypes: true })
  .filter(d => d.isDirectory() && d.name !== 'results' && existsSync(join(here, d.name, 'run.ts')))
  .map(d => d.name)
  .filter(n => wanted.length === 0 || wanted.includes(n))

let failed = 0
for (const name of suites) {
  console.log(`== bench ${name}`)
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(here, name, 'run.ts')], { stdio: 'inherit', cwd: join(here, '..') })
  if (r.status !== 0) { failed++; console.log(`bench ${name} failed (exit ${r.status})`) }
}
const parts = ['# Benchmark results', '', `Generated ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}. Ratios compare against a baseline measured in the same run.`, '']
for (const f of readdirSync(results).filter(f => f.endsWith('.md') && f !== 'README.md').sort()) {
  parts.push(readFileSync(join(results, f), 'utf8').trim(), '')
}
writeFileSync(join(results, 'README.md'), parts.join('\n'))
console.log(`${suites.length - failed} benchmarks ran, ${failed} failed; see bench/results/README.md`)
process.exit(failed > 0 ? 1 : 0)
