import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'

// Every package keeps its error codes in an exported ERROR_CATALOGUE. This suite checks that each
// code is documented in docs/errors.md and is actually used somewhere outside its catalogue.
const root = fileURLToPath(new URL('..', import.meta.url))
const packages = ['common', 'kube', 'cloud-core', 'edge-core', 'mesh', 'edgemesh-agent', 'edgemesh-server', 'keadm']

async function sources (dir: string): Promise<string[]> {
  const out: string[] = []
  let entries
  try { entries = await readdir(dir, { withFileTypes: true }) } catch { return out }
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...await sources(p))
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p)
  }
  return out
}

async function catalogues (): Promise<Array<{ file: string, codes: Record<string, string>, text: string }>> {
  const found = []
  for (const pkg of packages) {
    for (const file of await sources(join(root, pkg, 'src'))) {
      const text = await readFile(file, 'utf8')
      if (!/export const ERROR_CATALOGUE\b/.test(text)) continue
      const mod = await import(pathToFileURL(file).href) as { ERROR_CATALOGUE: Record<string, string> }
      found.push({ file, codes: mod.ERROR_CATALOGUE, text })
    }
  }
  return found
}

describe('error catalogue', () => {
  it('documents every error code in docs/errors.md', async () => {
    const doc = await readFile(join(root, 'docs/errors.md'), 'utf8')
    const cats = await catalogues()
    expect(cats.length).toBeGreaterThan(0)
    const missing = cats.flatMap(c => Object.keys(c.codes).filter(code => !doc.includes(code)).map(code => `${code} (${relative(root, c.file)})`))
    expect(missing).toEqual([])
  })

  it('uses every catalogued code somewhere outside its catalogue', async () => {
    const cats = await catalogues()
    const all: string[] = []
    for (const pkg of packages) {
      for (const f of await sources(join(root, pkg, 'src'))) all.push(await readFile(f, 'utf8'))
    }
    const unused: string[] = []
    for (const c of cats) {
      for (const code of Object.keys(c.codes)) {
        // Catalogue keys are unquoted (`CODE: 'meaning'`), so any quoted occurrence is a use.
        const quoted = new RegExp(`['"\`]${code}['"\`]`)
        if (!all.some(text => quoted.test(text))) unused.push(code)
      }
    }
    expect(unused).toEqual([])
  })

  it('lists every mesh, agent and server code in its package README as well', async () => {
    // Those packages document their codes next to their options; a catalogue file's package is its first path segment.
    const readmes: Record<string, string> = {}
    for (const pkg of ['mesh', 'edgemesh-agent', 'edgemesh-server']) readmes[pkg] = await readFile(join(root, pkg, 'README.md'), 'utf8')
    const cats = (await catalogues()).filter(c => c.file.endsWith('errors.ts'))
    const missing: string[] = []
    for (const c of cats) {
      const pkg = relative(root, c.file).split('/')[0] ?? ''
      const readme = readmes[pkg]
      if (readme === undefined) continue
      for (const code of Object.keys(c.codes)) if (!readme.includes(code)) missing.push(`${code} (${pkg}/README.md)`)
    }
    expect(cats.some(c => relative(root, c.file).startsWith('mesh/'))).toBe(true)
    expect(missing).toEqual([])
  })
})
