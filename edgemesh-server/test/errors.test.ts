import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ERROR_CATALOGUE } from '../src/errors.js'

async function sources (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...await sources(p))
    else if (e.name.endsWith('.ts') && e.name !== 'errors.ts') out.push(p)
  }
  return out
}

describe('edgemesh-server error catalogue', () => {
  it('lists only codes the server itself emits, not the agent\'s NAT codes', async () => {
    const src = await Promise.all((await sources(join(import.meta.dirname, '../src'))).map(async f => await readFile(f, 'utf8')))
    const neverEmitted = Object.keys(ERROR_CATALOGUE).filter(code => !src.some(text => new RegExp(`['"\`]${code}['"\`]`).test(text)))
    expect(neverEmitted).toEqual([])
  })
})
