import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadOrCreateCA } from '../../src/bootstrap/index.js'

const dirs: string[] = []
async function tmp (): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ca-once-'))
  dirs.push(d)
  return d
}
afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }) })

describe('loadOrCreateCA', () => {
  it('creates a CA once and loads the same one afterwards', async () => {
    const dir = await tmp()
    const a = await loadOrCreateCA(dir)
    const b = await loadOrCreateCA(dir)
    expect(b).toEqual(a)
  })

  it('gives every concurrent caller on a shared directory the same CA', async () => {
    const dir = await tmp()
    const all = await Promise.all(Array.from({ length: 8 }, async () => await loadOrCreateCA(dir)))
    expect(new Set(all.map(c => c.certPem)).size).toBe(1)
    expect(new Set(all.map(c => c.keyPem)).size).toBe(1)
  })

  it('leaves no temp files behind after a race', async () => {
    const dir = await tmp()
    await Promise.all(Array.from({ length: 4 }, async () => await loadOrCreateCA(dir)))
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'ca.key'])
  })

  it('reports a certificate without its key as BOOTSTRAP_CA_INCOMPLETE', async () => {
    const dir = await tmp()
    const ca = await loadOrCreateCA(join(dir, 'a'))
    await writeFile(join(dir, 'ca.crt'), ca.certPem)
    await expect(loadOrCreateCA(dir, { waitMs: 100 })).rejects.toMatchObject({ code: 'BOOTSTRAP_CA_INCOMPLETE' })
  })
})
