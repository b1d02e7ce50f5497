import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ERROR_CATALOGUE } from '../../src/client/errors.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const root = join(here, '..', '..', '..')
// Read as text: the controllers and the scheduler that throw them live in cloud-core.
const sources = ['kube/src/client', 'cloud-core/src/controllers', 'cloud-core/src/scheduler']
  .flatMap(d => readdirSync(join(root, d)).filter(f => f.endsWith('.ts') && f !== 'errors.ts').map(f => readFileSync(join(root, d, f), 'utf8')))
  .join('\n')

describe('controller error catalogue', () => {
  it('documents every code in docs/errors.md', () => {
    const docs = readFileSync(join(root, 'docs', 'errors.md'), 'utf8')
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(docs, code).toContain(`| ${code} |`)
  })
  it('throws every code somewhere in the client layer, the controllers or the scheduler', () => {
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(sources, code).toMatch(new RegExp(`ControllerError\\('${code}'`))
  })
})
