// Every daemon and tool is a workspace `bin`, so after `npm ci && npm run build` it runs as
// `npx <name>`; and a binary loads only its own layer (edgemesh-server loads none of the agent).
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const run = promisify(execFile)
// What `npx` does: node_modules/.bin first on PATH, so `#!/usr/bin/env node` finds the project's Node 24.
const env = { ...process.env, PATH: [join(ROOT, 'node_modules/.bin'), dirname(process.execPath), process.env.PATH ?? ''].join(delimiter) }

async function workspaceBins (): Promise<Array<{ pkg: string, name: string }>> {
  const root = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }
  const out: Array<{ pkg: string, name: string }> = []
  for (const pkg of root.workspaces) {
    const p = JSON.parse(await readFile(join(ROOT, pkg, 'package.json'), 'utf8')) as { bin?: Record<string, string> }
    for (const name of Object.keys(p.bin ?? {})) out.push({ pkg, name })
  }
  return out
}

describe('workspace bins', () => {
  it('declares cloudcore and edgemesh-server', async () => {
    const names = (await workspaceBins()).map(b => b.name)
    expect(names).toEqual(expect.arrayContaining(['cloudcore', 'edgemesh-server']))
  })

  it('runs every bin with --help through node_modules/.bin, as npx does', async () => {
    for (const { name } of await workspaceBins()) {
      const link = join(ROOT, 'node_modules/.bin', name)
      expect(existsSync(link), `${link} (npm ci links workspace bins)`).toBe(true)
      const r = await run(link, ['--help'], { env, cwd: ROOT, timeout: 30_000 })
      expect(`${r.stdout}${r.stderr}`, name).toMatch(new RegExp(`usage: ${name}`, 'i'))
    }
  })
})

describe('module graph of a binary', () => {
  let dir: string
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'modgraph-')) })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  // Records every module the entry point loads (Node's synchronous module hooks), then lists them.
  let runs = 0
  async function loadedModules (entry: string): Promise<string[]> {
    const out = join(dir, `loaded-${++runs}.txt`)
    const hook = join(dir, `record-${runs}.mjs`)
    await writeFile(hook, `import { registerHooks } from 'node:module'
registerHooks({ load (url, context, next) { appendFileSync(${JSON.stringify(out)}, url + '\\n'); return next(url, context) } })
`)
    await run(process.execPath, ['--import', pathToFileURL(hook).href, join(ROOT, entry), '--help'], { cwd: ROOT, timeout: 30_000 }).catch(() => undefined)
    return (await readFile(out, 'utf8')).split('\n').filter(l => l !== '')
  }

  it('edgemesh-server loads no module of the agent (tunnel service, DNS, proxy) and none of cloud-core', async () => {
    const mods = await loadedModules('edgemesh-server/dist/src/bin/edgemesh-server.js')
    expect(mods.some(m => m.includes('/edgemesh-server/dist/src/server.js'))).toBe(true)
    expect(mods.some(m => m.includes('/mesh/dist/src/'))).toBe(true)
    expect(mods.filter(m => m.includes('/edgemesh-agent/') || m.includes('/cloud-core/'))).toEqual([])
  })

  it('cloudcore loads the shared kube machinery and none of edge-core or the mesh products', async () => {
    const mods = await loadedModules('cloud-core/dist/src/bin/cloudcore.js')
    expect(mods.some(m => m.includes('/kube/dist/src/server/'))).toBe(true)
    expect(mods.filter(m => m.includes('/edge-core/') || m.includes('/edgemesh-agent/') || m.includes('/edgemesh-server/'))).toEqual([])
  })
})
