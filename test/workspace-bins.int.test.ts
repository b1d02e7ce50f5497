// Every daemon and tool is a workspace `bin`, so after `npm ci && npm run build` it runs as
// `npx <name>`. What each binary loads is checked in module-graph.int.test.ts.
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

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
  it('declares cloudcore, edgecore, keadm and edgemesh-server', async () => {
    const names = (await workspaceBins()).map(b => b.name)
    expect(names).toEqual(expect.arrayContaining(['cloudcore', 'edgecore', 'keadm', 'edgemesh-server']))
  })

  it('runs every bin with --help through node_modules/.bin, as npx does', async () => {
    for (const { name } of await workspaceBins()) {
      const link = join(ROOT, 'node_modules/.bin', name)
      expect(existsSync(link), `${link} (npm ci links workspace bins)`).toBe(true)
      const r = await run(link, ['--help'], { env, cwd: ROOT, timeout: 30_000 })
      expect(`${r.stdout}${r.stderr}`, name).toMatch(new RegExp(`usage: ${name}`, 'i'))
    }
  })

  it('says "not built yet" (exit 1) instead of a stack trace when the entry point is missing', async () => {
    const script = `import { launch } from '@edgemesh/common/launch'\nawait launch('demo', new URL('file:///nonexistent/dist/src/bin/demo.js'))\n`
    const err = await run(process.execPath, ['--input-type=module', '-e', script], { env, cwd: ROOT, timeout: 30_000 }).then(() => undefined, (e: { code?: number, stderr?: string }) => e)
    expect(err?.code).toBe(1)
    expect(err?.stderr).toBe('demo is not built yet: run `npm run build` in the repository first\n')
  })
})
