import { readdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ERROR_CATALOGUE } from '../../src/index.js'

const here = dirname(fileURLToPath(import.meta.url))
const src = join(here, '../../src')

async function sources (): Promise<string> {
  const out: string[] = []
  for (const dir of ['identity', 'tunnel']) {
    for (const f of await readdir(join(src, dir))) {
      if (f.endsWith('.ts') && f !== 'errors.ts') out.push(await readFile(join(src, dir, f), 'utf8'))
    }
  }
  return out.join('\n')
}

describe('agent identity/tunnel error catalogue', () => {
  it('documents every code in docs/errors.md', async () => {
    const doc = await readFile(join(here, '../../../docs/errors.md'), 'utf8')
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(doc, code).toContain(`| ${code} |`)
  })

  it('uses every code somewhere outside the catalogue itself', async () => {
    const text = await sources()
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(text, code).toContain(`'${code}'`)
  })
})
