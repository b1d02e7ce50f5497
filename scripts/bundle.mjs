#!/usr/bin/env node
// `npm run bundle`: each daemon as one self-contained JavaScript file for edge devices, built with
// esbuild from the compiled entry points (run `npm run build` first; `npm run bundle` does).
// A target device then needs only Node 24 and the file: `node edgemesh-server.mjs --config ...`.
// Daemons with a native addon (cloudcore: better-sqlite3) are not bundled: they ship as the
// workspace install (see README "Deploying on real nodes").
// Usage: node scripts/bundle.mjs [name...]   (default: every daemon below); writes dist-bundle/<name>.mjs
import { build } from 'esbuild'
import { statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Daemons that bundle into one file: name → compiled entry point. */
const DAEMONS = {
  'edgemesh-server': 'edgemesh-server/dist/src/bin/edgemesh-server.js'
}

const wanted = process.argv.slice(2)
const names = wanted.length > 0 ? wanted : Object.keys(DAEMONS)
for (const name of names) {
  const entry = DAEMONS[name]
  if (entry === undefined) {
    console.error(`bundle: unknown daemon "${name}" (known: ${Object.keys(DAEMONS).join(', ')})`)
    process.exit(2)
  }
  const outfile = join(root, 'dist-bundle', `${name}.mjs`)
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'external',
    logLevel: 'warning',
    // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }
  })
  console.log(`${name}: ${outfile} (${(statSync(outfile).size / 1024 / 1024).toFixed(2)} MiB)`)
}
